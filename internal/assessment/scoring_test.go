package assessment

import (
	"testing"
)

func TestScoreE4RoundsHalfAwayFromZero(t *testing.T) {
	for _, c := range []struct {
		sum        int64
		applicable int
		want       int64
	}{
		{200, 3, 6667},  // 2/3
		{100, 3, 3333},  // 1/3
		{50, 8, 625},    // 0.0625 exactly
		{1, 8, 13},      // 0.00125 → 0.0013 (half rounds up)
		{0, 5, 0},       // all not implemented
		{500, 5, 10000}, // all implemented
	} {
		if got := scoreE4(c.sum, c.applicable); got != c.want {
			t.Errorf("scoreE4(%d, %d) = %d, want %d", c.sum, c.applicable, got, c.want)
		}
	}
}
