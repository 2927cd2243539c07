package assessment

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Control and bidi-override characters in an answer's texts are refused on
// their field, like a text that is too long.
func TestWellFormedRefusesControlCharacters(t *testing.T) {
	a := Answer{Ref: "GV.1", How: "手順書\u202Eを整備", Remediation: Remediation{Owner: "情報\x1bシステム部"}, NAReason: "改行\r\nとタブ\tは可"}
	got := map[string]string{}
	for _, p := range a.WellFormed() {
		got[p.Field] = p.MessageID
	}
	want := map[string]string{"how": kijun.MsgTextControl, "remediation_owner": kijun.MsgTextControl}
	if len(got) != len(want) || got["how"] != want["how"] || got["remediation_owner"] != want["remediation_owner"] {
		t.Errorf("WellFormed problems %v, want %v", got, want)
	}
}
