package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteGenerated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "performance.md")
	if err := os.WriteFile(path, []byte("# Performance\n\nhand-written\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, figures := range []string{"first figures", "second figures"} {
		if err := writeGenerated(path, figures); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	if !strings.Contains(s, "hand-written") || strings.Contains(s, "first figures") || !strings.Contains(s, "second figures") ||
		strings.Count(s, BeginMarker) != 1 || strings.Count(s, EndMarker) != 1 {
		t.Errorf("after two writes:\n%s", s)
	}
}

func TestStatsOf(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	s := statsOf(lat, 2, 2*time.Second, "")
	if s.P50 != 51*time.Millisecond || s.P95 != 96*time.Millisecond || s.P99 != 100*time.Millisecond || s.PerSecond != 50 || s.Errors != 2 {
		t.Errorf("statsOf = %+v", s)
	}
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median = %v", m)
	}
}
