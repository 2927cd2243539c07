package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestSIGTERM sends the built binary SIGTERM: /readyz answers 503 at once
// while the listener still accepts, and the process exits by its
// deadline. (What happens to requests in flight is
// internal/server's TestShutdown*.)
func TestSIGTERM(t *testing.T) {
	const drain, timeout = time.Second, time.Second
	bin := buildKijun(t)
	base, proc, exited := startProcess(t, pgtest.New(t), bin, "serve",
		"SHUTDOWN_DRAIN="+drain.String(), "SHUTDOWN_TIMEOUT="+timeout.String())
	if status, _ := get(t, base+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM: %d", status)
	}
	at := time.Now()
	if err := proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		status, body := get(t, base+"/readyz")
		if status == http.StatusServiceUnavailable && body == "shutting down\n" {
			break
		}
		if time.Since(at) > drain/2 {
			t.Fatalf("/readyz still %d %q %s after SIGTERM", status, body, time.Since(at))
		}
	}
	if status, _ := get(t, base+"/healthz"); status != http.StatusOK || time.Since(at) >= drain {
		t.Errorf("/healthz while draining: %d, %s after SIGTERM", status, time.Since(at))
	}
	limit := drain + timeout + config.ShutdownMargin
	select {
	case <-exited:
		if d := time.Since(at); d < drain {
			t.Errorf("exited %s after SIGTERM, before the drain of %s", d, drain)
		}
	case <-time.After(limit):
		t.Fatalf("still running %s after SIGTERM", limit)
	}
}

// exitAtDeadline ends the process if shutdown overruns, and only then.
func TestExitAtDeadline(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	// Shutdown hangs: exit(1) after the deadline, logged.
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go exitAtDeadline(ctx, make(chan struct{}), 10*time.Millisecond, log, func(code int) { exited <- code })
	cancel()
	if code := <-exited; code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(logs.String(), "shutdown overran its deadline") {
		t.Errorf("no log of the overrun:\n%s", logs.String())
	}

	// Shutdown ends in time: no exit.
	ctx, cancel = context.WithCancel(context.Background())
	done, returned := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(returned)
		exitAtDeadline(ctx, done, time.Hour, log, func(int) { t.Error("exit called after a clean shutdown") })
	}()
	cancel()
	close(done)
	<-returned
}
