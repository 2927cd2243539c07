package plan

import (
	"strings"
	"time"
)

// The ministry's internal check of its plans (docs/plans.md, "The
// ministry's internal check"), built like the operator's 社内確認 of a
// self-assessment (internal/assessment/signoff.go). A ministry may require
// it (ministry_plan_checks); then a draft goes to the NCO only after its
// staff asked for the check (社内確認の依頼) and one of its admins
// confirmed it (社内確認済み) — or sent it back for rework (再作業依頼)
// with a comment. Any change of the draft after the confirmation voids it.
// The submission names the confirmation it rests on (who confirmed,
// when), which the NCO sees. This file is the one home of the rules; the
// store asks them, and the database's triggers
// (kijun_plan_versions_internal_check, kijun_plan_signoff_void_on_edit)
// hold the same for every writer, which the store's tests derive from
// here.

// SignOffStep is one step of the internal check.
type SignOffStep string

const (
	SignOffRequested SignOffStep = "requested" // 社内確認の依頼 (the ministry's users)
	SignOffConfirmed SignOffStep = "confirmed" // 社内確認済み (an admin)
	SignOffSentBack  SignOffStep = "sent_back" // 再作業依頼 (an admin, with a comment)
)

// SignOffSteps lists the steps.
var SignOffSteps = []SignOffStep{SignOffRequested, SignOffConfirmed, SignOffSentBack}

// VoidEdited is why a confirmation no longer holds: the draft changed
// after it.
const VoidEdited = "edited"

// SignOffVoidedBy is the rule of what ends a confirmation: any change of
// the draft's content after it — its general sections, a profile row, a
// supplementary control added, changed or removed, its period.
var SignOffVoidedBy = []string{"general", "profile", "supplementary", "period"}

// SignOff is one step of the internal check of a plan version.
type SignOff struct {
	ID        int64
	VersionID int64
	Step      SignOffStep
	Comment   string
	ByID      int64
	ByName    string
	At        time.Time
	VoidedAt  *time.Time
	VoidedWhy string
}

// Current reports whether s is a confirmation that still holds.
func (s SignOff) Current() bool { return s.Step == SignOffConfirmed && s.VoidedAt == nil }

// CheckState is where a draft is in its internal check.
type CheckState string

const (
	CheckNone      CheckState = "none"      // never asked, or a confirmation voided and not asked again
	CheckRequested CheckState = "requested" // waiting for an admin
	CheckConfirmed CheckState = "confirmed" // a current confirmation
	CheckSentBack  CheckState = "sent_back" // back with the admin's comment
)

// StateOf returns the state of a version's check from its steps (any
// order) and the current confirmation, if any.
func StateOf(steps []SignOff) (CheckState, *SignOff) {
	var last *SignOff
	for i := range steps {
		if last == nil || steps[i].ID > last.ID {
			last = &steps[i]
		}
	}
	switch {
	case last == nil:
		return CheckNone, nil
	case last.Current():
		return CheckConfirmed, last
	case last.Step == SignOffRequested:
		return CheckRequested, nil
	case last.Step == SignOffSentBack:
		return CheckSentBack, nil
	}
	return CheckNone, nil // the last confirmation was voided
}

// Messages of the internal check.
const (
	MsgNotChecked     = "plans.signoff.error.not_confirmed"
	MsgCheckOff       = "plans.signoff.error.off"
	MsgCheckNotDraft  = "plans.signoff.error.not_draft"
	MsgCheckRequested = "plans.signoff.error.already_requested"
	MsgCheckConfirmed = "plans.signoff.error.already_confirmed"
	MsgCheckNoRequest = "plans.signoff.error.not_requested"
	MsgCheckComment   = "plans.signoff.error.comment_required"
	MsgCheckDecision  = "plans.signoff.error.decision"
)

// CanSubmit is the rule of submitting to the NCO: when the ministry
// requires its internal check, a current confirmation stands (current is
// it, nil when none holds). It returns the message id of a refusal, or "".
func CanSubmit(required bool, current *SignOff) string {
	if required && (current == nil || !current.Current()) {
		return MsgNotChecked
	}
	return ""
}

// CanRequest is the rule of asking for the check: the ministry requires
// it, the version is a draft, and it is not already asked for or
// confirmed.
func CanRequest(required bool, s Status, state CheckState) string {
	switch {
	case !required:
		return MsgCheckOff
	case s != Draft:
		return MsgCheckNotDraft
	case state == CheckRequested:
		return MsgCheckRequested
	case state == CheckConfirmed:
		return MsgCheckConfirmed
	}
	return ""
}

// CanDecide is the rule of an admin's decision: confirm or send back a
// draft whose check was asked for; sending back needs a comment.
func CanDecide(required bool, s Status, state CheckState, step SignOffStep, comment string) string {
	switch {
	case step != SignOffConfirmed && step != SignOffSentBack:
		return MsgCheckDecision
	case !required:
		return MsgCheckOff
	case s != Draft:
		return MsgCheckNotDraft
	case state != CheckRequested:
		return MsgCheckNoRequest
	case step == SignOffSentBack && strings.TrimSpace(comment) == "":
		return MsgCheckComment
	}
	return ""
}
