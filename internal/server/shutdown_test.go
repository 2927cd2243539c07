//go:build dev

package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// Short settings: the drain is the only wait that passes by itself.
const (
	testDrain   = 400 * time.Millisecond
	testTimeout = 1500 * time.Millisecond
)

// shutdownRun is a server serving through Server.Serve (the path `kijun
// serve` takes) with an import confirm held by a table lock.
type shutdownRun struct {
	regEnv
	c      *http.Client
	url    string             // of the listener Serve owns
	stop   context.CancelFunc // what SIGTERM does in cmd/kijun
	served chan error
	lock   pgx.Tx // holds operators against writers
	reply  chan confirmReply
	before int64
}

type confirmReply struct {
	status int
	body   string
	err    error
}

// startShutdownRun previews an import, locks the operators table, starts
// the confirm and returns once it waits for the lock inside its
// transaction.
func startShutdownRun(t *testing.T) *shutdownRun {
	db := pgtest.New(t)
	e := regEnv{servertest.NewWith(t, db, db.App, func(c *config.Config) {
		c.ShutdownDrain, c.ShutdownTimeout = testDrain, testTimeout
	}), t}
	c := e.SignIn(t, "meti-staff")
	text := "法人番号,名称,分野,事業の範囲,指定区分,指定日\r\n" +
		corpNum(t, "900000000051") + ",停止試験第一電力株式会社,電力,一般送配電事業,重要インフラ事業者,2026-04-01\r\n" +
		corpNum(t, "900000000052") + ",停止試験第二電力株式会社,電力,一般送配電事業,重要インフラ事業者,2026-04-01\r\n"
	status, body := regUpload(t, e.Env, c, "台帳.csv", []byte(text))
	wantStatus(t, "preview", status, 200, body)
	m := tokenField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no confirm token in the preview")
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &shutdownRun{regEnv: e, c: c, url: "http://" + l.Addr().String(), stop: stop,
		served: make(chan error, 1), reply: make(chan confirmReply, 1), before: e.id(`SELECT count(*) FROM operators`)}
	done := make(chan struct{})
	go func() { defer close(done); r.served <- e.Server.Serve(ctx, l) }()
	t.Cleanup(func() {
		stop()
		if r.lock != nil {
			_ = r.lock.Rollback(context.Background())
		}
		<-done
	})

	r.lock, err = e.DB.Owner.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.lock.Exec(context.Background(), `LOCK TABLE operators IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	go func() {
		resp, err := c.PostForm(r.url+"/operators/import/confirm", url.Values{"token": {m[1]}})
		if err != nil {
			r.reply <- confirmReply{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		r.reply <- confirmReply{status: resp.StatusCode, body: string(b)}
	}()
	e.DB.Await(t, "the confirm waiting for the operators table",
		`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'operators'::regclass AND NOT granted)`)
	return r
}

// release lets the held confirm go on.
func (r *shutdownRun) release(t *testing.T) {
	t.Helper()
	if err := r.lock.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.lock = nil
}

// sigterm ends Serve's context and checks the drain: /readyz answers 503
// at once while the listener still accepts, and the listener closes once
// the drain is over. It returns when SIGTERM was sent.
func (r *shutdownRun) sigterm(t *testing.T) time.Time {
	t.Helper()
	if status, _ := r.get(t, "/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM: %d", status)
	}
	at := time.Now()
	r.stop()
	for {
		status, body := r.get(t, "/readyz")
		if status == http.StatusServiceUnavailable {
			if body != "shutting down\n" {
				t.Errorf("/readyz while draining: %q", body)
			}
			break
		}
		if time.Since(at) > testDrain/2 {
			t.Fatalf("/readyz still %d %s after SIGTERM", status, time.Since(at))
		}
	}
	// The listener still accepts, and the process still lives.
	if status, _ := r.get(t, "/healthz"); status != http.StatusOK {
		t.Errorf("/healthz while draining: %d", status)
	}
	if d := time.Since(at); d >= testDrain {
		t.Fatalf("the checks of the drain took %s, longer than the drain", d)
	}
	// Once the drain is over, the listener closes.
	for {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(r.url, "http://"), time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Since(at) > testDrain+testTimeout {
			t.Fatal("the listener still accepts after the drain")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(at); d < testDrain {
		t.Errorf("the listener closed %s after SIGTERM, before the drain of %s", d, testDrain)
	}
	return at
}

func (r *shutdownRun) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(r.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An import confirm in flight when SIGTERM arrives finishes if it can
// within SHUTDOWN_TIMEOUT, and the server then stops.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	t.Parallel()
	r := startShutdownRun(t)
	r.sigterm(t)
	r.release(t)
	reply := <-r.reply
	if reply.err != nil || reply.status != http.StatusSeeOther {
		t.Fatalf("confirm in flight: %d %v\n%s", reply.status, reply.err, reply.body)
	}
	if err := <-r.served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if after := r.id(`SELECT count(*) FROM operators`); after != r.before+2 {
		t.Errorf("operators %d → %d, want two more", r.before, after)
	}
}

// An import confirm that outlives SHUTDOWN_TIMEOUT is cancelled: its
// client is told so, its transaction rolls back, and Serve returns by the
// deadline. Released afterwards, nothing commits.
func TestShutdownCancelsWhatOutlivesTheTimeout(t *testing.T) {
	t.Parallel()
	r := startShutdownRun(t)
	at := r.sigterm(t)
	err := <-r.served
	took := time.Since(at)
	if err != nil {
		t.Errorf("Serve: %v", err)
	}
	if took < testDrain+testTimeout || took > testDrain+testTimeout+config.ShutdownMargin {
		t.Errorf("Serve returned %s after SIGTERM, want between %s and %s", took,
			testDrain+testTimeout, testDrain+testTimeout+config.ShutdownMargin)
	}
	r.release(t)
	reply := <-r.reply
	if reply.err != nil || reply.status != http.StatusServiceUnavailable ||
		!strings.Contains(reply.body, "サーバーの再起動のため、この操作を完了前に中止しました") {
		t.Errorf("confirm cut off by shutdown: %d %v\n%s", reply.status, reply.err, reply.body)
	}
	// Whatever the cancelled backend still does, it never commits.
	r.DB.Await(t, "the cancelled confirm's backend gone",
		`SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)'))`)
	if after := r.id(`SELECT count(*) FROM operators`); after != r.before {
		t.Errorf("operators %d → %d after a cancelled import", r.before, after)
	}
	if n := r.id(`SELECT count(*) FROM audit_events WHERE action = 'operator.import'`); n != 0 {
		t.Errorf("%d operator.import events after a cancelled import", n)
	}
}
