package authz_test

import (
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// TestDeputyOf: a deputy acts for the absent user named by a delegation of
// the deputy's own operator, on the days of the absence only; not for
// another user, not in another operator.
func TestDeputyOf(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 12, 7+d, 0, 0, 0, 0, kijun.JST) }
	deputy := identity.NewPrincipal(3, "", "", []identity.Grant{{Role: identity.RoleOperatorStaff, OperatorID: 10, SectorCode: "electricity"}}, nil)
	deputy.Deputyships = []identity.Deputyship{
		{ID: 1, OperatorID: 10, ForUserID: 2, From: day(0), To: day(2)},
		{ID: 2, OperatorID: 11, ForUserID: 5, From: day(0), To: day(2)}, // an operator the deputy left
	}
	noon := func(d int) time.Time { return day(d).Add(12 * time.Hour) }
	for _, c := range []struct {
		name         string
		operator, of int64
		at           time.Time
		want         int64 // the delegation, 0 for none
	}{
		{"during the absence", 10, 2, noon(1), 1},
		{"its last day", 10, 2, noon(2), 1},
		{"the day before", 10, 2, noon(-1), 0},
		{"the day after", 10, 2, noon(3), 0},
		{"another user", 10, 4, noon(1), 0},
		{"another operator", 11, 5, noon(1), 0},
	} {
		d, ok := authz.DeputyOf(deputy, c.operator, c.of, c.at)
		if ok != (c.want != 0) || d.ID != c.want {
			t.Errorf("%s: DeputyOf = %d %v, want %d", c.name, d.ID, ok, c.want)
		}
	}
}
