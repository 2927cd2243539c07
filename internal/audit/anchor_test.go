package audit_test

import (
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/audit"
)

// TestReadAnchors reads anchors file lines and "audit anchor" log lines
// alike, and refuses a line it cannot read rather than skip it.
func TestReadAnchors(t *testing.T) {
	in := `{"at":"2026-12-06T18:00:00Z","chain":"nco","seq":3,"hash":"0a0b"}

{"time":"2026-12-06T18:00:00Z","level":"INFO","msg":"audit anchor","job":"audit-anchor","chain":"ministry:METI","seq":7,"hash":"ff"}
`
	got, err := audit.ReadAnchors(strings.NewReader(in))
	if err != nil || len(got) != 2 || got[0].Chain != "nco" || got[0].Events != 3 || got[1].Chain != "ministry:METI" || got[1].Hash[0] != 0xff {
		t.Fatalf("ReadAnchors: %v %v", got, err)
	}
	for _, bad := range []string{`{"chain":"nco","seq":3,"hash":"zz"}`, `{"chain":"nco","seq":0,"hash":"0a"}`, `{"seq":3,"hash":"0a"}`, `chain nco 3 0a`} {
		if _, err := audit.ReadAnchors(strings.NewReader(in + bad + "\n")); err == nil {
			t.Errorf("line %s accepted", bad)
		}
	}
}
