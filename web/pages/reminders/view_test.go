package reminders

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/remind"
)

// TestEscalationPages: the list shows PageSize rows a page, the last page
// the rest, and says which rows of how many.
func TestEscalationPages(t *testing.T) {
	v := EscalationView{}
	for i := range 250 {
		v.Rows = append(v.Rows, Row{C: remind.Candidate{AssessmentID: int64(i + 1)}})
	}
	for _, c := range []struct {
		page, first, n int
		next           bool
	}{{0, 1, 100, true}, {1, 1, 100, true}, {2, 101, 100, true}, {3, 201, 50, false}} {
		v.Page = c.page
		rows := v.PageRows()
		if len(rows) != c.n || rows[0].C.AssessmentID != int64(c.first) || v.HasNext() != c.next {
			t.Errorf("page %d: %d rows from %d, next %v; want %d from %d, next %v",
				c.page, len(rows), rows[0].C.AssessmentID, v.HasNext(), c.n, c.first, c.next)
		}
		r := v.Range()
		if r["From"] != c.first || r["To"] != c.first+c.n-1 || r["Total"] != 250 {
			t.Errorf("page %d: range %v", c.page, r)
		}
	}
	v.Page = 4
	if v.PageRows() != nil {
		t.Errorf("page 4 of 3: %d rows", len(v.PageRows()))
	}
}
