// Package notify defines Kijun's notifications: the kinds of event that
// reach people, who receives each (the policy of internal/authz decides),
// and the preferences a user has over them (docs/notifications.md).
package notify

import (
	"slices"
	"strconv"
	"time"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Kind is a kind of event; its text is the message notify.kind.<kind>.
type Kind string

const (
	ReviewWaiting       Kind = "assessment.review_waiting" // submitted: to the ministry that reviews it
	AssessmentReturned  Kind = "assessment.returned"       // to the operator's users
	AssessmentAccepted  Kind = "assessment.accepted"       // to the operator's users
	AssessmentCommented Kind = "assessment.commented"      // to the other side of the review thread
	AssessmentExtended  Kind = "assessment.extended"       // its ministry moved the due date: to the operator's users
	PlanReturned        Kind = "plan.returned"             // to the ministry
	PlanAccepted        Kind = "plan.accepted"             // to the ministry
	CycleOpened         Kind = "cycle.opened"              // to each enrolled operator's users
	GrantGiven          Kind = "grant.given"               // to the user
	GrantRevoked        Kind = "grant.revoked"             // to the user
	EvaluationPublished Kind = "evaluation.published"      // to the evaluated ministry
)

// Kinds lists every kind, in the order the preferences page shows them.
var Kinds = []Kind{ReviewWaiting, AssessmentReturned, AssessmentAccepted, AssessmentCommented, AssessmentExtended,
	PlanReturned, PlanAccepted, CycleOpened, EvaluationPublished, GrantGiven, GrantRevoked}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Audience is the action a recipient must be allowed on the event's
// scope; the policy (authz.Can) decides who that is. Grant notices have
// none: they go to the user the grant is about.
func (k Kind) Audience() authz.Action {
	switch k {
	case ReviewWaiting:
		return authz.ReviewAssessment
	case AssessmentReturned, AssessmentAccepted, AssessmentCommented, AssessmentExtended, CycleOpened:
		return authz.AnswerAssessment
	case PlanReturned, PlanAccepted:
		return authz.EditPlans
	case EvaluationPublished:
		return authz.RespondEvaluation
	}
	return ""
}

// Event is something that happened that people should hear of.
type Event struct {
	Kind Kind
	// Scope is the tenant the event is about; recipients are chosen in it.
	Scope authz.Resource
	// User is the one recipient of a grant notice.
	User int64
	// Params fill the message's placeholders; only texts of the event's
	// own scope (the operator's name, a fiscal year).
	Params map[string]kijun.Text
	// Link is the portal page the notice leads to (a path).
	Link string
	// Actor made the change: not told of it.
	Actor int64
	// ToReviewers: a comment written by the operator's side goes to the
	// ministry reviewing it instead of to the operator's users.
	ToReviewers bool
}

// Recipients returns the users among candidates (principals built from
// the grants of the event's scope) whom the policy lets do the event's
// audience action on its scope, without the actor.
func Recipients(e Event, candidates []*identity.Principal) []int64 {
	if e.Kind == GrantGiven || e.Kind == GrantRevoked {
		if e.User != 0 && e.User != e.Actor {
			return []int64{e.User}
		}
		return nil
	}
	action := e.Kind.Audience()
	if e.Kind == AssessmentCommented && e.ToReviewers {
		action = authz.ReviewAssessment
	}
	var out []int64
	for _, p := range candidates {
		if !p.SignedIn() || p.UserID == e.Actor || slices.Contains(out, p.UserID) {
			continue
		}
		if authz.Can(p, action, e.Scope) {
			out = append(out, p.UserID)
		}
	}
	return out
}

// Note is one notification as stored and shown.
type Note struct {
	ID        int64
	UserID    int64
	Kind      Kind
	Params    map[string]kijun.Text
	Link      string
	CreatedAt time.Time
	ReadAt    *time.Time
}

// Params is the text of an assessment or cycle notice: the operator's
// name and the fiscal year.
func Params(operator kijun.Text, fy kijun.FiscalYear) map[string]kijun.Text {
	y := strconv.Itoa(int(fy))
	return map[string]kijun.Text{"Operator": operator, "Year": {Ja: y, En: y}}
}

// Delivery is how a user wants a kind of notice by mail.
type Delivery string

const (
	Immediate Delivery = "immediate" // a mail per notice (the default)
	Digest    Delivery = "digest"    // one mail a day with the day's notices
	Off       Delivery = "off"       // the inbox only
)

// Deliveries lists the choices in the order the page shows them.
var Deliveries = []Delivery{Immediate, Digest, Off}

// Mandatory lists the kinds a user cannot turn off: a change to one's own
// access is always told.
var Mandatory = []Kind{GrantGiven, GrantRevoked}

// Allowed reports whether d is a valid choice for k.
func (k Kind) Allowed(d Delivery) bool {
	return slices.Contains(Deliveries, d) && !(d == Off && slices.Contains(Mandatory, k))
}

// Prefs are one user's choices; a kind without one is Immediate.
type Prefs struct {
	Lang     kijun.Lang
	Delivery map[Kind]Delivery
}

// For returns the delivery of kind k.
func (p Prefs) For(k Kind) Delivery {
	if d, ok := p.Delivery[k]; ok && k.Allowed(d) {
		return d
	}
	return Immediate
}

// MailArgs is the queue's job that mails one notice (river job kind
// "notify.mail"); unique by its notice, so a notice is never mailed by
// two jobs.
type MailArgs struct {
	NotificationID int64 `json:"notification_id"`
}

// Kind names the job in the queue.
func (MailArgs) Kind() string { return "notify.mail" }

// CycleOpenedArgs is the queue's job that tells every operator enrolled
// in a newly opened cycle (river job kind "notify.cycle_opened"): the fan
// -out runs in the background, not in the NCO's request.
type CycleOpenedArgs struct {
	CycleID int64 `json:"cycle_id"`
}

// Kind names the job in the queue.
func (CycleOpenedArgs) Kind() string { return "notify.cycle_opened" }
