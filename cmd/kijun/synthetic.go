package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/synthetic"
)

// syntheticFlags are the flags of `kijun seed --synthetic`.
type syntheticFlags struct {
	on        bool
	operators int
	cycles    int
	seed      uint64
	workers   int
}

func (f *syntheticFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "synthetic", false, "after the reference data, generate national-scale synthetic operators, cycles and answers (load tests only; needs a database without cycles)")
	fs.IntVar(&f.operators, "operators", 20000, "with -synthetic: how many operators")
	fs.IntVar(&f.cycles, "cycles", 5, "with -synthetic: how many yearly cycles, ending with the current fiscal year")
	fs.Uint64Var(&f.seed, "seed", 1, "with -synthetic: the same seed gives the same data")
	fs.IntVar(&f.workers, "workers", 2, "with -synthetic: parallel COPY streams")
}

// seedSynthetic runs the generator as the schema owner and prints what it
// wrote.
func seedSynthetic(ctx context.Context, databaseURL string, f syntheticFlags) error {
	db, err := postgres.Open(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	res, err := synthetic.Generate(ctx, db, synthetic.Config{
		Operators: f.operators, Cycles: f.cycles, Seed: f.seed, Workers: f.workers,
		Log: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "[%6.1fs] "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
		},
	})
	if err != nil {
		return fmt.Errorf("synthetic data: %w", err)
	}
	fmt.Printf("synthetic data: %d operators, %d cycles, %d assessments, %d answers, %d rollup rows, %d history rows, %d users in %s\n",
		res.Operators, len(res.Cycles), res.Assessments, res.Answers, res.Rollups, res.Events, res.Users, res.Elapsed.Round(time.Millisecond))
	var sectors []string
	for s := range res.SectorCounts {
		sectors = append(sectors, s)
	}
	slices.Sort(sectors)
	for _, s := range sectors {
		fmt.Printf("  %-12s %6d\n", s, res.SectorCounts[s])
	}
	return nil
}
