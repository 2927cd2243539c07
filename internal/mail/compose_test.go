package mail_test

import (
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/kijun"
	kmail "github.com/kijun-portal/kijun/internal/mail"
	"github.com/kijun-portal/kijun/internal/notify"
)

// kindParams are the parameters each kind's message shows; its call site
// (internal/server, internal/postgres) passes them (a plan's also passes
// the ministry, which a notice to that ministry does not repeat).
var kindParams = map[notify.Kind][]string{
	notify.ReviewWaiting: {"Operator", "Year"}, notify.AssessmentReturned: {"Operator", "Year"},
	notify.AssessmentAccepted: {"Operator", "Year"}, notify.AssessmentCommented: {"Operator", "Year"},
	notify.CycleOpened: {"Operator", "Year"}, notify.PlanReviewWaiting: {"Plan", "Ministry"},
	notify.PlanReturned: {"Plan"}, notify.PlanAccepted: {"Plan"},
	notify.PlanCommented: {"Plan", "Ministry"}, notify.EvaluationPublished: {"Year"},
	notify.EvaluationAnswered: {"Ministry", "Sector", "Year"}, notify.CatalogPublished: {"Catalog", "Version"},
	notify.CatalogConsultationOpened: {"Catalog", "Version"}, notify.CatalogDecided: {"Catalog", "Version"},
	notify.GrantGiven: {"Role"}, notify.GrantRevoked: {"Role"},
	notify.WebhookDisabled:    {"URL"},
	notify.AssessmentExtended: {"Operator", "Year", "Date"},
	notify.ReminderDue:        {"Operator", "Year", "Due", "Days"}, notify.ReminderOverdue: {"Operator", "Year", "Due", "Days"},
	notify.BulletinPublished: {"Title", "Sender"}, notify.BulletinAckDue: {"Title", "Sender", "Due"},
	notify.InquiryAsked: {"Subject", "Operator"}, notify.InquiryAnswered: {"Subject"}, notify.InquiryEscalated: {"Subject", "Ministry"},
	// Incident notices name the report's number only: no detail of any
	// report, whatever its TLP, reaches a mail (docs/incidents.md).
	notify.IncidentFiled: {"Ref"}, notify.IncidentUpdated: {"Ref"}, notify.IncidentQuestion: {"Ref"}, notify.IncidentAnswered: {"Ref"},
	notify.AssessmentAssigned: {"Operator", "Year", "Date"}, notify.SignOffWaiting: {"Operator", "Year"},
	notify.AssessmentSentBack: {"Operator", "Year"},
	notify.DelegationSet:      {"Operator", "Name", "From", "To"},
	notify.PlanSignOffWaiting: {"Plan", "Ministry"}, notify.PlanConfirmed: {"Plan", "Ministry"}, notify.PlanSentBack: {"Plan", "Ministry"},
	notify.InquiryClosed: {"Subject"},
}

// TestEveryKindIsWritten: every kind's notice reads in both languages
// with the parameters its call site passes, and its mail's subject is
// that sentence.
func TestEveryKindIsWritten(t *testing.T) {
	for _, k := range notify.Kinds {
		names, ok := kindParams[k]
		if !ok {
			t.Errorf("%s: no parameters listed here", k)
			continue
		}
		params := map[string]kijun.Text{}
		for _, n := range names {
			params[n] = kijun.Text{Ja: "〈" + n + "〉", En: "<" + n + ">"}
		}
		for _, lang := range []kijun.Lang{kijun.Ja, kijun.En} {
			m := kmail.Compose("a@example.jp", "名前", lang, []notify.Note{{ID: 1, Kind: k, Params: params, Link: "/x"}}, "https://kijun.example.go.jp")
			for _, n := range names {
				if !strings.Contains(m.Subject, params[n].In(lang)) {
					t.Errorf("%s (%s): %q lacks %s", k, lang, m.Subject, n)
				}
			}
			if strings.Contains(m.Subject, "no value") || strings.Contains(m.Subject, "notify.kind") {
				t.Errorf("%s (%s): %q", k, lang, m.Subject)
			}
		}
	}
}
