package bench

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
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

func TestMarkdownTargets(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	page := func(name string, p95, sqlP95 int) Line {
		// Saturated, the page takes twice its pace's p95: the targets
		// read the paced latency and the saturated ratio.
		return Line{Endpoint: Endpoint{Name: name, Method: "GET"}, Available: true,
			HTTP: []Stats{{P50: ms(1), P95: ms(2 * p95), P99: ms(2 * p95)}}, Server: []Stats{{P95: ms(2 * p95)}},
			Paced: []Stats{{P50: ms(1), P95: ms(p95), P99: ms(p95)}}, PacedServer: []Stats{{P95: ms(p95)}},
			SQL: []Stats{{P50: ms(1), P95: ms(sqlP95), P99: ms(sqlP95)}}}
	}
	save := Line{Endpoint: Endpoint{Name: "Save", Method: "POST"}, Available: true,
		HTTP: []Stats{{P99: ms(400), PerSecond: 310}}, Server: []Stats{{P99: ms(380)}},
		Paced: []Stats{{P99: ms(40), PerSecond: 32}}, PacedServer: []Stats{{P99: ms(38)}}, SQL: []Stats{{PerSecond: 1000}}}
	r := Report{Runs: 1, Lines: []Line{page("Fast", 40, 40), page("Slow", 60, 100), page("Far", 30, 20), save}, PeakRSSKB: 50 << 10}
	md := r.Markdown()
	for _, want := range []string{
		"| Fast | p95 40.0 ms at the users' pace (server 40.0 ms); saturated, 2.0× its bare SQL | p95 ≤ 50 ms, ≤ 2× | p95 met, ratio met |",
		"| Slow | p95 60.0 ms at the users' pace (server 60.0 ms); saturated, 1.2× its bare SQL | p95 ≤ 50 ms, ≤ 2× | p95 **missed**, ratio met |",
		"| Far | p95 30.0 ms at the users' pace (server 30.0 ms); saturated, 3.0× its bare SQL | p95 ≤ 50 ms, ≤ 2× | p95 met, ratio **missed** |",
		"310 saves/s saturated, 0.310× the bare UPDATE's 1000 per second; p99 40.0 ms at the users' pace (server 38.0 ms) | ≥ 0.3×; p99 ≤ 50 ms | ratio met, p99 met |",
		"| Server peak RSS | 50 MB | ≤ 200 MB | met |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

// TestPacedLoop: users at their pace send about one sample per pace each,
// and a server slower than the pace shows as growing latency (each sample
// counts from when it was due), not as a closed loop's steady service time.
func TestPacedLoop(t *testing.T) {
	vus := []*VU{{N: 0}, {N: 1}}
	fast := pacedLoop(time.Second, vus, 20*time.Millisecond, func(*VU) (string, error) { return "", nil })
	if fast.PerSecond < 60 || fast.PerSecond > 140 { // two users at 50/s each
		t.Errorf("two users at a 20 ms pace: %.0f samples/s, want about 100", fast.PerSecond)
	}
	if fast.P95 > 15*time.Millisecond {
		t.Errorf("instant answers: p95 %v", fast.P95)
	}
	slow := pacedLoop(400*time.Millisecond, vus[:1], 20*time.Millisecond, func(*VU) (string, error) {
		time.Sleep(50 * time.Millisecond)
		return "", nil
	})
	if slow.P99 < 300*time.Millisecond {
		t.Errorf("50 ms answers due every 20 ms: p99 %v, want the backlog (several hundred ms)", slow.P99)
	}
}

// TestSaturatedTakesTurns: the page and its bare SQL run in turns, each
// for its share of the time, and each is measured apart.
func TestSaturatedTakesTurns(t *testing.T) {
	var mu sync.Mutex
	var order []string
	note := func(what string, pause time.Duration) func(*VU) (string, error) {
		return func(*VU) (string, error) {
			mu.Lock()
			if len(order) == 0 || order[len(order)-1] != what {
				order = append(order, what)
			}
			mu.Unlock()
			time.Sleep(pause)
			return "", nil
		}
	}
	h, q := saturated(200*time.Millisecond, 50*time.Millisecond, []*VU{{N: 0}, {N: 1}}, note("page", 10*time.Millisecond), note("sql", 5*time.Millisecond))
	if len(order) < 8 { // warm-up page, sql, then four turns of each
		t.Errorf("turns %v", order)
	}
	if h.P50 < 10*time.Millisecond || q.P50 >= 10*time.Millisecond || q.PerSecond < 1.5*h.PerSecond {
		t.Errorf("page %+v, sql %+v: measured together", h, q)
	}
}
