package dashboard

import "testing"

func TestCountSuppressed(t *testing.T) {
	for n, want := range map[int]bool{0: false, 1: true, MinBenchmarkGroup - 1: true, MinBenchmarkGroup: false, 40: false} {
		if CountSuppressed(n) != want {
			t.Errorf("%d: %v", n, !want)
		}
	}
}
