// Command kijun is the Kijun portal: one binary that serves, migrates and
// seeds. Built with the dev tag (make dev) it also runs a self-contained
// development portal with demo data and demo logins (`kijun dev`); a
// release build has no such command.
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

// commands are kijun's subcommands; dev.go adds `dev` to builds with the
// dev tag.
var commands = map[string]func(context.Context, []string) error{
	"serve":   cmdServe,
	"migrate": cmdMigrate,
	"seed":    cmdSeed,
	"audit":   cmdAudit,
}

// usageCommands describes the commands for the usage text, in order.
var usageCommands = `  serve                 run the portal (needs a current schema)
  migrate up            apply all pending migrations
  migrate down N        roll back N migrations
  migrate version       print the schema version
  seed                  load the reference data and the draft baseline
                        catalog (idempotent)
  seed -synthetic       also generate national-scale synthetic data for
                        load tests (-operators N -cycles C)
  audit verify          check the audit log's hash chains and compare their
                        heads with the anchors (-anchors FILE: also those
                        written outside the database); report the first
                        broken link of each
`

func usage() string {
	return "Usage: kijun <command> [flags]\n\nCommands:\n" + usageCommands + `
Run "kijun <command> -h" for the flags of a command. Settings are read from
the environment first; docs/configuration.md lists them.
`
}

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
		fmt.Fprint(os.Stderr, usage())
		return flag.ErrHelp
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd(ctx, args[1:])
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(os.Stdout, usage())
		return nil
	}
	fmt.Fprint(os.Stderr, usage())
	return fmt.Errorf("unknown command %q", args[0])
}
