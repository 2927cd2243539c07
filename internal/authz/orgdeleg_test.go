package authz_test

import (
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// TestInternalCheckPolicy: the internal check (社内確認) is the operator's
// admins' and reviewers' (社内確認者), for their own operator; a reviewer
// administers no user; staff do neither.
func TestInternalCheckPolicy(t *testing.T) {
	grant := func(role identity.Role, op int64) identity.Grant {
		return identity.Grant{Role: role, OperatorID: op, SectorCode: "electricity"}
	}
	p := func(id int64, gs ...identity.Grant) *identity.Principal {
		return identity.NewPrincipal(id, "", "", gs, nil)
	}
	admin, reviewer, staff := p(1, grant(identity.RoleOperatorAdmin, 10)), p(2, grant(identity.RoleOperatorReviewer, 10)), p(3, grant(identity.RoleOperatorStaff, 10))
	own, other := authz.Resource{SectorCode: "electricity", OperatorID: 10}, authz.Resource{SectorCode: "electricity", OperatorID: 11}
	for _, c := range []struct {
		name string
		p    *identity.Principal
		a    authz.Action
		r    authz.Resource
		want bool
	}{
		{"admin checks", admin, authz.SignOffAssessment, own, true},
		{"reviewer checks", reviewer, authz.SignOffAssessment, own, true},
		{"reviewer checks on the route", reviewer, authz.SignOffAssessment, authz.Resource{}, true},
		{"reviewer not another operator's", reviewer, authz.SignOffAssessment, other, false},
		{"staff do not check", staff, authz.SignOffAssessment, own, false},
		{"reviewer views", reviewer, authz.ViewAssessment, own, true},
		{"reviewer answers, as staff do", reviewer, authz.AnswerAssessment, own, true},
		{"reviewer records an absence", reviewer, authz.ManageDelegation, own, true},
		{"staff record none", staff, authz.ManageDelegation, own, false},
		{"reviewer lists no users", reviewer, authz.ListUsers, own, false},
		{"reviewer grants nothing", reviewer, authz.ManageGrants, own, false},
		{"reviewer assigns nothing", reviewer, authz.AssignAssessment, own, false},
		{"reviewer reads no audit", reviewer, authz.ViewAudit, own, false},
		{"reviewer issues no token", reviewer, authz.ManageTokens, own, false},
	} {
		if got := authz.Can(c.p, c.a, c.r); got != c.want {
			t.Errorf("%s: Can(%s) = %v, want %v", c.name, c.a, got, c.want)
		}
	}
	if authz.CanGrant(reviewer, identity.RoleOperatorStaff, own) || !authz.CanGrant(admin, identity.RoleOperatorReviewer, own) ||
		authz.CanGrant(admin, identity.RoleOperatorReviewer, other) {
		t.Error("only the operator's admin grants the reviewer role, of its own operator")
	}
	if identity.RoleOperatorReviewer.ScopeKind() != "operator" || !identity.RoleOperatorReviewer.Valid() {
		t.Error("the reviewer is an operator role")
	}
}

// TestDeputyPolicy: a deputy does the internal check of the absent user's
// operator only while the absence lasts (days in Japan, both ends
// inclusive), only as a user of that operator, and never for themselves.
func TestDeputyPolicy(t *testing.T) {
	now := time.Now().In(kijun.JST)
	day := func(d int) time.Time {
		y, m, dd := now.AddDate(0, 0, d).Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC) // a date column reads as UTC midnight
	}
	staff := func(d ...identity.Deputyship) *identity.Principal {
		p := identity.NewPrincipal(3, "", "", []identity.Grant{{Role: identity.RoleOperatorStaff, OperatorID: 10, SectorCode: "electricity"}}, nil)
		p.Deputyships = d
		return p
	}
	own, other := authz.Resource{SectorCode: "electricity", OperatorID: 10}, authz.Resource{SectorCode: "electricity", OperatorID: 11}
	for _, c := range []struct {
		name string
		d    identity.Deputyship
		r    authz.Resource
		want bool
	}{
		{"during", identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 1, From: day(-1), To: day(1)}, own, true},
		{"on its first day", identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 1, From: day(0), To: day(2)}, own, true},
		{"on its last day", identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 1, From: day(-2), To: day(0)}, own, true},
		{"before", identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 1, From: day(1), To: day(3)}, own, false},
		{"after", identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 1, From: day(-3), To: day(-1)}, own, false},
		{"another operator's assessment", identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 1, From: day(-1), To: day(1)}, other, false},
		{"an operator the deputy is not in", identity.Deputyship{ID: 1, OperatorID: 11, ForUserID: 1, From: day(-1), To: day(1)}, other, false},
		{"for themselves", identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 3, From: day(-1), To: day(1)}, own, false},
	} {
		p := staff(c.d)
		if got := authz.Can(p, authz.SignOffAssessment, c.r); got != c.want {
			t.Errorf("%s: Can(SignOffAssessment) = %v, want %v", c.name, got, c.want)
		}
		if _, got := authz.DeputyFor(p, c.r.OperatorID, now); got != c.want {
			t.Errorf("%s: DeputyFor = %v, want %v", c.name, got, c.want)
		}
		// A deputyship gives nothing else: no assignment, no delegation
		// of one's own, no user administration.
		for _, a := range []authz.Action{authz.AssignAssessment, authz.ManageDelegation, authz.ManageGrants} {
			if authz.Can(p, a, c.r) {
				t.Errorf("%s: a deputy may %s", c.name, a)
			}
		}
	}
	// The route asks "anywhere at all": a deputy today passes, one
	// tomorrow does not.
	if !authz.Can(staff(identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 1, From: day(0), To: day(0)}), authz.SignOffAssessment, authz.Resource{}) ||
		authz.Can(staff(identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 1, From: day(1), To: day(1)}), authz.SignOffAssessment, authz.Resource{}) {
		t.Error("the route's check of a deputy")
	}
	// The list of those that hold now: what "assigned to me" adds.
	ds := authz.Deputyships(staff(identity.Deputyship{ID: 1, OperatorID: 10, ForUserID: 1, From: day(-1), To: day(1)},
		identity.Deputyship{ID: 2, OperatorID: 10, ForUserID: 2, From: day(1), To: day(2)}), now)
	if len(ds) != 1 || ds[0].ID != 1 {
		t.Errorf("Deputyships: %+v", ds)
	}
}
