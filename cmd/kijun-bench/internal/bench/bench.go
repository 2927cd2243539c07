// Package bench is `make bench`: synthetic data, the real server as a
// subprocess, and a closed-loop load generator over loopback HTTP with
// the bare SQL of each page measured in the same run.
package bench

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Options are kijun-bench's flags.
type Options struct {
	Operators, Cycles int
	Seed              uint64
	Reseed, SeedOnly  bool
	Database, DataDir string
	Kijun             string
	Duration          time.Duration
	Runs              int
	Out               string
	// Only limits the run to endpoints whose name contains one of these
	// (case-insensitive); the report is then printed, not written.
	Only []string
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// Run is the whole bench.
func Run(ctx context.Context, o Options) error {
	d, err := Prepare(ctx, o.DataDir, o.Database, o.Operators, o.Cycles, o.Seed, o.Reseed, logf)
	if err != nil {
		return err
	}
	if o.SeedOnly {
		return nil
	}
	return measure(ctx, o, d)
}
