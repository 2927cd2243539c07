// Package i18n translates the portal's user-interface strings (Japanese
// first, English second) with go-i18n, from the message files beside it.
package i18n

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/kijun-portal/kijun/internal/kijun"
)

//go:embed locales/*.yaml
var localeFS embed.FS

var bundle = newBundle()

func newBundle() *goi18n.Bundle {
	b := goi18n.NewBundle(language.Japanese)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	files, _ := fs.Glob(localeFS, "locales/*.yaml")
	for _, f := range files {
		data, _ := localeFS.ReadFile(f)
		b.MustParseMessageFileBytes(data, f)
	}
	return b
}

var matcher = language.NewMatcher([]language.Tag{language.Japanese, language.English})

// Negotiate picks the language: the cookie's choice when valid, else the
// best match of the Accept-Language header, else Japanese.
func Negotiate(cookie, acceptLanguage string) kijun.Lang {
	switch cookie {
	case string(kijun.Ja), string(kijun.En):
		return kijun.Lang(cookie)
	}
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	if len(tags) == 0 {
		return kijun.Ja
	}
	_, idx, conf := matcher.Match(tags...)
	if idx == 1 && conf >= language.High {
		return kijun.En
	}
	return kijun.Ja
}

// Localizer translates message IDs into one language.
type Localizer struct {
	Lang kijun.Lang
	l    *goi18n.Localizer
}

// New returns the localizer for lang.
func New(lang kijun.Lang) *Localizer {
	return &Localizer{Lang: lang, l: goi18n.NewLocalizer(bundle, string(lang))}
}

// T translates id; args fill the message's {{.Name}} placeholders. A
// missing message shows as its id in brackets, which the tests forbid.
func (l *Localizer) T(id string, args ...map[string]any) string {
	if len(args) == 0 {
		return l.plain(id)
	}
	return l.localize(id, args...)
}

// plainMessages memoises messages without arguments per language: the
// bundle never changes after start, and go-i18n matches the language
// again on every call (a 100-control section page asks for ~1,500
// labels).
var plainMessages = map[kijun.Lang]*sync.Map{kijun.Ja: {}, kijun.En: {}}

func (l *Localizer) plain(id string) string {
	m := plainMessages[l.Lang]
	if m == nil {
		return l.localize(id)
	}
	if s, ok := m.Load(id); ok {
		return s.(string)
	}
	s := l.localize(id)
	m.Store(id, s)
	return s
}

func (l *Localizer) localize(id string, args ...map[string]any) string {
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		cfg.TemplateData = args[0]
		if n, ok := args[0]["Count"]; ok {
			cfg.PluralCount = n
		}
	}
	s, err := l.l.Localize(cfg)
	if err != nil && cfg.PluralCount != nil {
		// A message without plural forms is one text for every count.
		cfg.PluralCount = nil
		s, err = l.l.Localize(cfg)
	}
	if err != nil {
		return "[" + id + "]"
	}
	return s
}

// Pick returns the text in the localizer's language.
func (l *Localizer) Pick(t kijun.Text) string { return t.In(l.Lang) }

type ctxKey struct{}

// WithLocalizer returns ctx carrying l.
func WithLocalizer(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the request's localizer (Japanese when none is set).
func From(ctx context.Context) *Localizer {
	if l, ok := ctx.Value(ctxKey{}).(*Localizer); ok {
		return l
	}
	return New(kijun.Ja)
}

// T translates id in the request's language.
func T(ctx context.Context, id string, args ...map[string]any) string {
	return From(ctx).T(id, args...)
}

// MessageIDs lists the ids defined for lang across its message files
// (locales/<area>.<lang>.yaml), for the completeness test.
func MessageIDs(lang kijun.Lang) (map[string]bool, error) {
	files, err := fs.Glob(localeFS, "locales/*."+string(lang)+".yaml")
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, f := range files {
		data, err := localeFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for k := range m {
			if ids[k] {
				return nil, fmt.Errorf("%s: message %s is defined twice", f, k)
			}
			ids[strings.TrimSpace(k)] = true
		}
	}
	return ids, nil
}

// Date formats the JST calendar date of t in the user's language
// (kijun.FormatDate).
func (l *Localizer) Date(t time.Time) string { return kijun.FormatDate(l.Lang, t) }

// DateTime formats an instant in JST in the user's language
// (kijun.FormatDateTime).
func (l *Localizer) DateTime(t time.Time) string { return kijun.FormatDateTime(l.Lang, t) }
