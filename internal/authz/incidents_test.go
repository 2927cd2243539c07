package authz

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/incident"
)

// TestCanIncident: the named recipients (the operator, its ministry, the
// NCO) see a report of any label; only the recipients export one, never
// TLP:RED; a summary only of a community label, by a recipient.
func TestCanIncident(t *testing.T) {
	oversight := map[string][]string{"METI": {"electricity"}, "FSA": {"finance"}}
	op := identity.NewPrincipal(1, "op", "", []identity.Grant{{Role: identity.RoleOperatorStaff, OperatorID: 7, SectorCode: "electricity"}}, oversight)
	meti := identity.NewPrincipal(2, "meti", "", []identity.Grant{{Role: identity.RoleMinistryStaff, MinistryCode: "METI"}}, oversight)
	fsa := identity.NewPrincipal(3, "fsa", "", []identity.Grant{{Role: identity.RoleMinistryStaff, MinistryCode: "FSA"}}, oversight)
	nco := identity.NewPrincipal(4, "nco", "", []identity.Grant{{Role: identity.RoleNCOAnalyst}}, nil)
	r := Resource{SectorCode: "electricity", OperatorID: 7}
	for _, tlp := range incident.TLPs {
		for _, p := range []*identity.Principal{op, meti, nco} {
			if !CanIncident(p, ViewIncident, r, tlp, false) {
				t.Errorf("%s cannot view a %s report", p.Name, tlp)
			}
		}
		if CanIncident(fsa, ViewIncident, r, tlp, false) {
			t.Errorf("another ministry views a %s report", tlp)
		}
		for _, p := range []*identity.Principal{meti, nco} {
			if got := CanIncident(p, ExportIncidents, r, tlp, false); got != (tlp != incident.Red) {
				t.Errorf("%s exports a %s report: %v", p.Name, tlp, got)
			}
			if got := CanIncident(p, ReceiveIncident, r, tlp, true); got != tlp.Community() {
				t.Errorf("%s summarises a %s report: %v", p.Name, tlp, got)
			}
		}
		if CanIncident(op, ExportIncidents, r, tlp, false) || CanIncident(op, ReceiveIncident, r, tlp, true) {
			t.Errorf("the operator exports or summarises a %s report", tlp)
		}
	}
	if CanIncident(meti, ViewIncident, r, "pink", false) {
		t.Error("an unknown label passes")
	}
}
