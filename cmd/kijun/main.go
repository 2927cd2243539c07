// Command kijun is the Kijun portal: one binary that serves, migrates,
// seeds and runs a self-contained development portal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // JST must work in a container without zoneinfo
)

const usage = `Usage: kijun <command> [flags]

Commands:
  serve                 run the portal (needs a current schema)
  migrate up            apply all pending migrations
  migrate down N        roll back N migrations
  migrate version       print the schema version
  seed                  load the reference data and the draft baseline
                        catalog (idempotent)
  seed -synthetic       also generate national-scale synthetic data for
                        load tests (-operators N -cycles C)
  audit verify          check the audit log's hash chains; report the first
                        broken link of each
  dev                   find or start PostgreSQL, migrate, seed and serve
                        with demo data (development only)

Run "kijun <command> -h" for the flags of a command. Settings are read from
the environment first; docs/configuration.md lists them.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kijun:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:])
	case "migrate":
		return cmdMigrate(ctx, args[1:])
	case "seed":
		return cmdSeed(ctx, args[1:])
	case "dev":
		return cmdDev(ctx, args[1:])
	case "audit":
		return cmdAudit(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(os.Stdout, usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
