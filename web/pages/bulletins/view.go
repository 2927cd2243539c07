// Package bulletins renders bulletins (周知), inquiries (問い合わせ) and the
// FAQ (よくある質問): docs/bulletins.md.
package bulletins

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/bulletin"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Item is a bulletin as the list shows it to its reader.
type Item struct {
	B         bulletin.Bulletin
	Recipient bool // the reader's organisation received it
	Read      bool
	Acked     bool
	Overdue   bool // asked, not acknowledged, past its date
}

// ListView is the list of bulletins.
type ListView struct {
	Items      []Item
	CanPublish bool
}

// FormView is the publishing form.
type FormView struct {
	Form       bulletin.Draft
	Errors     map[string]string // field → message id
	Wide       bool              // the reader may address everyone, ministries, a scope of all sectors
	Sectors    []kijun.Named     // the sectors the reader may address
	Ministries []kijun.Named     // the ministries (for a wide bulletin)
	Sender     kijun.Text
}

// ShowView is one bulletin.
type ShowView struct {
	B      bulletin.Bulletin
	Names  Names
	Mine   []bulletin.Recipient // the reader's organisations among its recipients
	Now    time.Time
	Notice string // message id of what was just done
	// Report is what the sender (and the NCO) sees: who read and
	// acknowledged; nil for anyone else.
	Report *Report
}

// Report is a bulletin's recipients with what they did.
type Report struct {
	Recipients []bulletin.Recipient
	Counts     bulletin.Report
}

// Names are the reference names a page shows by code.
type Names struct {
	Sectors    map[string]kijun.Text
	Ministries map[string]kijun.Text
}

// InquiryForm is a new inquiry as typed.
type InquiryForm struct {
	Operator, Ministry, Subject, Body string
	Errors                            map[string]string
}

// InquiriesView lists inquiries, with the form to ask one (operators).
type InquiriesView struct {
	Items      []bulletin.Inquiry
	CanAsk     bool
	Operators  []kijun.Named // the reader's operators (more than one: a choice)
	Ministries []kijun.Named // the ministries they may ask
	Form       InquiryForm
	Status     string // the filter: open, closed or all
}

// InquiryView is one inquiry's thread.
type InquiryView struct {
	Q           bulletin.Inquiry
	Reply       string
	ReplyError  string
	CanEscalate bool
	CanFAQ      bool
	Notice      string
	// CanClose: the reader's side closes it (bulletin.CanClose); Closing
	// is the last message typed with a refused closure.
	CanClose   bool
	Closing    string
	CloseError string
}

// FAQForm is an FAQ entry as typed.
type FAQForm struct {
	Question, Answer, Inquiry string
	Corrects                  string // the entry this one corrects
	Sectors                   []string
	Errors                    map[string]string
}

// FAQView lists FAQ entries, with the form to publish one.
type FAQView struct {
	Items      []bulletin.FAQ
	Names      Names
	CanPublish bool
	Sectors    []kijun.Named // the sectors the reader may publish for
	Form       FAQForm
	Notice     string
	// Manage: the entries the reader may withdraw or correct (current,
	// its own or the NCO). Withdrawing is the entry whose withdrawal was
	// refused, with the reason typed.
	Manage      map[int64]bool
	Withdrawing int64
	Reason      string
	ReasonError string
}

// Listed reports whether entry id is on the page (a reader does not see
// the entry a correction replaced).
func (v FAQView) Listed(id int64) bool {
	for _, f := range v.Items {
		if f.ID == id {
			return true
		}
	}
	return false
}

// ReasonFor is the withdrawal reason typed for entry id (refused), or "".
func (v FAQView) ReasonFor(id int64) string {
	if v.Withdrawing == id {
		return v.Reason
	}
	return ""
}

// Checked reports whether code is among the chosen.
func Checked(chosen []string, code string) bool {
	for _, c := range chosen {
		if c == code {
			return true
		}
	}
	return false
}

// AudienceText describes a bulletin's audience: 「電力分野の事業者」…
func AudienceText(ctx context.Context, a bulletin.Audience, n Names) string {
	l := i18n.From(ctx)
	names := func(codes []string, m map[string]kijun.Text) string {
		var out []string
		for _, c := range codes {
			if t, ok := m[c]; ok {
				out = append(out, l.Pick(t))
			} else {
				out = append(out, c)
			}
		}
		return strings.Join(out, l.T("bulletin.list_sep"))
	}
	switch a.Kind {
	case bulletin.Ministries:
		return l.T("bulletin.audience_text.ministries", map[string]any{"Names": names(a.Ministries, n.Ministries)})
	case bulletin.Sectors:
		return l.T("bulletin.audience_text.sectors", map[string]any{"Names": names(a.Sectors, n.Sectors)})
	case bulletin.Scope:
		scope := l.T("bulletin.designation." + a.Designation)
		if len(a.Sectors) == 0 {
			return l.T("bulletin.audience_text.scope_all", map[string]any{"Scope": scope})
		}
		return l.T("bulletin.audience_text.scope", map[string]any{"Scope": scope, "Names": names(a.Sectors, n.Sectors)})
	case bulletin.Operators:
		return l.T("bulletin.audience_text.operators", map[string]any{"Count": len(a.Operators)})
	}
	return l.T("bulletin.audience_text.everyone")
}

// Sender names who sent b.
func Sender(ctx context.Context, b bulletin.Bulletin) string {
	if b.Ministry == "" {
		return i18n.T(ctx, "bulletin.sender_nco")
	}
	return i18n.From(ctx).Pick(b.SenderName)
}

// FAQSender names who published f.
func FAQSender(ctx context.Context, f bulletin.FAQ) string {
	if f.Ministry == "" {
		return i18n.T(ctx, "bulletin.sender_nco")
	}
	return i18n.From(ctx).Pick(f.SenderName)
}

// SectorList names sectors.
func SectorList(ctx context.Context, codes []string, n Names) string {
	l := i18n.From(ctx)
	var out []string
	for _, c := range codes {
		out = append(out, l.Pick(n.Sectors[c]))
	}
	return strings.Join(out, l.T("bulletin.list_sep"))
}

// Header is the report's CSV header in the reader's language.
func Header(l *i18n.Localizer) []string {
	var h []string
	for _, k := range []string{"recipient", "kind", "sector", "readers", "first_read", "acked_at", "acked_by"} {
		h = append(h, l.T("bulletin.report.col."+k))
	}
	return h
}

// Record is one recipient of the report as CSV.
func Record(l *i18n.Localizer, x bulletin.Recipient, n Names) []string {
	kind, sector := l.T("bulletin.report.ministry"), ""
	if x.OperatorID != 0 {
		kind, sector = l.T("bulletin.report.operator"), l.Pick(n.Sectors[x.SectorCode])
	}
	first, acked := "", ""
	if x.FirstReadAt != nil {
		first = kijun.ISODateTime(*x.FirstReadAt)
	}
	if x.AckedAt != nil {
		acked = kijun.ISODateTime(*x.AckedAt)
	}
	return []string{l.Pick(x.Name), kind, sector, strconv.Itoa(x.Readers), first, acked, x.AckedBy}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Lines splits a text into its lines, for paragraphs without markup.
func Lines(s string) []string { return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") }
