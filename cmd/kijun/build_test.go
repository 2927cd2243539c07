package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// devOnly are the import paths of what only builds with the dev tag may
// contain: the development identity provider, the demo data, the
// development mailbox and its pages, and the libraries they are built on.
var devOnly = []string{
	"github.com/kijun-portal/kijun/internal/auth/devidp.",
	"github.com/kijun-portal/kijun/internal/demo.",
	"github.com/kijun-portal/kijun/internal/devmail.",
	"github.com/kijun-portal/kijun/web/pages/devmail.",
	"github.com/zitadel/",
	"github.com/emersion/go-smtp.",
}

// devBanner is the banner every page shows while the development identity
// provider is on (web/layout).
const devBanner = `<div class="banner" role="note">`

// TestReleaseBuild builds kijun as a release is built (make build, the
// Dockerfile: no tags) and proves that it cannot serve the development
// identity provider: none of its code or the demo data is linked in,
// `kijun dev` is an unknown command, and neither KIJUN_DEV_IDP=true nor
// -dev-idp turns anything on.
func TestReleaseBuild(t *testing.T) {
	bin := buildKijun(t)
	info := goOutput(t, "version", "-m", bin)
	if strings.Contains(info, "-tags=") {
		t.Errorf("the release build has build tags:\n%s", info)
	}
	symbols := goOutput(t, "tool", "nm", bin)
	for _, p := range devOnly {
		if strings.Contains(symbols, p) {
			t.Errorf("the release binary contains %s", p)
		}
	}

	// -h: a binary that has the command or flag prints its help and stops.
	out, _ := exec.Command(bin, "dev", "-h").CombinedOutput()
	if !strings.Contains(string(out), `unknown command "dev"`) {
		t.Errorf("kijun dev -h:\n%s", out)
	}
	out, _ = exec.Command(bin, "serve", "-dev-idp", "-h").CombinedOutput()
	if !strings.Contains(string(out), "flag provided but not defined: -dev-idp") {
		t.Errorf("kijun serve -dev-idp -h:\n%s", out)
	}

	base := start(t, pgtest.New(t), bin, "serve", "KIJUN_DEV_IDP=true")
	if status, _ := get(t, base+"/dev-idp/.well-known/openid-configuration"); status != http.StatusNotFound {
		t.Errorf("GET /dev-idp/ with KIJUN_DEV_IDP=true: %d, want 404", status)
	}
	if _, body := get(t, base+"/login"); strings.Contains(body, `/login/dev`) || strings.Contains(body, devBanner) {
		t.Error("the sign-in page offers the development identity provider or shows its banner")
	}
	for _, path := range []string{"/dev/mail", "/dev/mail/1"} {
		if status, _ := get(t, base+path); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404 (no development mailbox)", path, status)
		}
	}
}

// TestDevBuild is the other side of TestReleaseBuild: built with the dev
// tag, kijun has the development identity provider and `kijun dev`
// serves it, with the demo users on the sign-in page.
func TestDevBuild(t *testing.T) {
	bin := buildKijun(t, "-tags", "dev")
	if info := goOutput(t, "version", "-m", bin); !strings.Contains(info, "-tags=dev") {
		t.Errorf("the dev build does not record its tag:\n%s", info)
	}
	symbols := goOutput(t, "tool", "nm", bin)
	for _, p := range devOnly {
		if !strings.Contains(symbols, p) {
			t.Errorf("the dev binary does not contain %s", p)
		}
	}

	base := start(t, pgtest.New(t), bin, "dev")
	if status, body := get(t, base+"/dev-idp/.well-known/openid-configuration"); status != http.StatusOK || !strings.Contains(body, base+"/dev-idp") {
		t.Errorf("GET /dev-idp/.well-known/openid-configuration: %d\n%s", status, body)
	}
	if _, body := get(t, base+"/login"); !strings.Contains(body, `/login/dev`) || !strings.Contains(body, devBanner) ||
		!strings.Contains(body, `href="/dev/mail"`) {
		t.Errorf("the sign-in page neither offers the development identity provider nor shows its banner with the mailbox:\n%s", body)
	}
	if status, body := get(t, base+"/dev/mail"); status != http.StatusOK || !strings.Contains(body, `id="no-mail"`) && !strings.Contains(body, `id="mail-list"`) {
		t.Errorf("GET /dev/mail: %d\n%s", status, body)
	}
}

// buildKijun builds this command into a temporary directory, as `go
// build ./cmd/kijun` with flags does.
func buildKijun(t *testing.T, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kijun")
	args := append([]string{"build", "-o", bin}, flags...)
	goOutput(t, append(args, ".")...)
	return bin
}

func goOutput(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// start runs bin with args (serve or dev) over db on a free loopback port
// and returns its base URL once it listens. The process ends with the
// test.
func start(t *testing.T, db *pgtest.DB, bin, command string, env ...string) string {
	t.Helper()
	base, _, _ := startProcess(t, db, bin, command, env...)
	return base
}

// startProcess is start that also returns the process and a channel
// closed when it has exited.
func startProcess(t *testing.T, db *pgtest.DB, bin, command string, env ...string) (string, *os.Process, <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, command)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+db.OwnerURL, "APP_DATABASE_URL="+db.AppURL,
		"LISTEN_ADDR="+addr, "BASE_URL=http://"+addr, "SHUTDOWN_TIMEOUT=2s", "SHUTDOWN_DRAIN=0s")
	cmd.Env = append(cmd.Env, env...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); pw.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		<-exited
	})
	serving := make(chan bool, 1)
	var logs strings.Builder
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec struct{ Msg string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving" {
				serving <- true
			}
			logs.WriteString(sc.Text() + "\n")
		}
		close(serving)
	}()
	select {
	case ok := <-serving:
		if !ok {
			t.Fatalf("kijun %s ended before serving:\n%s", command, logs.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("kijun %s is not serving after two minutes", command)
	}
	return "http://" + addr, cmd.Process, exited
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
