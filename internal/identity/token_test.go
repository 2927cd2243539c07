package identity

import (
	"strings"
	"testing"
)

func TestClientIDProblem(t *testing.T) {
	for id, want := range map[string]string{
		"meti-ledger":               "",
		"00000000-0000-0000-0000-0": "",
		" ":                         "oauth.error.client_id_required",
		strings.Repeat("x", 255):    "",
		strings.Repeat("x", 256):    "oauth.error.client_id_too_long",
		"a\x01b":                    "text.control_chars",
	} {
		if got := ClientIDProblem(id); got != want {
			t.Errorf("ClientIDProblem(%q) = %q, want %q", id, got, want)
		}
	}
}
