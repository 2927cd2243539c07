package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// discoveryStub serves an OpenID discovery document after failing the
// first failFirst requests with 503.
func discoveryStub(t *testing.T, failFirst int32) *httptest.Server {
	var calls atomic.Int32
	var hs *httptest.Server
	hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		if calls.Add(1) <= failFirst {
			http.Error(w, "starting up", http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": hs.URL, "authorization_endpoint": hs.URL + "/authorize", "token_endpoint": hs.URL + "/token",
			"jwks_uri": hs.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}))
	t.Cleanup(hs.Close)
	return hs
}

// closedURL is an http URL on which nothing listens.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDiscoveryIsRetriedAndReported: providers are discovered at start;
// a failing one is reported with its reason and retried with backoff; the
// portal counts as able to sign in as soon as one provider works, and
// the log says what failed without the client secret.
func TestDiscoveryIsRetriedAndReported(t *testing.T) {
	const secret = "s3cret-never-logged"
	late := discoveryStub(t, 2)
	wrong := discoveryStub(t, 0) // its issuer is not the one configured
	cfg := func(id, issuer string) ProviderConfig {
		return ProviderConfig{ID: id, Issuer: issuer, ClientID: "kijun", ClientSecret: secret}
	}
	m, err := NewManager(nil, time.Hour, "http://portal", []ProviderConfig{
		cfg("late", late.URL), cfg("gone", closedURL(t)), cfg("wrong", wrong.URL+"/other"),
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m.Log = slog.New(slog.NewJSONHandler(logs, nil))
	m.retryMin, m.retryMax = 10*time.Millisecond, 40*time.Millisecond

	if sts, ok := m.Discovery(); ok || !sts[0].LastAttempt.IsZero() {
		t.Fatalf("ready before any discovery: %+v", sts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.DiscoverProviders(ctx)
	sts, ok := m.Discovery()
	if ok {
		t.Fatalf("ready though no provider has been discovered: %+v", sts)
	}
	want := map[string]string{"late": FailUnreachable, "gone": FailUnreachable, "wrong": FailConfig}
	for _, st := range sts {
		if st.OK || st.Reason != want[st.ID] || st.Failures != 1 || st.LastAttempt.IsZero() {
			t.Errorf("after the first attempt, %s: %+v, want failing (%s)", st.ID, st, want[st.ID])
		}
	}

	// The retries find the provider that came up late; the others keep failing.
	deadline := time.Now().Add(5 * time.Second)
	for !ok && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		sts, ok = m.Discovery()
	}
	if !ok || !sts[0].OK || sts[1].OK || sts[1].Failures < 2 {
		t.Fatalf("after retries: %+v (ready %v), want late ok and gone still failing", sts, ok)
	}

	log := logs.String()
	for _, w := range []string{`"msg":"identity provider discovery failed","provider":"gone"`,
		`"msg":"identity provider discovered","provider":"late"`, `"reason":"config"`} {
		if !strings.Contains(log, w) {
			t.Errorf("the log lacks %s:\n%s", w, log)
		}
	}
	if strings.Contains(log, secret) {
		t.Errorf("the log holds the client secret:\n%s", log)
	}
}
