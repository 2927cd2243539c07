package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestServeMetricsApart runs kijun serve with METRICS_ADDR: the metrics
// answer there and not on the public listener.
func TestServeMetricsApart(t *testing.T) {
	db := pgtest.New(t)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := free.Addr().String()
	free.Close()
	cfg := config.Config{ListenAddr: "127.0.0.1:0", MetricsAddr: metricsAddr,
		DatabaseURL: db.OwnerURL, AppDatabaseURL: db.AppURL, BaseURL: "http://127.0.0.1",
		LogLevel: "error", ShutdownTimeout: time.Second, SessionIdle: time.Hour, SessionAbsolute: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	addrc, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serve(ctx, cfg, nil, func(a string) { addrc <- a }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, _ := get("http://" + addr + "/healthz"); s != http.StatusOK {
		t.Fatalf("healthz %d", s)
	}
	if s, _ := get("http://" + addr + "/metrics"); s != http.StatusNotFound {
		t.Errorf("/metrics on the public listener: %d, want 404", s)
	}
	if s, body := get("http://" + metricsAddr + "/metrics"); s != http.StatusOK || !strings.Contains(body, `route="/healthz"`) {
		t.Errorf("/metrics on METRICS_ADDR: %d\n%.1000s", s, body)
	}
}
