package register

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/identity"
)

// TestContactEmailIsTheDirectorysRule: a contact's address is accepted
// exactly when the user directory would accept it (one rule of what an
// address is).
func TestContactEmailIsTheDirectorysRule(t *testing.T) {
	for _, a := range []string{"soumu@example.jp", "Soumu@Example.JP", "a.@example.jp", "山田@例え.jp",
		"a@b@example.jp", "a b@example.jp", "@example.jp", "soumu@", "soumu"} {
		c := Contact{Role: "窓口", Email: a}
		_, want := identity.NormalizeEmail(a)
		if got := c.Validate() == nil; got != want {
			t.Errorf("%q: contact accepted %v, directory %v", a, got, want)
		}
	}
}
