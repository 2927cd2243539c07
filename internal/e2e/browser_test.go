//go:build dev

// Package e2e drives the real server in Debian's headless Chromium.
package e2e

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newBrowser starts a headless Chromium for one test. The flags keep it
// off the network (this machine has none) and out of the user's profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserFor(t, 90*time.Second)
}

// newBrowserFor is newBrowser for a test that runs up to d.
func newBrowserFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("Chromium is not installed: run `make test` (installs it) or `sudo apt-get install chromium`")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "ja"),
		chromedp.Flag("accept-lang", "ja"),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, d)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// do runs browser steps and fails the test on the first error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// textOf returns the visible text of the first element matching css.
func textOf(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	for try := 1; ; try++ {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		// chromedp finds the node in its copy of the document and then asks
		// for its text; when the page replaced its document in between (a
		// navigation finishing), the id is gone and a fresh query finds it.
		if err != nil && try < 3 && strings.Contains(err.Error(), "No node with given id") {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// count returns how many elements match css.
func count(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(css)+`).length`))
}

func contains(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("%s: %q does not contain %q", what, got, want)
	}
}
