// Package authz is Kijun's one authorization policy: it answers whether a
// principal may perform an action on a resource. Every route declares its
// action; handlers that load a resource ask again with the resource.
// Row-level security in PostgreSQL enforces the same tenancy a second time.
package authz

import (
	"slices"
	"time"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/incident"
)

// Action names something a principal may do.
type Action string

const (
	// ViewPublic: public pages (home, sector registry, language switch,
	// sign-in, static files and health endpoints).
	ViewPublic Action = "public.view"
	// ViewOwnAccount: the signed-in user's own account and the
	// access-pending page. Needs a signed-in user, no grant.
	ViewOwnAccount Action = "account.view"
	// SignOut ends the user's own session.
	SignOut Action = "account.signout"

	// ListUsers / ManageGrants: the user directory of the principal's scope.
	ListUsers    Action = "users.list"
	ManageGrants Action = "users.grant"

	// ViewAudit: the audit log of the principal's scope.
	ViewAudit Action = "audit.view"

	// ListOperators: the operator register (ministries and NCO), and its
	// export.
	ListOperators Action = "operators.list"
	// ViewOperator: one operator's record; operators see their own.
	ViewOperator Action = "operators.view"
	// ManageOperators: register, edit, withdraw and import operators, and
	// decide correction proposals: ministries for their sectors, NCO
	// admins for all.
	ManageOperators Action = "operators.manage"
	// ProposeCorrection: an operator's admin proposes corrections to its
	// own record (contacts, systems).
	ProposeCorrection Action = "operators.propose"

	// ViewCatalog: browse and search published baseline catalogs, and
	// export them. Every signed-in user with a role.
	ViewCatalog Action = "catalog.view"
	// EditCatalog: create drafts, edit controls, import and publish (NCO
	// admins); drafts are visible only to the NCO.
	EditCatalog Action = "catalog.edit"
	// ViewDraftCatalog: read draft catalogs (NCO).
	ViewDraftCatalog Action = "catalog.view_draft"
	// Catalog governance: ViewConsultation reads a version under
	// consultation and its comments (NCO: all; a ministry: its own);
	// CommentCatalog comments on it (ministries); GovernCatalog opens and
	// withdraws consultation, attaches the public-comment results, records
	// the decision and the 改定理由 (NCO admin).
	ViewConsultation Action = "catalog.view_consultation"
	CommentCatalog   Action = "catalog.comment"
	GovernCatalog    Action = "catalog.govern"
)

// --- Implementation plans and evaluations (docs/plans.md) ---
const (
	// ViewPlans: a ministry's own plans; the NCO every plan.
	ViewPlans Action = "plans.view"
	// EditPlans: draft, edit, submit and revise the ministry's own plans.
	EditPlans Action = "plans.edit"
	// ReviewPlans: the NCO's review queue; start review, return, accept.
	ReviewPlans Action = "plans.review"
	// ViewEvaluations: the NCO's evaluations (all); a ministry its own
	// published ones.
	ViewEvaluations Action = "evaluations.view"
	// EditEvaluations: write and publish evaluations (NCO admins).
	EditEvaluations Action = "evaluations.edit"
	// RespondEvaluation: a ministry answers its published evaluation.
	RespondEvaluation Action = "evaluations.respond"
	// SetPlanDeadlines: set by when the ministries submit their plans for
	// a fiscal year (NCO admins; docs/deadlines.md).
	SetPlanDeadlines Action = "plans.deadlines"
	// ViewSectorProfile: an operator's users read the sector profile in
	// force for their sector (not the plan).
	ViewSectorProfile Action = "profile.view"
)

// canPlans is the policy of the plan actions (see the block above).
// canCatalogGovernance: the NCO governs and reads everything; ministries
// read versions under consultation and comment on them.
func canCatalogGovernance(p *identity.Principal, a Action) (allowed, known bool) {
	switch a {
	case ViewConsultation:
		return p.NCO || len(p.Ministries) > 0, true
	case CommentCatalog:
		return len(p.Ministries) > 0, true
	case GovernCatalog:
		return p.NCOAdmin, true
	}
	return false, false
}

func canPlans(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	ownMinistry := len(p.Ministries) > 0 && (r.any() || r.MinistryCode != "" && slices.Contains(p.Ministries, r.MinistryCode))
	switch a {
	case ViewPlans, ViewEvaluations:
		return p.NCO || ownMinistry, true
	case EditPlans, RespondEvaluation:
		return ownMinistry, true
	case ReviewPlans, EditEvaluations, SetPlanDeadlines:
		return p.NCOAdmin, true
	case ViewSectorProfile:
		return len(p.Operators) > 0 && (r.any() || p.InOperator(r.OperatorID)), true
	}
	return false, false
}

// --- end of implementation plans ---

// --- The annual report (docs/annual-report.md) ---
const (
	// ViewAnnualReport: the NCO's annual report with its figures, XLSX and
	// PDF (the NCO).
	ViewAnnualReport Action = "report.view"
	// DecideAnnualReport: record the 推進専門家会議's opinion and make the
	// report final (NCO admins).
	DecideAnnualReport Action = "report.decide"
)

// canAnnualReport is the policy of the annual report's actions.
func canAnnualReport(p *identity.Principal, a Action, _ Resource) (allowed, known bool) {
	switch a {
	case ViewAnnualReport:
		return p.NCO, true
	case DecideAnnualReport:
		return p.NCOAdmin, true
	}
	return false, false
}

// --- end of the annual report ---

// --- Self-assessments (docs/assessment.md) ---
const (
	// ManageCycles: open a fiscal year's cycle (NCO admins); list cycles
	// (NCO).
	ManageCycles Action = "cycles.manage"
	// ListAssessments: the assessments of the principal's scope — the NCO
	// all, a ministry its sectors', an operator its own.
	ListAssessments Action = "assessments.list"
	// ViewAssessment: one assessment with its answers, evidence, comments
	// and history.
	ViewAssessment Action = "assessments.view"
	// AnswerAssessment: answer, upload evidence, carry forward, submit —
	// the operator's own users.
	AnswerAssessment Action = "assessments.answer"
	// ReviewAssessment: return or accept — the ministry overseeing the
	// operator's sector.
	ReviewAssessment Action = "assessments.review"
	// CommentAssessment: write in the review threads — both sides and the
	// NCO.
	CommentAssessment Action = "assessments.comment"
	// ExtendAssessment: move one operator's due date later, with a reason
	// (docs/deadlines.md) — the ministry overseeing the operator's sector,
	// as for the review; not the NCO, which reviews no assessment.
	ExtendAssessment Action = "assessments.extend"
)

// canAssessments is the policy of the assessment actions (see above).
func canAssessments(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	ministry := len(p.Ministries) > 0 && (r.any() || p.OverseesSector(r.SectorCode))
	operator := len(p.Operators) > 0 && (r.any() || p.InOperator(r.OperatorID))
	switch a {
	case ManageCycles:
		return p.NCOAdmin, true
	case ListAssessments, ViewAssessment, CommentAssessment:
		return p.NCO || ministry || operator, true
	case AnswerAssessment:
		return operator, true
	case ReviewAssessment, ExtendAssessment:
		return ministry, true
	}
	return false, false
}

// --- end of self-assessments ---

// --- Dashboards and exports (docs/dashboards.md) ---
const (
	// ViewDashboards: the dashboard entry, which sends each role to its own.
	ViewDashboards Action = "dashboards.view"
	// ViewNationalDashboard: every sector's figures (NCO).
	ViewNationalDashboard Action = "dashboards.national"
	// ViewSectorDashboard: a sector's figures and its operators (the
	// ministry overseeing it, the NCO).
	ViewSectorDashboard Action = "dashboards.sector"
	// ViewScorecard: an operator's own scores against its anonymised sector
	// benchmark (the operator's users).
	ViewScorecard Action = "dashboards.scorecard"
	// ExportAssessment: one assessment as XLSX or OSCAL (whoever may view it).
	ExportAssessment Action = "exports.assessment"
	// ExportAnswers: a sector's or the nation's answers as CSV (ministry
	// for its sectors, NCO).
	ExportAnswers Action = "exports.answers"
)

// canDashboards is the policy of the dashboard actions (see above).
func canDashboards(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	ministry := len(p.Ministries) > 0 && (r.any() || p.OverseesSector(r.SectorCode))
	operator := len(p.Operators) > 0 && (r.any() || p.InOperator(r.OperatorID))
	switch a {
	case ViewDashboards:
		return p.HasAnyGrant(), true
	case ViewNationalDashboard:
		return p.NCO, true
	case ViewSectorDashboard, ExportAnswers:
		return p.NCO || ministry, true
	case ViewScorecard:
		return operator, true
	case ExportAssessment:
		return p.NCO || ministry || operator, true
	}
	return false, false
}

// --- end of dashboards and exports ---

// --- Notifications and background jobs (docs/notifications.md) ---
const (
	// ViewDeadJobs: the background jobs the queue gave up on (NCO admins).
	ViewDeadJobs Action = "jobs.view_dead"
	// ViewReminders: a cycle's reminder rules and the escalation list of
	// operators that have not submitted, and its export (the NCO; a
	// ministry for its sectors).
	ViewReminders Action = "reminders.view"
	// ManageReminders: add and remove a sector's reminder rules (NCO
	// admins; a ministry for its sectors).
	ManageReminders Action = "reminders.manage"
	// ManageDefaultReminders: a cycle's default rules, for every sector
	// (NCO admins).
	ManageDefaultReminders Action = "reminders.defaults"
	// SendReminders: remind an operator now, from the escalation list
	// (the NCO; a ministry for its sectors).
	SendReminders Action = "reminders.send"
)

// canNotices is the policy of the notification actions (see above).
func canNotices(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	ministry := len(p.Ministries) > 0 && (r.any() || p.OverseesSector(r.SectorCode))
	switch a {
	case ViewDeadJobs, ManageDefaultReminders:
		return p.NCOAdmin, true
	case ViewReminders, SendReminders:
		return p.NCO || ministry, true
	case ManageReminders:
		return p.NCOAdmin || ministry, true
	}
	return false, false
}

// --- end of notifications ---

// --- Bulletins, inquiries and FAQ (docs/bulletins.md) ---
const (
	// ViewBulletins: the list of bulletins (周知) the reader sent, received
	// or oversees, and the FAQ (よくある質問) of the reader's sectors. Every
	// user with a role; which rows is row-level security's answer.
	ViewBulletins Action = "bulletins.view"
	// PublishBulletin: publish a bulletin to sectors or operators — the NCO
	// anywhere, a ministry for the sectors it oversees (r.SectorCode).
	PublishBulletin Action = "bulletins.publish"
	// PublishWideBulletin: publish to everyone, to ministries, or to a
	// scope (重要/基幹) across all sectors (the NCO).
	PublishWideBulletin Action = "bulletins.publish_wide"
	// ReadBulletin: read, mark read and acknowledge a bulletin as a
	// recipient organisation: an operator's users for their operator
	// (r.OperatorID), a ministry's for their ministry (r.MinistryCode).
	ReadBulletin Action = "bulletins.read"
	// ViewBulletinReport: who of a bulletin's recipients read and
	// acknowledged it (CanViewBulletinReport: the sender and the NCO).
	ViewBulletinReport Action = "bulletins.report"

	// AskInquiry: an operator's users ask their ministry (問い合わせ) and
	// write in their operator's inquiries (r.OperatorID).
	AskInquiry Action = "inquiries.ask"
	// ViewInquiries: the inquiries of the reader's scope and their threads
	// (CanSeeInquiry decides on one); writing in a thread one sees.
	ViewInquiries Action = "inquiries.view"
	// EscalateInquiry: the ministry asked escalates an inquiry (回付) to the
	// NCO (r.MinistryCode).
	EscalateInquiry Action = "inquiries.escalate"
	// AnswerEscalated: the NCO sees and answers escalated inquiries.
	AnswerEscalated Action = "inquiries.answer_escalated"
	// PublishFAQ: publish an FAQ entry for sectors — the NCO any, a
	// ministry those it oversees (r.SectorCode).
	PublishFAQ Action = "faq.publish"
	// CloseInquiry: the answering side closes an inquiry (解決済み) — the
	// ministry asked (r.MinistryCode), the NCO its escalated ones; which
	// side may close which thread is bulletin.CanClose.
	CloseInquiry Action = "inquiries.close"
	// WithdrawFAQ: withdraw (取り下げ) or correct an FAQ entry — its
	// publishing ministry (r.MinistryCode), the NCO any.
	WithdrawFAQ Action = "faq.withdraw"
)

// canBulletins is the policy of the bulletin, inquiry and FAQ actions
// (see above).
func canBulletins(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	ministry := len(p.Ministries) > 0 && (r.any() || r.SectorCode != "" && p.OverseesSector(r.SectorCode))
	switch a {
	case ViewBulletins, ViewInquiries:
		return p.HasAnyGrant(), true
	case PublishBulletin, PublishFAQ:
		return p.NCO || ministry, true
	case PublishWideBulletin, AnswerEscalated:
		return p.NCO, true
	case ViewBulletinReport:
		return p.NCO || len(p.Ministries) > 0 && (r.any() || slices.Contains(p.Ministries, r.MinistryCode)), true
	case ReadBulletin:
		return len(p.Operators) > 0 && (r.any() || r.OperatorID != 0 && p.InOperator(r.OperatorID)) ||
			len(p.Ministries) > 0 && (r.any() || r.OperatorID == 0 && slices.Contains(p.Ministries, r.MinistryCode)), true
	case AskInquiry:
		return len(p.Operators) > 0 && (r.any() || p.InOperator(r.OperatorID)), true
	case EscalateInquiry:
		return len(p.Ministries) > 0 && (r.any() || slices.Contains(p.Ministries, r.MinistryCode)), true
	case CloseInquiry, WithdrawFAQ:
		return p.NCO || len(p.Ministries) > 0 && (r.any() || slices.Contains(p.Ministries, r.MinistryCode)), true
	}
	return false, false
}

// CanViewBulletinReport reports whether p sees who read and acknowledged a
// bulletin sent by ministry ("" for the NCO): the NCO every one, a
// ministry its own.
func CanViewBulletinReport(p *identity.Principal, ministry string) bool {
	if ministry == "" {
		return p.SignedIn() && p.NCO
	}
	return Can(p, ViewBulletinReport, Resource{MinistryCode: ministry})
}

// CanWithdrawFAQ reports whether p withdraws or corrects an FAQ entry
// published by ministry ("" for the NCO): the NCO every one, a ministry
// its own.
func CanWithdrawFAQ(p *identity.Principal, ministry string) bool {
	if ministry == "" {
		return p.SignedIn() && p.NCO
	}
	return Can(p, WithdrawFAQ, Resource{MinistryCode: ministry})
}

// CanSeeInquiry reports whether p sees (and writes in) an inquiry of
// operator to ministry: the operator's users, the ministry's, and the NCO
// once it is escalated. Nobody else, whatever they oversee.
func CanSeeInquiry(p *identity.Principal, operator int64, ministry string, escalated bool) bool {
	return Can(p, AskInquiry, Resource{OperatorID: operator}) ||
		Can(p, EscalateInquiry, Resource{MinistryCode: ministry}) ||
		escalated && Can(p, AnswerEscalated, Resource{})
}

// --- end of bulletins ---

// --- The public API (docs/api.md) ---
const (
	// ManageTokens: issue, list and revoke the API tokens of the admin's
	// own tenant (NCO, ministry or operator admins).
	ManageTokens Action = "tokens.manage"
)

// canAPI is the policy of the API's own actions (see above).
func canAPI(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	switch a {
	case ManageTokens:
		return p.NCOAdmin || len(p.AdminMinistries) > 0 && (r.any() || slices.Contains(p.AdminMinistries, r.MinistryCode)) ||
			len(p.AdminOperators) > 0 && (r.any() || slices.Contains(p.AdminOperators, r.OperatorID)), true
	}
	return false, false
}

// CanIssueToken reports whether p may issue an API token with role in the
// scope of r: an admin for its own tenant only — NCO admins NCO roles,
// ministry admins roles of their ministry, operator admins roles of their
// operator. Unlike CanGrant, a ministry admin issues no operator's token.
func CanIssueToken(p *identity.Principal, role identity.Role, r Resource) bool {
	if !p.SignedIn() || !role.Valid() {
		return false
	}
	switch role.ScopeKind() {
	case "nco":
		return p.NCOAdmin && r.any()
	case "ministry":
		return r.MinistryCode != "" && r.OperatorID == 0 && slices.Contains(p.AdminMinistries, r.MinistryCode)
	case "operator":
		return r.OperatorID != 0 && r.MinistryCode == "" && slices.Contains(p.AdminOperators, r.OperatorID)
	}
	return false
}

// --- end of the public API ---

// --- Incident reports (docs/incidents.md) ---
const (
	// ListIncidents / ViewIncident: the reports of the principal's scope —
	// the NCO all, a ministry its sectors', an operator its own. These
	// three are a report's named recipients, whatever its TLP.
	ListIncidents Action = "incidents.list"
	ViewIncident  Action = "incidents.view"
	// FileIncident: file, update and close a report, answer questions,
	// choose its TLP — the operator's own users.
	FileIncident Action = "incidents.file"
	// ReceiveIncident: ask questions on a report, narrow its TLP, publish
	// a sanitised summary — the ministry overseeing the sector, the NCO.
	ReceiveIncident Action = "incidents.receive"
	// ExportIncidents: a ministry's reports as CSV/XLSX, a summary as STIX
	// (ministry for its sectors, the NCO); never a TLP:RED report.
	ExportIncidents Action = "incidents.export"
	// ViewIncidentSummaries: the sanitised summaries of one's audience
	// (everyone with a role; RLS picks the audience).
	ViewIncidentSummaries Action = "incidents.summaries"
	// ManageIncidentTemplates: read and publish versions of the report
	// template (NCO admins).
	ManageIncidentTemplates Action = "incidents.templates"
)

// canIncidents is the policy of the incident actions (see above).
func canIncidents(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	ministry := len(p.Ministries) > 0 && (r.any() || p.OverseesSector(r.SectorCode))
	operator := len(p.Operators) > 0 && (r.any() || p.InOperator(r.OperatorID))
	switch a {
	case ListIncidents, ViewIncident:
		return p.NCO || ministry || operator, true
	case FileIncident:
		return operator, true
	case ReceiveIncident, ExportIncidents:
		return p.NCO || ministry, true
	case ViewIncidentSummaries:
		return p.HasAnyGrant(), true
	case ManageIncidentTemplates:
		return p.NCOAdmin, true
	}
	return false, false
}

// CanIncident asks the policy about a report with its TLP 2.0 label: the
// tenant rule (Can), and what the label allows beyond the named
// recipients — no export of a TLP:RED report, and a sanitised summary
// (ReceiveIncident with summarize) only of a report labelled for its
// community (TLP:GREEN or CLEAR).
func CanIncident(p *identity.Principal, a Action, r Resource, tlp incident.TLP, summarize bool) bool {
	if !tlp.Valid() || !Can(p, a, r) {
		return false
	}
	switch {
	case a == ExportIncidents:
		return tlp != incident.Red
	case summarize:
		return a == ReceiveIncident && tlp.Community()
	}
	return true
}

// --- end of incident reports ---

// --- Work inside an operator (docs/assessment.md, "Inside the operator") ---
const (
	// AssignAssessment: give sections or controls of the operator's
	// assessment to its staff, with due dates (operator admins).
	AssignAssessment Action = "assessments.assign"
	// SignOffAssessment: the internal check — confirm an assessment for
	// submission or send it back inside the operator (operator admins and
	// reviewers; a deputy during the absence of one: DeputyFor).
	SignOffAssessment Action = "assessments.signoff"
	// ManageDelegation: record (and cancel) one's own absence and its
	// deputy (不在時の代理) — operator admins and reviewers, for their
	// operator.
	ManageDelegation Action = "assessments.delegate"
	// ViewMyAssignments: the "assigned to me" list (an operator's users).
	ViewMyAssignments Action = "assessments.assigned_to_me"
	// ManagePlanCheck: require (or not) the internal check of the
	// ministry's plans before they go to the NCO (ministry admins, for
	// their ministry; docs/plans.md).
	ManagePlanCheck Action = "plans.internal_check"
)

// canOrgFlow is the policy of the actions inside an operator (see above).
// Marking one's own assignment ready is AnswerAssessment, asked with the
// assignment's operator; the store checks it is the assignee's.
func canOrgFlow(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	switch a {
	case AssignAssessment:
		return len(p.AdminOperators) > 0 && inOperators(p.AdminOperators, r), true
	case SignOffAssessment:
		if len(p.CheckOperators) > 0 && inOperators(p.CheckOperators, r) {
			return true, true
		}
		_, deputy := DeputyFor(p, r.OperatorID, time.Now())
		return deputy, true
	case ManageDelegation:
		return len(p.CheckOperators) > 0 && inOperators(p.CheckOperators, r), true
	case ViewMyAssignments:
		return len(p.Operators) > 0 && (r.any() || p.InOperator(r.OperatorID)), true
	case ManagePlanCheck:
		return len(p.AdminMinistries) > 0 && (r.any() || slices.Contains(p.AdminMinistries, r.MinistryCode)), true
	}
	return false, false
}

// DeputyFor returns the deputyship under which p does the internal check
// of operator (0: of any operator) at now: one of p's deputyships of that
// operator whose period holds on now's day in Japan, for a user of the
// operator p still belongs to. The earliest recorded one wins, so a
// sign-off names one delegation.
func DeputyFor(p *identity.Principal, operator int64, now time.Time) (identity.Deputyship, bool) {
	for _, d := range Deputyships(p, now) {
		if operator == 0 || d.OperatorID == operator {
			return d, true
		}
	}
	return identity.Deputyship{}, false
}

// Deputyships returns every deputyship of p that holds at now (DeputyFor's
// rule): whose assignments p's "assigned to me" list shows, marked 代理.
func Deputyships(p *identity.Principal, now time.Time) []identity.Deputyship {
	if !p.SignedIn() {
		return nil
	}
	var out []identity.Deputyship
	for _, d := range p.Deputyships {
		if p.InOperator(d.OperatorID) && d.ForUserID != p.UserID && d.On(now) {
			out = append(out, d)
		}
	}
	return out
}

// DeputyOf returns the deputyship under which p acts for user, who does
// the internal check of operator, at now (Deputyships' rule): the deputy
// marks the absent user's assignments ready as the absent user would
// (docs/assessment.md, "Delegation while away").
func DeputyOf(p *identity.Principal, operator, user int64, now time.Time) (identity.Deputyship, bool) {
	for _, d := range Deputyships(p, now) {
		if d.OperatorID == operator && d.ForUserID == user {
			return d, true
		}
	}
	return identity.Deputyship{}, false
}

// --- end of work inside an operator ---

// --- The ministry's internal check of plans (docs/plans.md) ---
const (
	// RequestPlanSignOff: ask the ministry's admins to check a draft plan
	// (社内確認の依頼; the ministry's users, for its own plans).
	RequestPlanSignOff Action = "plans.signoff_request"
	// SignOffPlan: the internal check of a draft plan — confirm it for
	// submission or send it back for rework (the ministry's admins, for
	// its own plans).
	SignOffPlan Action = "plans.signoff"
)

// canPlanSignOff is the policy of the ministry's internal check (above).
func canPlanSignOff(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	switch a {
	case RequestPlanSignOff:
		return len(p.Ministries) > 0 && (r.any() || r.MinistryCode != "" && slices.Contains(p.Ministries, r.MinistryCode)), true
	case SignOffPlan:
		return len(p.AdminMinistries) > 0 && (r.any() || r.MinistryCode != "" && slices.Contains(p.AdminMinistries, r.MinistryCode)), true
	}
	return false, false
}

// --- end of the ministry's internal check of plans ---

// Resource is what an action is performed on, as far as tenancy goes. The
// zero Resource asks "may p do this anywhere at all?".
type Resource struct {
	MinistryCode string // a ministry's own things (its staff, plans)
	SectorCode   string // things of a sector (operators, their users)
	OperatorID   int64  // things of one operator
}

func (r Resource) any() bool { return r == Resource{} }

// Public reports whether anyone, signed in or not, may perform a.
func Public(a Action) bool { return a == ViewPublic }

// Can reports whether p may perform a on r.
func Can(p *identity.Principal, a Action, r Resource) bool {
	if Public(a) {
		return true
	}
	if !p.SignedIn() {
		return false
	}
	switch a {
	case ViewOwnAccount, SignOut:
		return true
	case ListUsers, ManageGrants:
		return p.NCOAdmin || len(p.AdminMinistries) > 0 && inMinistryScope(p.AdminMinistries, p.AdminSectors, r) ||
			len(p.AdminOperators) > 0 && inOperators(p.AdminOperators, r)
	case ViewAudit:
		return p.NCO || len(p.Ministries) > 0 && inMinistryScope(p.Ministries, p.Sectors, r) ||
			len(p.AdminOperators) > 0 && inOperators(p.AdminOperators, r)
	case ListOperators:
		return p.NCO || len(p.Ministries) > 0 && (r.any() || p.OverseesSector(r.SectorCode))
	case ViewOperator:
		return p.NCO || len(p.Ministries) > 0 && (r.any() || p.OverseesSector(r.SectorCode)) ||
			len(p.Operators) > 0 && (r.any() || p.InOperator(r.OperatorID))
	case ManageOperators:
		return p.NCOAdmin || len(p.Ministries) > 0 && (r.any() || p.OverseesSector(r.SectorCode))
	case ProposeCorrection:
		return len(p.AdminOperators) > 0 && inOperators(p.AdminOperators, r)
	case ViewCatalog:
		return p.HasAnyGrant()
	case EditCatalog:
		return p.NCOAdmin
	case ViewDraftCatalog:
		return p.NCO
	}
	if ok, known := canCatalogGovernance(p, a); known { // catalog governance
		return ok
	}
	if ok, known := canAssessments(p, a, r); known { // self-assessments
		return ok
	}
	if ok, known := canPlans(p, a, r); known { // implementation plans
		return ok
	}
	if ok, known := canDashboards(p, a, r); known { // dashboards and exports
		return ok
	}
	if ok, known := canNotices(p, a, r); known { // notifications
		return ok
	}
	if ok, known := canAPI(p, a, r); known { // the public API
		return ok
	}
	if ok, known := canBulletins(p, a, r); known { // bulletins and inquiries
		return ok
	}
	if ok, known := canAnnualReport(p, a, r); known { // the annual report
		return ok
	}
	if ok, known := canWebhooks(p, a, r); known { // outgoing webhooks
		return ok
	}
	if ok, known := canIncidents(p, a, r); known { // incident reports
		return ok
	}
	if ok, known := canOrgFlow(p, a, r); known { // work inside an operator
		return ok
	}
	if ok, known := canPlanSignOff(p, a, r); known { // the ministry's internal check of plans
		return ok
	}
	if ok, known := canAdmin(p, a, r); known { // the 管理 hub
		return ok
	}
	return false
}

// ManageWebhooks: register, list, delete and turn on again the outgoing
// webhook endpoints of the admin's own tenant, and read their delivery
// log (NCO, ministry or operator admins; docs/webhooks.md).
const ManageWebhooks Action = "webhooks.manage"

// canWebhooks is the policy of outgoing webhooks: on a route (no
// resource) any admin; on a ministry's or operator's endpoint, that
// tenant's admins. The NCO's endpoints are CanManageWebhook's.
func canWebhooks(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	if a != ManageWebhooks {
		return false, false
	}
	switch {
	case r.any():
		return p.NCOAdmin || len(p.AdminMinistries) > 0 || len(p.AdminOperators) > 0, true
	case r.OperatorID != 0:
		return slices.Contains(p.AdminOperators, r.OperatorID), true
	case r.MinistryCode != "":
		return slices.Contains(p.AdminMinistries, r.MinistryCode), true
	}
	return false, true
}

// CanManageWebhook reports whether p may manage an endpoint of the tenant
// nco / r: the NCO's by NCO admins, a ministry's or operator's by its own
// admins only (a ministry admin manages no operator's endpoint).
func CanManageWebhook(p *identity.Principal, nco bool, r Resource) bool {
	if !p.SignedIn() {
		return false
	}
	if nco {
		return p.NCOAdmin && r.any()
	}
	return !r.any() && Can(p, ManageWebhooks, r)
}

// inMinistryScope: r is one of the ministries, or in one of the sectors
// they oversee.
func inMinistryScope(ministries, sectors []string, r Resource) bool {
	switch {
	case r.any():
		return true
	case r.MinistryCode != "":
		return slices.Contains(ministries, r.MinistryCode)
	case r.SectorCode != "":
		return slices.Contains(sectors, r.SectorCode)
	}
	return false
}

func inOperators(ops []int64, r Resource) bool {
	return r.any() || r.OperatorID != 0 && slices.Contains(ops, r.OperatorID)
}

// CanGrant reports whether p may give (or take away) role in the scope of
// r: NCO admins any; ministry admins roles of their ministry and of
// operators in their sectors; operator admins roles of their operator.
func CanGrant(p *identity.Principal, role identity.Role, r Resource) bool {
	if !p.SignedIn() || !role.Valid() {
		return false
	}
	if p.NCOAdmin {
		return true
	}
	switch role.ScopeKind() {
	case "ministry":
		return r.MinistryCode != "" && slices.Contains(p.AdminMinistries, r.MinistryCode)
	case "operator":
		if r.OperatorID == 0 {
			return false
		}
		return slices.Contains(p.AdminOperators, r.OperatorID) ||
			len(p.AdminMinistries) > 0 && slices.Contains(p.AdminSectors, r.SectorCode)
	}
	return false
}

// CanAdminUser reports whether p administers the user holding grants: p
// could give or take away one of them. Admins grant roles to existing
// users only among these; anyone else is reached by an invitation.
func CanAdminUser(p *identity.Principal, grants []identity.Grant) bool {
	for _, g := range grants {
		if CanGrant(p, g.Role, Resource{MinistryCode: g.MinistryCode, SectorCode: g.SectorCode, OperatorID: g.OperatorID}) {
			return true
		}
	}
	return false
}

// --- The 管理 hub (docs/architecture.md, "Navigation") ---

// ViewAdmin: the 管理 hub, which lists the administration tools the
// principal may open. Allowed when at least one of AdminTools is.
const ViewAdmin Action = "admin.view"

// AdminTools are the actions of the administration tools the 管理 hub
// lists (the header keeps the daily work). Each has its own rule above;
// the hub asks Can of each and shows only those allowed.
var AdminTools = []Action{
	ManageCycles, ViewReminders, ManageIncidentTemplates,
	ListUsers, ManageTokens, ManageWebhooks,
	ViewAudit, ViewDeadJobs,
}

// canAdmin is the policy of the hub (see above).
func canAdmin(p *identity.Principal, a Action, r Resource) (allowed, known bool) {
	if a != ViewAdmin {
		return false, false
	}
	return slices.ContainsFunc(AdminTools, func(t Action) bool { return Can(p, t, r) }), true
}

// --- end of the 管理 hub ---
