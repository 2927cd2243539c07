package catalog

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// The governance of a baseline version (docs/catalog-governance.md):
//
//	draft (草案) → consultation (意見募集) → decided (決定) → published (施行中) → superseded
//	              ↖──────────────┘ (withdrawn for another round of edits)
//
// Published keeps its stored name and means "in force": a version comes
// into force on its 施行日 (Decision.EffectiveOn, a date in Japan), never
// without a decision record. This table is the one statement of which
// moves exist; the store and the pages ask Transition, and the database's
// guard (migration 000019) refuses the same moves on its own.
const (
	Consultation Status = "consultation" // 意見募集: ministries comment; content frozen
	Decided      Status = "decided"      // 決定: decision recorded; in force from its 施行日
	// InForce is Published under the name the governance uses.
	InForce = Published
)

// Statuses are every status, in the order of a version's life.
var Statuses = []Status{Draft, Consultation, Decided, Published, Superseded}

// transitions are the moves a version may make.
var transitions = map[Status][]Status{
	Draft:        {Consultation},
	Consultation: {Draft, Decided},
	Decided:      {Published},
	Published:    {Superseded},
}

// Message IDs of governance errors (catalog.*.yaml).
const (
	MsgBadTransition   = "catalog.governance.bad_transition"
	MsgNoDecision      = "catalog.governance.no_decision"
	MsgNotYetEffective = "catalog.governance.not_yet_effective"
	MsgReasonsMissing  = "catalog.governance.reasons_missing"
	MsgNotInForce      = "catalog.governance.not_in_force"
)

// CanMove reports whether a version may go from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition checks a move: it must be one of the table's, and a version
// becomes decided, in force or superseded only with a decision record
// (nil: none), and in force only from its 施行日 (today is the day in
// Japan of now).
func Transition(from, to Status, d *Decision, now time.Time) error {
	if !CanMove(from, to) {
		return kijun.Errorf(kijun.EConflict, MsgBadTransition, map[string]any{"From": string(from), "To": string(to)})
	}
	if (to == Decided || to == Published || to == Superseded) && d == nil {
		return kijun.Errorf(kijun.EConflict, MsgNoDecision, nil)
	}
	if to == Published && !d.InForceOn(now) {
		return kijun.Errorf(kijun.EConflict, MsgNotYetEffective, map[string]any{"Date": d.EffectiveOn.Format("2006-01-02")})
	}
	return nil
}

// Editable reports whether a version's content (controls, reasons) may change.
func (s Status) Editable() bool { return s == Draft }

// Bindable reports whether an assessment cycle may be opened against a
// version in this status: only a version in force.
func (s Status) Bindable() bool { return s == InForce }

// CheckBindable is Bindable as the error a cycle's opening gives.
func CheckBindable(s Status) error {
	if !s.Bindable() {
		return kijun.Errorf(kijun.EInvalid, MsgNotInForce, map[string]any{"Status": string(s)})
	}
	return nil
}

// Decision is the record of a version's decision (決定).
type Decision struct {
	DecidedBy   string    // the body that decided, e.g. 推進専門家会議
	Reference   string    // e.g. 第12回会合 決定第3号
	DecidedOn   time.Time // a date (midnight JST)
	EffectiveOn time.Time // 施行日 (midnight JST)
	Note        string
	RecordedBy  string // who entered it in the portal
	RecordedAt  time.Time
}

// Limits of a decision's and a comment's texts (the database checks the same).
const (
	MaxDecisionText = 200
	MaxNote         = 4000
	MaxReason       = 2000
	MaxComment      = 4000
)

// DateJST is t's day in Japan, at midnight JST.
func DateJST(t time.Time) time.Time {
	t = t.In(kijun.JST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, kijun.JST)
}

// InForceOn reports whether a decided version is in force on now's day in
// Japan.
func (d *Decision) InForceOn(now time.Time) bool {
	return d != nil && !d.EffectiveOn.IsZero() && !DateJST(d.EffectiveOn).After(DateJST(now))
}

// FieldProblem is a form field's problem: the field and a message ID.
type FieldProblem struct {
	Field     string
	MessageID string
	Args      map[string]any
}

// Validate lists what is wrong with a decision as entered, by field.
func (d Decision) Validate() []FieldProblem {
	var ps []FieldProblem
	text := func(field, v string, max int) {
		switch {
		case strings.TrimSpace(v) == "":
			ps = append(ps, FieldProblem{Field: field, MessageID: "catalog.governance.required"})
		case utf8.RuneCountInString(v) > max:
			ps = append(ps, FieldProblem{Field: field, MessageID: "catalog.governance.too_long", Args: map[string]any{"Max": max}})
		}
	}
	text("decided_by", d.DecidedBy, MaxDecisionText)
	text("reference", d.Reference, MaxDecisionText)
	if utf8.RuneCountInString(d.Note) > MaxNote {
		ps = append(ps, FieldProblem{Field: "note", MessageID: "catalog.governance.too_long", Args: map[string]any{"Max": MaxNote}})
	}
	if d.DecidedOn.IsZero() {
		ps = append(ps, FieldProblem{Field: "decided_on", MessageID: "catalog.governance.date"})
	}
	if d.EffectiveOn.IsZero() {
		ps = append(ps, FieldProblem{Field: "effective_on", MessageID: "catalog.governance.date"})
	} else if !d.DecidedOn.IsZero() && d.EffectiveOn.Before(d.DecidedOn) {
		ps = append(ps, FieldProblem{Field: "effective_on", MessageID: "catalog.governance.effective_before_decision"})
	}
	return ps
}

// Comment is a ministry's comment during consultation, on the version
// (Ref "") or on one control.
type Comment struct {
	ID           int64
	CatalogID    int64
	Ref          string
	MinistryCode string
	Body         string
	AuthorName   string
	CreatedAt    time.Time
}

// PublicComment is the attached result of the public comment: a document
// and its summary.
type PublicComment struct {
	ID          int64
	CatalogID   int64
	Summary     string
	FileName    string
	ContentType string
	Size        int64
	SHA256      []byte
	UploadedBy  string
	UploadedAt  time.Time
}

// Revised lists the refs a version changed against the one it was based
// on: added, changed and removed controls, each needing a 改定理由.
func (c Changes) Revised() []string {
	var refs []string
	for _, a := range c.Added {
		refs = append(refs, a.Ref)
	}
	for _, ch := range c.Changed {
		refs = append(refs, ch.Ref)
	}
	for _, r := range c.Removed {
		refs = append(refs, r.Ref)
	}
	return refs
}

// MissingReasons lists the revised refs without a reason in reasons.
func MissingReasons(ch Changes, reasons map[string]string) []string {
	var missing []string
	for _, ref := range ch.Revised() {
		if strings.TrimSpace(reasons[ref]) == "" {
			missing = append(missing, ref)
		}
	}
	return missing
}

// CheckReasons is MissingReasons as the error that stops consultation.
func CheckReasons(ch Changes, reasons map[string]string) error {
	if missing := MissingReasons(ch, reasons); len(missing) > 0 {
		return kijun.Errorf(kijun.EInvalid, MsgReasonsMissing, map[string]any{"Count": len(missing), "Refs": strings.Join(missing, ", ")})
	}
	return nil
}
