//go:build dev

package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestFormsDefaultToTheClocksFiscalYear: the forms that propose a fiscal
// year take it from the server's clock, on both sides of the year's edge
// (midnight of 1 April in Japan).
func TestFormsDefaultToTheClocksFiscalYear(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	clock := servertest.NewClock(time.Date(2027, 3, 31, 23, 59, 0, 0, kijun.JST))
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.Now = clock.Now })
	nco, meti := env.SignIn(t, "nco-admin"), env.SignIn(t, "meti-admin")
	check := func(fy int) {
		t.Helper()
		for _, f := range []struct {
			c          *http.Client
			path, want string
		}{
			{nco, "/cycles", fmt.Sprintf(`name="fiscal_year" min="2019" max="2200" value="%d"`, fy+1)}, // the next one
			{nco, "/cycles", fmt.Sprintf(`name="opens_on" value="%d-04-01"`, fy+1)},
			{meti, "/plans/new", fmt.Sprintf(`name="period_start" value="%d"`, fy)},
			{nco, "/evaluations/new", fmt.Sprintf(`name="fiscal_year" value="%d"`, fy)},
		} {
			if status, body := env.Get(t, f.c, f.path); status != http.StatusOK || !strings.Contains(body, f.want) {
				t.Errorf("FY%d: GET %s: %d, lacks %s", fy, f.path, status, f.want)
			}
		}
	}
	check(2026)
	clock.Advance(time.Minute)
	check(2027)
}
