package notify_test

import (
	"slices"
	"testing"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/notify"
)

// TestRecipients: the policy picks, among people of several tenants, the
// ones each kind is for; the actor is never told of their own change.
func TestRecipients(t *testing.T) {
	oversight := map[string][]string{"METI": {"electricity"}, "FSA": {"finance"}}
	p := func(id int64, g identity.Grant) *identity.Principal {
		return identity.NewPrincipal(id, "", "", []identity.Grant{g}, oversight)
	}
	cands := []*identity.Principal{
		p(1, identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"}),
		p(2, identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "FSA"}),
		p(3, identity.Grant{Role: identity.RoleOperatorStaff, OperatorID: 10, SectorCode: "electricity"}),
		p(4, identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: 11, SectorCode: "electricity"}),
		p(5, identity.Grant{Role: identity.RoleNCOAdmin}),
		p(6, identity.Grant{Role: identity.RoleNCOAnalyst}),
	}
	op10 := authz.Resource{SectorCode: "electricity", OperatorID: 10}
	for _, c := range []struct {
		e    notify.Event
		want []int64
	}{
		{notify.Event{Kind: notify.ReviewWaiting, Scope: op10, Actor: 3}, []int64{1}},
		{notify.Event{Kind: notify.AssessmentReturned, Scope: op10, Actor: 1}, []int64{3}},
		{notify.Event{Kind: notify.AssessmentCommented, Scope: op10, Actor: 1}, []int64{3}},
		{notify.Event{Kind: notify.AssessmentCommented, Scope: op10, Actor: 3, ToReviewers: true}, []int64{1}},
		{notify.Event{Kind: notify.PlanAccepted, Scope: authz.Resource{MinistryCode: "FSA"}, Actor: 5}, []int64{2}},
		{notify.Event{Kind: notify.EvaluationPublished, Scope: authz.Resource{MinistryCode: "METI"}, Actor: 5}, []int64{1}},
		{notify.Event{Kind: notify.PlanReviewWaiting, Scope: authz.Resource{MinistryCode: "METI"}, Actor: 1}, []int64{5}},
		{notify.Event{Kind: notify.PlanCommented, Scope: authz.Resource{MinistryCode: "METI"}, Actor: 6}, []int64{1}},
		{notify.Event{Kind: notify.PlanCommented, Scope: authz.Resource{MinistryCode: "METI"}, Actor: 1, ToReviewers: true}, []int64{5}},
		{notify.Event{Kind: notify.EvaluationAnswered, Scope: authz.Resource{MinistryCode: "FSA"}, Actor: 2}, []int64{5}},
		{notify.Event{Kind: notify.CatalogPublished, Scope: authz.Resource{MinistryCode: "FSA"}, Actor: 5}, []int64{2}},
		{notify.Event{Kind: notify.CatalogPublished, Scope: op10, Actor: 5}, []int64{3}},
		{notify.Event{Kind: notify.GrantGiven, User: 4, Actor: 5}, []int64{4}},
		// A delegation reaches its deputy only, and only one of the operator.
		{notify.Event{Kind: notify.DelegationSet, Scope: op10, User: 3, Actor: 7}, []int64{3}},
		{notify.Event{Kind: notify.DelegationSet, Scope: authz.Resource{SectorCode: "electricity", OperatorID: 11}, User: 3, Actor: 4}, nil},
		{notify.Event{Kind: notify.GrantRevoked, User: 5, Actor: 5}, nil},
	} {
		if got := notify.Recipients(c.e, cands); !slices.Equal(got, c.want) {
			t.Errorf("%s on %+v: %v, want %v", c.e.Kind, c.e.Scope, got, c.want)
		}
	}
	for _, k := range notify.Kinds {
		if k.Audience() == "" && !slices.Contains(notify.Mandatory, k) {
			t.Errorf("%s has no audience", k)
		}
	}
}
