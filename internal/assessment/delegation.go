package assessment

import "time"

// Delegation while away (不在時の代理; docs/assessment.md, "Inside the
// operator"). A user who does the operator's internal check (its admin or
// reviewer) records an absence, from one day to another in Japan, and a
// deputy: another active user of the same operator. While the absence
// lasts, the deputy does the internal check for the operator, and the
// assignments of the absent user show on the deputy's "assigned to me"
// list, marked 代理. The policy (authz.DeputyFor) decides; the database
// refuses a deputy of another operator or the user themselves.
type Delegation struct {
	ID          int64
	OperatorID  int64
	UserID      int64 // the absent user
	UserName    string
	DeputyID    int64
	DeputyName  string
	From, To    time.Time // days in Japan, both inclusive
	CreatedAt   time.Time
	CancelledAt *time.Time
}

// Active reports whether the delegation holds at now.
func (d Delegation) Active(now time.Time) bool {
	return d.CancelledAt == nil && !Day(now).Before(Day(d.From)) && !Day(now).After(Day(d.To))
}

// Messages of delegation.
const (
	MsgDelegFromRequired = "orgdeleg.error.from_required"
	MsgDelegToRequired   = "orgdeleg.error.to_required"
	MsgDelegToBeforeFrom = "orgdeleg.error.to_before_from"
	MsgDelegEnded        = "orgdeleg.error.ended"
	MsgDelegTooLong      = "orgdeleg.error.too_long"
	MsgDelegDeputy       = "orgdeleg.error.deputy"
	MsgDelegSelf         = "orgdeleg.error.self"
	MsgDelegOperator     = "orgdeleg.error.operator"
)

// MaxDelegationDays is the longest absence one delegation covers.
const MaxDelegationDays = 366

// CheckDelegationPeriod returns what is wrong with an absence from from to
// to, recorded at now (days in Japan), by form field (from, to): the end
// is not before the start, not already past, and the period is at most
// MaxDelegationDays long. A zero day is missing.
func CheckDelegationPeriod(from, to, now time.Time) map[string]string {
	p := map[string]string{}
	if from.IsZero() {
		p["from"] = MsgDelegFromRequired
	}
	switch {
	case to.IsZero():
		p["to"] = MsgDelegToRequired
	case !from.IsZero() && Day(to).Before(Day(from)):
		p["to"] = MsgDelegToBeforeFrom
	case Day(to).Before(Day(now)):
		p["to"] = MsgDelegEnded
	case !from.IsZero() && DaysBetween(from, to) >= MaxDelegationDays:
		p["to"] = MsgDelegTooLong
	}
	return p
}
