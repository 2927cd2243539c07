//go:build dev

package server_test

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/server"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// getRaw fetches path asking for gzip itself, so that the transport hands
// back the bytes as sent.
func getRaw(t *testing.T, env *servertest.Env, c *http.Client, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.HTTP.URL+path, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// Pages, stylesheets and text exports are gzipped for a client that
// accepts it; XLSX (a ZIP already) is sent as it is; a client that does
// not ask gets plain bytes.
func TestResponsesAreCompressedWhenAccepted(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	anon := env.Client(t)
	for path, want := range map[string]string{
		"/":                 "<html",
		"/sectors":          "電力",
		"/static/kijun.css": "{",
	} {
		resp, b := getRaw(t, env, anon, path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: status %d, Content-Encoding %q", path, resp.StatusCode, resp.Header.Get("Content-Encoding"))
			continue
		}
		if vary := strings.Join(resp.Header.Values("Vary"), ", "); !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("%s: Vary %q lacks Accept-Encoding", path, vary)
		}
		if body := gunzip(t, b); !strings.Contains(body, want) {
			t.Errorf("%s: decompressed body lacks %q", path, want)
		}
	}
	// Without Accept-Encoding: plain.
	req, _ := http.NewRequest(http.MethodGet, env.HTTP.URL+"/sectors", nil)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := anon.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("identity asked, got Content-Encoding %q", ce)
	}

	nco := env.SignIn(t, "nco-admin")
	resp, b := getRaw(t, env, nco, "/operators/export?format=xlsx")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(string(b), "PK") {
		t.Errorf("XLSX export: status %d, Content-Encoding %q, starts %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), b[:min(4, len(b))])
	}
}

// Text of a kilobyte or more is gzipped; a smaller answer (an autosave's,
// an API write's) goes as it is, where gzip would cost more than it saves.
func TestSmallResponsesGoPlain(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(server.CompressForTest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", r.URL.Query().Get("type"))
		io.WriteString(w, strings.Repeat("x", n))
	})))
	defer hs.Close()
	for _, c := range []struct {
		n    int
		typ  string
		gzip bool
	}{{500, "application/json", false}, {1023, "text/csv; charset=utf-8", false}, {1024, "text/csv; charset=utf-8", true},
		{5000, "application/json", true}, {5000, "application/pdf", false}} {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"?n="+strconv.Itoa(c.n)+"&type="+url.QueryEscape(c.typ), nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := resp.Header.Get("Content-Encoding") == "gzip"
		if got != c.gzip || (got && gunzip(t, b) != strings.Repeat("x", c.n)) || (!got && len(b) != c.n) {
			t.Errorf("%d bytes of %s: gzip %v, want %v (%d bytes sent)", c.n, c.typ, got, c.gzip, len(b))
		}
	}
}

// A streamed export still streams under compression: what the handler
// flushed reaches the client, decompressed, while the handler is still
// running.
func TestCompressedStreamKeepsStreaming(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	done := make(chan struct{})
	hs := httptest.NewServer(server.CompressForTest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		io.WriteString(w, "first,row\r\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "second,row\r\n")
	})))
	defer hs.Close()
	req, _ := http.NewRequest(http.MethodGet, hs.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(zr)
	line, err := br.ReadString('\n')
	if err != nil || line != "first,row\r\n" {
		t.Fatalf("first line before the handler ended: %q, %v", line, err)
	}
	close(release)
	rest, _ := io.ReadAll(br)
	<-done
	if string(rest) != "second,row\r\n" {
		t.Errorf("rest %q", rest)
	}
}
