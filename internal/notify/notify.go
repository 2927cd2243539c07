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
	PlanReviewWaiting   Kind = "plan.review_waiting"       // submitted: to the NCO's reviewers
	AssessmentExtended  Kind = "assessment.extended"       // its ministry moved the due date: to the operator's users
	PlanReturned        Kind = "plan.returned"             // to the ministry
	PlanAccepted        Kind = "plan.accepted"             // to the ministry
	PlanCommented       Kind = "plan.commented"            // to the other side: the ministry, or the NCO's reviewers
	CycleOpened         Kind = "cycle.opened"              // to each enrolled operator's users
	GrantGiven          Kind = "grant.given"               // to the user
	GrantRevoked        Kind = "grant.revoked"             // to the user
	EvaluationPublished Kind = "evaluation.published"      // to the evaluated ministry
	ReminderDue         Kind = "reminder.due"              // a reminder before or on the due date: to the operator's users
	ReminderOverdue     Kind = "reminder.overdue"          // a reminder after the due date: to the operator's users
	EvaluationAnswered  Kind = "evaluation.answered"       // the ministry's response: to the NCO's evaluators
	CatalogPublished    Kind = "catalog.published"         // a new baseline version: to ministries and operators
	BulletinPublished   Kind = "bulletin.published"        // a bulletin (周知): to each recipient organisation's users
	BulletinAckDue      Kind = "bulletin.ack_due"          // its acknowledgement is due today: to recipients that have not given it
	InquiryAsked        Kind = "inquiry.asked"             // an operator's new inquiry or message: to the ministry asked
	InquiryAnswered     Kind = "inquiry.answered"          // the ministry's or the NCO's message: to the operator's users
	InquiryEscalated    Kind = "inquiry.escalated"         // a ministry escalated an inquiry: to the NCO
	// Catalog governance (docs/catalog-governance.md): to the ministries.
	CatalogConsultationOpened Kind = "catalog.consultation_opened" // a version is open for comment
	CatalogDecided            Kind = "catalog.decided"             // a version was decided (in force from its 施行日)
	WebhookDisabled           Kind = "webhook.disabled"            // an endpoint kept failing: to the admin who registered it
	IncidentFiled             Kind = "incident.filed"              // a first report: to its ministry and the NCO
	IncidentUpdated           Kind = "incident.updated"            // an update or the final report: to its ministry and the NCO
	IncidentQuestion          Kind = "incident.question"           // a recipient asks: to the operator's users
	IncidentAnswered          Kind = "incident.answered"           // the operator answers: to its ministry and the NCO
	// Inside an operator (docs/assessment.md, "Inside the operator").
	AssessmentAssigned Kind = "assessment.assigned"        // a section or control given: to its assignee only
	SignOffWaiting     Kind = "assessment.signoff_waiting" // every assignment ready: to the operator's admins
	AssessmentSentBack Kind = "assessment.sent_back"       // the internal check sent it back: to the operator's users
	DelegationSet      Kind = "delegation.set"             // someone away named a deputy (不在時の代理): to the deputy only
	// The ministry's internal check of plans (docs/plans.md).
	PlanSignOffWaiting Kind = "plan.signoff_waiting" // a check asked for: to the ministry's admins
	PlanConfirmed      Kind = "plan.confirmed"       // the check confirmed the draft: to who asked for it
	PlanSentBack       Kind = "plan.sent_back"       // the check sent it back for rework: to who asked for it
	// Inquiries (docs/bulletins.md).
	InquiryClosed Kind = "inquiry.closed" // the ministry or the NCO closed an inquiry (解決済み): to the operator's users
)

// Kinds lists every kind, in the order the preferences page shows them.
var Kinds = []Kind{ReviewWaiting, AssessmentReturned, AssessmentAccepted, AssessmentCommented, AssessmentExtended,
	PlanReviewWaiting, PlanReturned, PlanAccepted, PlanCommented, CycleOpened, ReminderDue, ReminderOverdue,
	EvaluationPublished, EvaluationAnswered, CatalogPublished, CatalogConsultationOpened, CatalogDecided,
	BulletinPublished, BulletinAckDue, InquiryAsked, InquiryAnswered, InquiryEscalated, IncidentFiled, IncidentUpdated, IncidentQuestion,
	IncidentAnswered, AssessmentAssigned, SignOffWaiting, AssessmentSentBack, DelegationSet,
	PlanSignOffWaiting, PlanConfirmed, PlanSentBack, InquiryClosed,
	GrantGiven, GrantRevoked, WebhookDisabled}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Audience is the action a recipient must be allowed on the event's
// scope; the policy (authz.Can) decides who that is. Grant notices have
// none: they go to the user the grant is about. (Event.audience adjusts
// it for comments to reviewers and ministry-wide catalog notices.)
func (k Kind) Audience() authz.Action {
	switch k {
	case ReviewWaiting:
		return authz.ReviewAssessment
	case AssessmentReturned, AssessmentAccepted, AssessmentCommented, AssessmentExtended, CycleOpened, CatalogPublished,
		ReminderDue, ReminderOverdue:
		return authz.AnswerAssessment
	case PlanReviewWaiting:
		return authz.ReviewPlans
	case PlanReturned, PlanAccepted, PlanCommented:
		return authz.EditPlans
	case EvaluationPublished:
		return authz.RespondEvaluation
	case EvaluationAnswered:
		return authz.EditEvaluations
	case BulletinPublished, BulletinAckDue:
		return authz.ReadBulletin
	case InquiryAsked:
		return authz.EscalateInquiry
	case InquiryAnswered, InquiryClosed:
		return authz.AskInquiry
	case InquiryEscalated:
		return authz.AnswerEscalated
	case CatalogConsultationOpened:
		return authz.CommentCatalog
	case CatalogDecided:
		return authz.EditPlans
	case IncidentFiled, IncidentUpdated, IncidentAnswered:
		return authz.ReceiveIncident
	case IncidentQuestion:
		return authz.FileIncident
	case AssessmentAssigned, AssessmentSentBack:
		return authz.AnswerAssessment
	case SignOffWaiting:
		return authz.SignOffAssessment
	case DelegationSet:
		return authz.ViewMyAssignments
	case PlanSignOffWaiting:
		return authz.SignOffPlan
	case PlanConfirmed, PlanSentBack:
		return authz.RequestPlanSignOff
	}
	return ""
}

// Personal reports whether k is told to the one user it is about (a
// grant notice) rather than to the people of a tenant.
func (k Kind) Personal() bool { return k == GrantGiven || k == GrantRevoked || k == WebhookDisabled }

// Told reports whether p, one of the people of e's scope, would be told of
// e (outgoing webhooks ask it for a tenant: internal/webhook).
func Told(p *identity.Principal, e Event) bool {
	return !e.Kind.Personal() && authz.Can(p, e.audience(), e.Scope)
}

// audience is the action of this event: a comment by the reviewed side
// goes to its reviewers (the ministry for an assessment, the NCO's admins
// for a plan), and a catalog notice on a ministry's scope goes to the
// ministry's users.
func (e Event) audience() authz.Action {
	switch {
	case e.Kind == AssessmentCommented && e.ToReviewers:
		return authz.ReviewAssessment
	case e.Kind == PlanCommented && e.ToReviewers:
		return authz.ReviewPlans
	case e.Kind == CatalogPublished && e.Scope.OperatorID == 0:
		return authz.EditPlans
	}
	return e.Kind.Audience()
}

// Event is something that happened that people should hear of.
type Event struct {
	Kind Kind
	// Scope is the tenant the event is about; recipients are chosen in it.
	Scope authz.Resource
	// User is the one recipient of a grant notice; on another kind, when
	// set, the only one of the scope's people told (an assignment's
	// assignee), if the audience action allows them.
	User int64
	// Params fill the message's placeholders; only texts of the event's
	// own scope (the operator's name, a fiscal year).
	Params map[string]kijun.Text
	// Link is the portal page the notice leads to (a path).
	Link string
	// Actor made the change: not told of it.
	Actor int64
	// ToReviewers: a comment written by the reviewed side goes to its
	// reviewers instead: an operator's comment to the ministry reviewing
	// the assessment, a ministry's comment on its plan to the NCO.
	ToReviewers bool
}

// Recipients returns the users among candidates (principals built from
// the grants of the event's scope) whom the policy lets do the event's
// audience action on its scope, without the actor.
func Recipients(e Event, candidates []*identity.Principal) []int64 {
	if e.Kind.Personal() {
		if e.User != 0 && e.User != e.Actor {
			return []int64{e.User}
		}
		return nil
	}
	action := e.audience()
	var out []int64
	for _, p := range candidates {
		if !p.SignedIn() || p.UserID == e.Actor || slices.Contains(out, p.UserID) || e.User != 0 && p.UserID != e.User {
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
// access, or an endpoint of one's disabled, is always told.
var Mandatory = []Kind{GrantGiven, GrantRevoked, WebhookDisabled}

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

// CatalogPublishedArgs is the queue's job that tells every ministry and
// every operator with users that a catalog version was published (river
// job kind "notify.catalog_published"): thousands of operators, so the
// fan-out runs in the background, not in the NCO's request.
type CatalogPublishedArgs struct {
	CatalogID int64 `json:"catalog_id"`
}

// Kind names the job in the queue.
func (CatalogPublishedArgs) Kind() string { return "notify.catalog_published" }

// BulletinPublishedArgs is the queue's job that tells the users of every
// recipient organisation of a bulletin (river job kind
// "notify.bulletin_published"): a bulletin to everyone reaches thousands
// of operators, so the fan-out runs in the background, not in the
// publisher's request.
type BulletinPublishedArgs struct {
	BulletinID int64 `json:"bulletin_id"`
}

// Kind names the job in the queue.
func (BulletinPublishedArgs) Kind() string { return "notify.bulletin_published" }
