// Package bulletin is two-way communication between the NCO, the
// ministries and the operators (theme ⑤, docs/bulletins.md): bulletins
// (周知) published to an audience, optionally asking each recipient
// organisation to acknowledge (確認) by a date; inquiries (問い合わせ), an
// operator's question thread to its ministry, which the ministry may
// escalate (回付) to the NCO; and FAQ entries (よくある質問) published from
// them for sectors. It owns the types, the audience rule, the checks and
// their messages; it imports no database or HTTP code.
package bulletin

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Category is what a bulletin is.
type Category string

const (
	Alert    Category = "alert"    // 注意喚起
	Revision Category = "revision" // 改定のお知らせ
	Request  Category = "request"  // 依頼
)

// Categories lists the categories in the order forms show them.
var Categories = []Category{Alert, Revision, Request}

// Valid reports whether c is a known category.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// AudienceKind is how a bulletin names its audience.
type AudienceKind string

const (
	Everyone   AudienceKind = "everyone"   // every ministry and every designated operator
	Ministries AudienceKind = "ministries" // the ministries named
	Sectors    AudienceKind = "sectors"    // the operators of the sectors named
	Scope      AudienceKind = "scope"      // the operators designated 重要 (ci) or 基幹 (core), optionally of some sectors
	Operators  AudienceKind = "operators"  // the operators named
)

// AudienceKinds lists the kinds in the order forms show them.
var AudienceKinds = []AudienceKind{Everyone, Ministries, Sectors, Scope, Operators}

// Designations an audience of kind Scope can name: the register's
// operators.designation is ci (重要インフラ), core (基幹インフラ) or both.
const (
	DesignationCI   = "ci"
	DesignationCore = "core"
)

// Audience is who a bulletin is for.
type Audience struct {
	Kind        AudienceKind
	Ministries  []string // Ministries
	Sectors     []string // Sectors; Scope: narrows it to these sectors (empty: all)
	Designation string   // Scope: DesignationCI or DesignationCore
	Operators   []int64  // Operators, by id
	// CorporateNumbers are the named operators as typed (法人番号); the
	// store resolves them to Operators.
	CorporateNumbers []string
}

// Org is an organisation that may receive a bulletin: a ministry (MinistryCode
// set) or an operator (OperatorID set, with its sector, designation and
// status as the register keeps them).
type Org struct {
	MinistryCode string
	OperatorID   int64
	SectorCode   string
	Designation  string // ci, core or both
	Active       bool   // an operator not withdrawn
}

// Includes is THE audience rule: whether org o is among the recipients of
// a bulletin addressed to a. Withdrawn operators receive nothing; the NCO
// is no recipient (it sees every bulletin). The database writes a
// bulletin's recipients with the same rule (postgres.bulletinAudienceSQL;
// a test derives one from the other).
func (a Audience) Includes(o Org) bool {
	if o.OperatorID == 0 {
		switch a.Kind {
		case Everyone:
			return o.MinistryCode != ""
		case Ministries:
			return o.MinistryCode != "" && slices.Contains(a.Ministries, o.MinistryCode)
		}
		return false
	}
	if !o.Active {
		return false
	}
	switch a.Kind {
	case Everyone:
		return true
	case Sectors:
		return slices.Contains(a.Sectors, o.SectorCode)
	case Scope:
		return (o.Designation == a.Designation || o.Designation == "both") &&
			(len(a.Sectors) == 0 || slices.Contains(a.Sectors, o.SectorCode))
	case Operators:
		return slices.Contains(a.Operators, o.OperatorID)
	}
	return false
}

// Wide reports whether a reaches beyond named sectors and operators
// (everyone, ministries, a scope across every sector): only the NCO may
// publish to it.
func (a Audience) Wide() bool {
	return a.Kind == Everyone || a.Kind == Ministries || a.Kind == Scope && len(a.Sectors) == 0
}

// Limits of what is typed.
const (
	MaxTitle = 200
	MaxBody  = 20000
)

// Bulletin is a published bulletin. Once published it never changes (the
// database refuses any update or delete); a correction is a new bulletin
// that names the one it corrects.
type Bulletin struct {
	ID          int64
	Ministry    string // the sending ministry; "" when the NCO sent it
	Category    Category
	Title       string
	Body        string
	Audience    Audience
	AckBy       *time.Time // acknowledge by this day (a date in Japan); nil when none is asked
	Corrects    int64      // the bulletin this one corrects; 0 for none
	PublishedAt time.Time
	PublishedBy int64
	SenderName  kijun.Text // the ministry's name, or the NCO's
}

// AsksAck reports whether recipients are asked to acknowledge b.
func (b Bulletin) AsksAck() bool { return b.AckBy != nil }

// Draft is the publishing form as typed.
type Draft struct {
	Category, Title, Body, AckBy, Corrects string
	Audience                               string // an AudienceKind
	Ministries, Sectors                    []string
	Designation                            string
	Operators                              string // 法人番号, separated by commas, spaces or new lines
}

// Check turns d into a bulletin to publish at now, or returns the message
// id of each field that is wrong. The acknowledgement date must be today
// or later (in Japan). Whether the sender may address the audience is the
// policy's question (authz), not this one's.
func Check(d Draft, now time.Time) (Bulletin, map[string]string) {
	errs := map[string]string{}
	b := Bulletin{Category: Category(d.Category), Title: strings.TrimSpace(d.Title), Body: strings.TrimSpace(d.Body)}
	if !b.Category.Valid() {
		errs["category"] = "bulletin.error.category"
	}
	switch {
	case b.Title == "":
		errs["title"] = "bulletin.error.title_required"
	default:
		if p := kijun.CheckText(b.Title, MaxTitle, "bulletin.error.title_long"); p != "" {
			errs["title"] = p
		} else if strings.ContainsAny(b.Title, "\r\n") {
			errs["title"] = "bulletin.error.title_line"
		}
	}
	switch {
	case b.Body == "":
		errs["body"] = "bulletin.error.body_required"
	default:
		if p := kijun.CheckText(b.Body, MaxBody, "bulletin.error.body_long"); p != "" {
			errs["body"] = p
		}
	}
	if s := strings.TrimSpace(d.AckBy); s != "" {
		day, ok := kijun.ParseDate(s)
		switch {
		case !ok:
			errs["ack_by"] = "bulletin.error.ack_date"
		case dayOf(day.Time()).Before(dayOf(now)):
			errs["ack_by"] = "bulletin.error.ack_past"
		default:
			t := day.Time()
			b.AckBy = &t
		}
	}
	if s := strings.TrimSpace(d.Corrects); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			errs["corrects"] = "bulletin.error.corrects"
		}
		b.Corrects = id
	}
	a := Audience{Kind: AudienceKind(d.Audience)}
	switch a.Kind {
	case Everyone:
	case Ministries:
		a.Ministries = cleanCodes(d.Ministries)
		if len(a.Ministries) == 0 {
			errs["ministries"] = "bulletin.error.ministries"
		}
	case Sectors:
		a.Sectors = cleanCodes(d.Sectors)
		if len(a.Sectors) == 0 {
			errs["sectors"] = "bulletin.error.sectors"
		}
	case Scope:
		a.Designation = d.Designation
		a.Sectors = cleanCodes(d.Sectors)
		if a.Designation != DesignationCI && a.Designation != DesignationCore {
			errs["designation"] = "bulletin.error.designation"
		}
	case Operators:
		ns, ok := ParseNumbers(d.Operators)
		if !ok || len(ns) == 0 {
			errs["operators"] = "bulletin.error.operators"
		}
		a.CorporateNumbers = ns
	default:
		errs["audience"] = "bulletin.error.audience"
	}
	b.Audience = a
	return b, errs
}

// ParseNumbers reads 法人番号 (13 digits) separated by commas, spaces or
// new lines, without repeats (at most 1,000).
func ParseNumbers(s string) ([]string, bool) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '、' || r == ' ' || r == '\u3000' || r == '\n' || r == '\r' || r == '\t'
	}) {
		if len(f) != 13 || strings.Trim(f, "0123456789") != "" {
			return nil, false
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, len(out) <= 1000
}

func cleanCodes(in []string) []string {
	var out []string
	for _, c := range in {
		c = strings.TrimSpace(c)
		if c != "" && len(c) <= 32 && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// dayOf is the start of t's day in Japan.
func dayOf(t time.Time) time.Time {
	t = t.In(kijun.JST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, kijun.JST)
}

// AckOverdue reports whether an acknowledgement asked by ackBy (a day in
// Japan) and not given is overdue at now: from the next day, 00:00 in
// Japan (docs/deadlines.md).
func AckOverdue(ackBy *time.Time, acked bool, now time.Time) bool {
	return ackBy != nil && !acked && dayOf(now).After(dayOf(*ackBy))
}

// ReachesLater reports whether b still reaches an operator that enters its
// audience after publication (designated, or made active, later): only
// while it asks for an acknowledgement whose day is today or later in
// Japan — the new operator has something to do about it. Otherwise the
// audience stays as it was published. Who is in the audience is still
// Audience.Includes (postgres.DeliverToLaterOperators follows both).
func (b Bulletin) ReachesLater(now time.Time) bool {
	return b.AckBy != nil && !dayOf(now).After(dayOf(*b.AckBy))
}

// Recipient is one recipient organisation of a bulletin with what its
// people did: when it was first read (and by whom), and its
// acknowledgement.
type Recipient struct {
	ID           int64
	BulletinID   int64
	MinistryCode string
	OperatorID   int64
	SectorCode   string
	Name         kijun.Text
	Readers      int        // how many of its users have read it
	FirstReadAt  *time.Time // the first of them
	AckedAt      *time.Time
	AckedBy      string // the acknowledging user's name
}

// Report counts a bulletin's recipients for its sender.
type Report struct {
	Recipients, Read, Acked, Overdue int
}

// Tally counts rs for a bulletin b at now.
func Tally(b Bulletin, rs []Recipient, now time.Time) Report {
	r := Report{Recipients: len(rs)}
	for _, x := range rs {
		if x.Readers > 0 {
			r.Read++
		}
		if x.AckedAt != nil {
			r.Acked++
		}
		if AckOverdue(b.AckBy, x.AckedAt != nil, now) {
			r.Overdue++
		}
	}
	return r
}
