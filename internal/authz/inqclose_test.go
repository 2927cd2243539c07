package authz

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/identity"
)

// TestCanCloseInquiryAndWithdrawFAQ: the ministry asked and the NCO may
// close inquiries (which thread is bulletin.CanClose's); an FAQ entry is
// withdrawn or corrected by its ministry or the NCO — never by another
// ministry, nor the NCO's own entry by a ministry; operators do neither.
func TestCanCloseInquiryAndWithdrawFAQ(t *testing.T) {
	oversight := map[string][]string{"METI": {"electricity"}, "FSA": {"finance"}}
	p := func(g identity.Grant) *identity.Principal {
		return identity.NewPrincipal(1, "", "", []identity.Grant{g}, oversight)
	}
	meti := p(identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	fsa := p(identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "FSA"})
	nco := p(identity.Grant{Role: identity.RoleNCOAnalyst})
	op := p(identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: 7, SectorCode: "electricity"})
	for _, c := range []struct {
		name             string
		p                *identity.Principal
		closeMETI        bool
		withdrawMETI     bool
		withdrawNCOEntry bool
	}{
		{"METI", meti, true, true, false},
		{"FSA", fsa, false, false, false},
		{"NCO", nco, true, true, true},
		{"operator", op, false, false, false},
	} {
		if got := Can(c.p, CloseInquiry, Resource{MinistryCode: "METI"}); got != c.closeMETI {
			t.Errorf("%s closing METI's inquiry: %v", c.name, got)
		}
		if got := CanWithdrawFAQ(c.p, "METI"); got != c.withdrawMETI {
			t.Errorf("%s withdrawing METI's entry: %v", c.name, got)
		}
		if got := CanWithdrawFAQ(c.p, ""); got != c.withdrawNCOEntry {
			t.Errorf("%s withdrawing the NCO's entry: %v", c.name, got)
		}
	}
}
