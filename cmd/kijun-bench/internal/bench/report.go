package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Machine is where the figures were taken.
type Machine struct {
	CPUs       int
	CPUModel   string
	MemoryMB   int64
	Load       string // /proc/loadavg at the start
	Go         string
	PostgreSQL string
	Date       time.Time
}

func machine(ctx context.Context, db *pgxpool.Pool) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), Date: time.Now()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
				m.MemoryMB = kb / 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.Load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	_ = db.QueryRow(ctx, `SHOW server_version`).Scan(&m.PostgreSQL)
	return m
}

// Markers delimit the section of docs/performance.md that make bench
// rewrites.
const (
	BeginMarker = "<!-- BEGIN make bench: generated, do not edit by hand -->"
	EndMarker   = "<!-- END make bench -->"
)

// writeGenerated replaces the generated section of path (appending one if
// there is none).
func writeGenerated(path, md string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	block := BeginMarker + "\n\n" + md + "\n" + EndMarker
	i, j := strings.Index(s, BeginMarker), strings.Index(s, EndMarker)
	if i >= 0 && j > i {
		s = s[:i] + block + s[j+len(EndMarker):]
	} else {
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		s += "\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

func f1(d time.Duration) string { return fmt.Sprintf("%.1f", ms(d)) }

// Markdown renders the figures: medians over the runs, and ratios taken
// within each run before the median.
func (r Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "Measured %s on %d CPUs (%s), %d MB memory, load average at start %s; %s, PostgreSQL %s.\n\n",
		m.Date.Format("2006-01-02 15:04 MST"), m.CPUs, m.CPUModel, m.MemoryMB, m.Load, m.Go, m.PostgreSQL)
	fmt.Fprintf(&b, "Data: %d synthetic operators × %d cycles", r.DB.Operators, r.DB.Cycles)
	if r.DB.Seeded {
		fmt.Fprintf(&b, "; the synthetic seed wrote %d answers and %d rollup rows in **%s**",
			r.DB.Result.Answers, r.DB.Result.Rollups, r.DB.SeedTime.Round(time.Second))
	} else {
		b.WriteString(" (database reused from an earlier run; seed time not measured this time)")
	}
	fmt.Fprintf(&b, ".\nEach figure is the median of %d runs of %s (after %s of warm-up); HTTP latency is measured by the client on loopback; server time is the server's own duration_ms from its request log over the same requests.\n\n",
		r.Runs, r.Duration, r.Duration/10)
	fmt.Fprintf(&b, "**Saturated**: each user sends its next request as soon as the last is answered, so the machine is always busy and latency is mostly queueing (by Little's law, users ÷ requests per second); this gives each endpoint's capacity and its cost against its bare SQL, run the same way in turns of %s with it, so that both see the same machine. The ratio is HTTP ÷ bare SQL at the same percentile, taken within each run, then the median.\n\n", Slice)
	b.WriteString("| endpoint | users | HTTP p50 / p95 / p99 ms | server time p50 / p95 / p99 ms | HTTP req/s | bare SQL p50 / p95 / p99 ms | SQL q/s | ratio p50 / p95 | errors |\n")
	b.WriteString("|---|---:|---|---|---:|---|---:|---|---:|\n")
	for _, l := range r.Lines {
		e := l.Endpoint
		sqlP := func(f func(Stats) time.Duration) time.Duration { return median(pick(l.SQL, f)) }
		sql := fmt.Sprintf("%s / %s / %s", f1(sqlP(p50)), f1(sqlP(p95)), f1(sqlP(p99)))
		sqlRate := fmt.Sprintf("%.0f", median(pickF(l.SQL, rate)))
		errs := 0
		for _, s := range append(append([]Stats{}, l.HTTP...), l.SQL...) {
			errs += s.Errors
		}
		if !l.Available {
			fmt.Fprintf(&b, "| %s `%s %s` | %d | not available yet (404) | — | — | %s | %s | — | %d |\n", e.Name, e.Method, e.Path, e.Concurrency, sql, sqlRate, errs)
			continue
		}
		hp := func(f func(Stats) time.Duration) time.Duration { return median(pick(l.HTTP, f)) }
		sp := func(f func(Stats) time.Duration) time.Duration { return median(pick(l.Server, f)) }
		fmt.Fprintf(&b, "| %s `%s %s` | %d | %s / %s / %s | %s / %s / %s | %.0f | %s | %s | %.1f× / %.1f× | %d |\n", e.Name, e.Method, e.Path, e.Concurrency,
			f1(hp(p50)), f1(hp(p95)), f1(hp(p99)), f1(sp(p50)), f1(sp(p95)), f1(sp(p99)),
			median(pickF(l.HTTP, rate)), sql, sqlRate, l.ratio(p50), l.ratio(p95), errs)
	}
	b.WriteString("\n**At the users' pace**: the same users each send their samples at random times, on average one per pace (a Poisson process), one at a time; latency runs from the time a sample was due, so a late answer also delays the next sample's figure. A person's pace is a page or a saved answer every second; an API client's is one request per token as often as the default rate limit allows. This is the latency the targets are about.\n\n")
	b.WriteString("| endpoint | users | pace | HTTP p50 / p95 / p99 ms | server time p50 / p95 / p99 ms | HTTP req/s | errors |\n")
	b.WriteString("|---|---:|---:|---|---|---:|---:|\n")
	for _, l := range r.Lines {
		if !l.Available || len(l.Paced) == 0 {
			continue
		}
		e := l.Endpoint
		errs := 0
		for _, s := range l.Paced {
			errs += s.Errors
		}
		hp := func(f func(Stats) time.Duration) time.Duration { return median(pick(l.Paced, f)) }
		sp := func(f func(Stats) time.Duration) time.Duration { return median(pick(l.PacedServer, f)) }
		fmt.Fprintf(&b, "| %s | %d | %d ms | %s / %s / %s | %s / %s / %s | %.0f | %d |\n", e.Name, e.Concurrency, e.Pace.Milliseconds(),
			f1(hp(p50)), f1(hp(p95)), f1(hp(p99)), f1(sp(p50)), f1(sp(p95)), f1(sp(p99)), median(pickF(l.Paced, rate)), errs)
	}
	b.WriteString("\nBare SQL per endpoint, as the user's principal (a page's after its session and principal are read as the server reads them):\n\n")
	for _, l := range r.Lines {
		fmt.Fprintf(&b, "- %s: %s.\n", l.Endpoint.Name, l.Endpoint.SQLName)
	}
	fmt.Fprintf(&b, "\nServer memory (VmRSS / VmHWM of `kijun serve`): %.0f MB after start, %.0f MB highest during the endpoint runs, ",
		mb(r.IdleRSSKB), mb(r.LoadRSSKB))
	if r.Export != nil {
		fmt.Fprintf(&b, "%.0f MB highest during the national CSV export (HTTP %d, %.1f MB in %s), ",
			mb(r.Export.PeakRSSKB), r.Export.Status, float64(r.Export.Bytes)/1e6, r.Export.Elapsed.Round(time.Millisecond))
	} else {
		fmt.Fprintf(&b, "national CSV export %s, ", r.ExportMsg)
	}
	fmt.Fprintf(&b, "peak over the whole run **%.0f MB**.\n", mb(r.PeakRSSKB))
	b.WriteString("\nTargets, reported, not asserted (latency at the client, at the users' pace; the ratios saturated, as in the first table):\n\n")
	b.WriteString("| what | figure | target | |\n|---|---|---|---|\n")
	for _, l := range r.Lines {
		if !l.Available {
			continue
		}
		if l.Endpoint.Method != "GET" {
			share, p99h := l.rateShare(), median(pick(l.Paced, p99))
			fmt.Fprintf(&b, "| %s | %.0f saves/s saturated, %.3f× the bare UPDATE's %.0f per second; p99 %s ms at the users' pace (server %s ms) | ≥ %.1f×; p99 ≤ %d ms | ratio %s, p99 %s |\n", l.Endpoint.Name,
				median(pickF(l.HTTP, rate)), share, median(pickF(l.SQL, rate)), f1(p99h), f1(median(pick(l.PacedServer, p99))),
				SaveShare, PageP95.Milliseconds(), verdict(share >= SaveShare), verdict(p99h <= PageP95))
			continue
		}
		p95h, ratio := median(pick(l.Paced, p95)), l.ratio(p95)
		fmt.Fprintf(&b, "| %s | p95 %s ms at the users' pace (server %s ms); saturated, %.1f× its bare SQL | p95 ≤ %d ms, ≤ %.0f× | p95 %s, ratio %s |\n", l.Endpoint.Name,
			f1(p95h), f1(median(pick(l.PacedServer, p95))), ratio, PageP95.Milliseconds(), PageRatio, verdict(p95h <= PageP95), verdict(ratio <= PageRatio))
	}
	if r.PeakRSSKB > 0 { // not measured when only some endpoints run
		fmt.Fprintf(&b, "| Server peak RSS | %.0f MB | ≤ 200 MB | %s |\n", mb(r.PeakRSSKB), verdict(mb(r.PeakRSSKB) <= 200))
	}
	if r.DB.Seeded {
		fmt.Fprintf(&b, "| Synthetic seed | %s for %d answers | ≤ 5 min for 10 M | %s |\n", r.DB.SeedTime.Round(time.Second), r.DB.Result.Answers,
			verdict(r.DB.SeedTime <= 5*time.Minute))
	}
	return b.String()
}

// The targets: every page (dashboards included) p95 ≤ PageP95 at the
// client and ≤ PageRatio× its bare SQL at p95; the autosave ≥ SaveShare×
// the bare UPDATE's rate with p99 ≤ PageP95.
const (
	PageP95   = 50 * time.Millisecond
	PageRatio = 2.0
	SaveShare = 0.3
)

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "**missed**"
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

func p50(s Stats) time.Duration { return s.P50 }
func p95(s Stats) time.Duration { return s.P95 }
func p99(s Stats) time.Duration { return s.P99 }
func rate(s Stats) float64      { return s.PerSecond }
func pick(ss []Stats, f func(Stats) time.Duration) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}
func pickF(ss []Stats, f func(Stats) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

// ratio is HTTP ÷ bare SQL at a percentile, taken within each run, then
// the median.
// rateShare is the endpoint's requests per second ÷ its bare SQL's
// queries per second, taken within each run, then the median.
func (l Line) rateShare() float64 {
	var rs []float64
	for i := range l.HTTP {
		if i < len(l.SQL) && l.SQL[i].PerSecond > 0 {
			rs = append(rs, l.HTTP[i].PerSecond/l.SQL[i].PerSecond)
		}
	}
	return median(rs)
}

func (l Line) ratio(f func(Stats) time.Duration) float64 {
	var rs []float64
	for i := range l.HTTP {
		if i < len(l.SQL) && f(l.SQL[i]) > 0 {
			rs = append(rs, float64(f(l.HTTP[i]))/float64(f(l.SQL[i])))
		}
	}
	return median(rs)
}
