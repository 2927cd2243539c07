package plan

import "testing"

func TestCanSubmitAsEveryPair(t *testing.T) {
	for _, required := range []bool{false, true} {
		for _, admin := range []bool{false, true} {
			want := ""
			if required && !admin {
				want = MsgAdminSubmits
			}
			if got := CanSubmitAs(required, admin); got != want {
				t.Errorf("required %v, admin %v: %q, want %q", required, admin, got, want)
			}
		}
	}
}
