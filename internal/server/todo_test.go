//go:build dev

package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestToDoListsKeepEarlierOpenCycles: when FY2027 opens while FY2026 is
// still open, the operator's unfinished FY2026 assessment and the
// ministry's pending FY2026 review stay on the home page and in the
// assessment list, next to the new year's.
func TestToDoListsKeepEarlierOpenCycles(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	fy26 := env.SmallCycle(t, "todo-2026", 2026)
	// Kitahama submitted FY2026 (pending review); Toto has not finished.
	tx, err := env.DB.Owner.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		sql string
		id  int64
	}{{`SET LOCAL session_replication_role = replica`, 0},
		{`UPDATE assessments SET status = 'in_progress' WHERE id = $1`, fy26["2010401000001"]},
		{`UPDATE assessments SET status = 'submitted', submitted_at = now() WHERE id = $1`, fy26["1010401000002"]}} {
		args := []any{}
		if step.id != 0 {
			args = append(args, step.id)
		}
		if _, err := tx.Exec(context.Background(), step.sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	fy27 := env.SmallCycle(t, "todo-2027", 2027)

	toto, meti := env.SignIn(t, "toto-staff"), env.SignIn(t, "meti-staff")
	_, body := env.Get(t, toto, "/")
	if !strings.Contains(body, "/assessments/"+itoa64(fy26["2010401000001"])) || !strings.Contains(body, "/assessments/"+itoa64(fy27["2010401000001"])) {
		t.Errorf("the operator's home lost the FY2026 assessment or lacks FY2027:\n%.4000s", body)
	}
	_, body = env.Get(t, meti, "/")
	if !strings.Contains(body, "/assessments/"+itoa64(fy26["1010401000002"])) {
		t.Errorf("the ministry's home lost the FY2026 review:\n%.4000s", body)
	}
	_, body = env.Get(t, meti, "/assessments?status=submitted")
	if !strings.Contains(body, "/assessments/"+itoa64(fy26["1010401000002"])) {
		t.Errorf("the list of pending reviews lost FY2026:\n%.4000s", body)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
