//go:build pprof

package main

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
)

// A build with -tags pprof serves Go's profiler on 127.0.0.1:6060, apart
// from the portal's router, for profiling under `make bench`. Release
// builds never include it.
func init() {
	go func() {
		slog.Info("pprof listening", "addr", "127.0.0.1:6060")
		if err := http.ListenAndServe("127.0.0.1:6060", nil); err != nil {
			slog.Error("pprof", "err", err)
		}
	}()
}
