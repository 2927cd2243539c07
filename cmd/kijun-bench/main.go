// Command kijun-bench is the load generator behind `make bench`: it
// prepares a database of synthetic national-scale data, starts `kijun
// serve` on a loopback port, drives it with concurrent signed-in sessions
// and writes the figures into docs/performance.md. A development tool; it
// never talks to anything but the loopback interface and the local
// PostgreSQL.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kijun-portal/kijun/cmd/kijun-bench/internal/bench"
)

func main() {
	var o bench.Options
	flag.IntVar(&o.Operators, "operators", 20000, "synthetic operators")
	flag.IntVar(&o.Cycles, "cycles", 5, "synthetic yearly cycles")
	flag.Uint64Var(&o.Seed, "seed", 1, "synthetic data seed")
	flag.BoolVar(&o.Reseed, "reseed", false, "regenerate the database even if it already holds this much data")
	flag.BoolVar(&o.SeedOnly, "seed-only", false, "prepare the database and stop")
	flag.StringVar(&o.Database, "database", "", "database to create (dropped and recreated when the data do not match); default kijun_bench_<operators>x<cycles>")
	flag.StringVar(&o.DataDir, "data-dir", ".data", "where a private PostgreSQL cluster is kept if one is needed")
	flag.StringVar(&o.Kijun, "kijun", "bin/kijun", "the kijun binary to serve with")
	flag.DurationVar(&o.Duration, "duration", 10*time.Second, "measuring time per endpoint and run")
	flag.IntVar(&o.Runs, "runs", 3, "repeated runs; medians are reported")
	flag.StringVar(&o.Out, "out", "docs/performance.md", "file whose generated section receives the figures (empty: stdout only)")
	only := flag.String("only", "", "comma-separated parts of endpoint names to measure (e.g. save,ministry); the report is then not written")
	flag.Parse()
	if *only != "" {
		o.Only, o.Out = strings.Split(*only, ","), ""
	}
	if o.Database == "" {
		o.Database = fmt.Sprintf("kijun_bench_%dx%d", o.Operators, o.Cycles)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench.Run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "kijun-bench:", err)
		os.Exit(1)
	}
}
