package assessment

import (
	"strings"
	"time"
)

// Inside the operator (docs/assessment.md, "Inside the operator"). An
// operator admin assigns sections (区分) or single controls to the
// operator's staff, each due by a day inside the cycle; an assignee marks
// the assignment ready (準備完了). When every assignment is ready, an
// operator admin either confirms the assessment (社内確認: 確認済み) or
// sends it back inside the operator (社内差戻し) with a comment, which
// makes every assignment not ready again. Only a confirmed assessment is
// submitted to the ministry, and the submission names the confirmation it
// rests on (who confirmed, when).

// Assignment is a section, or one control of it, given to a member of
// the operator's staff.
type Assignment struct {
	ID           int64
	AssessmentID int64
	OperatorID   int64
	SectorCode   string
	Section      string
	Ref          string // "": the whole section
	AssigneeID   int64
	AssigneeName string
	DueOn        time.Time
	AssignedBy   int64
	AssignedAt   time.Time
	ReadyAt      *time.Time
	// Of the assessment, for the "assigned to me" list.
	FiscalYear   int
	OperatorName string
	Status       Status
	// DeputyFor names the absent assignee when the list is a deputy's
	// (代理); "" for the reader's own.
	DeputyFor string
}

// Ready reports whether the assignee marked the assignment ready.
func (a Assignment) Ready() bool { return a.ReadyAt != nil }

// SignOffDecision is what an internal check decided.
type SignOffDecision string

const (
	SignOffConfirmed SignOffDecision = "confirmed" // 社内確認済み
	SignOffSentBack  SignOffDecision = "sent_back" // 再作業依頼
)

// VoidReason says why a confirmation no longer holds.
type VoidReason string

const (
	// VoidAnswerChanged: an answer or its evidence changed after the
	// confirmation.
	VoidAnswerChanged VoidReason = "answer_changed"
	// VoidReturned: the ministry returned the submission it rested on.
	VoidReturned VoidReason = "returned"
)

// SignOff is one internal check of an assessment.
type SignOff struct {
	ID           int64
	AssessmentID int64
	Decision     SignOffDecision
	Comment      string
	ByID         int64
	ByName       string
	At           time.Time
	VoidedAt     *time.Time
	VoidedWhy    VoidReason
	// A deputy's check (代理): the delegation it rests on and the absent
	// user it was done for; zero otherwise.
	DelegationID int64
	OnBehalfOf   int64
	OnBehalfName string
}

// ByDeputy reports whether a deputy did the check for an absent user.
func (s SignOff) ByDeputy() bool { return s.DelegationID != 0 }

// Current reports whether s is a confirmation that still holds.
func (s SignOff) Current() bool { return s.Decision == SignOffConfirmed && s.VoidedAt == nil }

// SignOffVoidedBy is the rule of what ends a confirmation: any change of
// an answer or of evidence after it (an edit, a carried-forward answer
// confirmed, a file added or removed), and the ministry's return of the
// submission it rested on. The database's triggers
// (kijun_signoff_void_on_edit, kijun_assessments_signoff) apply it for
// every writer; a store test walks both.
var SignOffVoidedBy = []VoidReason{VoidAnswerChanged, VoidReturned}

// Messages of the internal check.
const (
	MsgNotConfirmed     = "orgflow.error.not_confirmed"
	MsgNotAllReady      = "orgflow.error.not_all_ready"
	MsgSendBackComment  = "orgflow.error.comment_required"
	MsgAssignDueAfter   = "orgflow.error.due_after_assessment"
	MsgAssignDuePassed  = "orgflow.error.due_passed"
	MsgAssignNotStaff   = "orgflow.error.not_staff"
	MsgAssignNoSection  = "orgflow.error.section"
	MsgNotEditableCheck = "orgflow.error.not_editable"
	MsgBadDecision      = "orgflow.error.decision"
)

// CanSubmit is the rule of submitting: the assessment's status moves to
// submitted (CanMoveTo) and a current confirmation stands (current is
// the confirmation, nil when none holds). It returns the message id of a
// refusal, or "".
func CanSubmit(s Status, current *SignOff) string {
	if !s.CanMoveTo(Submitted) {
		return "assessment.transition"
	}
	if current == nil || !current.Current() {
		return MsgNotConfirmed
	}
	return ""
}

// CanSignOff is the rule of an internal check: the assessment is one the
// operator still edits, and every assignment is ready. Sending back needs
// a comment. It returns the message id of a refusal, or "".
func CanSignOff(s Status, d SignOffDecision, comment string, assignments []Assignment) string {
	if d != SignOffConfirmed && d != SignOffSentBack {
		return MsgBadDecision
	}
	if !s.Editable() {
		return MsgNotEditableCheck
	}
	if d == SignOffSentBack {
		if strings.TrimSpace(comment) == "" {
			return MsgSendBackComment
		}
		return ""
	}
	for _, a := range assignments {
		if !a.Ready() {
			return MsgNotAllReady
		}
	}
	return ""
}

// CheckAssignmentDue returns what is wrong with an assignment due on due
// for an assessment due on assessmentDue, at now (days in Japan): it
// falls due inside the cycle — not after the assessment's effective due
// date (Due) — and not in the past. "" when it is fine.
func CheckAssignmentDue(due, assessmentDue, now time.Time) string {
	switch {
	case Day(due).After(Day(assessmentDue)):
		return MsgAssignDueAfter
	case Day(due).Before(Day(now)):
		return MsgAssignDuePassed
	}
	return ""
}
