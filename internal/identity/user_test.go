package identity

import "testing"

func TestEmailProblem(t *testing.T) {
	for in, want := range map[string]string{
		"Invitee@Example.jp":       "",
		" invitee@example.jp ":     "",
		"evil\u202Egpj@example.jp": "text.control_chars",
		"x@\u2066example.jp":       "text.control_chars",
		"bell\a@example.jp":        "text.control_chars",
		"esc\x1b[31m@example.jp":   "text.control_chars",
		"nul\x00@example.jp":       "text.bad_encoding",
		"\xff@example.jp":          "text.bad_encoding",
		"no-at-sign.example.jp":    "users.error.email",
		"two@@example.jp":          "users.error.email",
		"a b@example.jp":           "users.error.email",
	} {
		if got := EmailProblem(in); got != want {
			t.Errorf("EmailProblem(%q) = %q, want %q", in, got, want)
		}
	}
}
