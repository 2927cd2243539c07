package kijun_test

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Principals share figures exactly when they may see the same: the key
// ignores who they are and the order of their grants, and tells apart any
// other grant.
func TestScopeKey(t *testing.T) {
	oversight := map[string][]string{"METI": {"electricity", "gas"}, "FSA": {"finance"}}
	p := func(id int64, grants ...kijun.Grant) *kijun.Principal {
		return kijun.NewPrincipal(id, "user", "u@example.jp", grants, oversight)
	}
	meti := kijun.Grant{Role: kijun.RoleMinistryStaff, MinistryCode: "METI"}
	fsa := kijun.Grant{Role: kijun.RoleMinistryStaff, MinistryCode: "FSA"}
	op := kijun.Grant{Role: kijun.RoleOperatorStaff, OperatorID: 7, SectorCode: "electricity"}
	same := [][2]*kijun.Principal{
		{p(1, meti), p(2, meti)},
		{p(1, meti, fsa), p(2, fsa, meti)},
	}
	for _, c := range same {
		if c[0].ScopeKey() != c[1].ScopeKey() {
			t.Errorf("%q and %q differ", c[0].ScopeKey(), c[1].ScopeKey())
		}
	}
	keys := map[string]bool{}
	for _, x := range []*kijun.Principal{nil, p(1), p(1, meti), p(1, fsa), p(1, meti, fsa), p(1, op),
		p(1, kijun.Grant{Role: kijun.RoleOperatorStaff, OperatorID: 8, SectorCode: "electricity"}),
		p(1, kijun.Grant{Role: kijun.RoleMinistryAdmin, MinistryCode: "METI"}), p(1, kijun.Grant{Role: kijun.RoleNCOAnalyst})} {
		k := x.ScopeKey()
		if keys[k] {
			t.Errorf("two different scopes share the key %q", k)
		}
		keys[k] = true
	}
}
