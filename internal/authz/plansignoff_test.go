package authz

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/identity"
)

// TestCanPlanSignOff: a ministry's users ask for the internal check of its
// plans, its admins decide; nobody of another ministry, the NCO or an
// operator does either.
func TestCanPlanSignOff(t *testing.T) {
	oversight := map[string][]string{"METI": {"electricity"}, "FSA": {"finance"}}
	p := func(g identity.Grant) *identity.Principal {
		return identity.NewPrincipal(1, "", "", []identity.Grant{g}, oversight)
	}
	staff := p(identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	admin := p(identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "METI"})
	fsaAdmin := p(identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "FSA"})
	nco := p(identity.Grant{Role: identity.RoleNCOAdmin})
	op := p(identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: 7, SectorCode: "electricity"})
	meti := Resource{MinistryCode: "METI"}
	for _, c := range []struct {
		name    string
		p       *identity.Principal
		request bool
		decide  bool
	}{
		{"METI staff", staff, true, false},
		{"METI admin", admin, true, true},
		{"FSA admin", fsaAdmin, false, false},
		{"NCO admin", nco, false, false},
		{"operator admin", op, false, false},
	} {
		if got := Can(c.p, RequestPlanSignOff, meti); got != c.request {
			t.Errorf("%s asking for METI's check: %v", c.name, got)
		}
		if got := Can(c.p, SignOffPlan, meti); got != c.decide {
			t.Errorf("%s deciding METI's check: %v", c.name, got)
		}
	}
}
