package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSameOrigin: a state-changing request whose Origin has the right host
// but the other scheme is refused, whichever scheme the portal uses; the
// portal's own origin passes, as do reads and requests without an Origin
// (same-origin requests of browsers that send none).
func TestSameOrigin(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	cases := []struct {
		base, method, origin string
		want                 int
	}{
		{"http://kijun.example", http.MethodPost, "http://kijun.example", http.StatusNoContent},
		{"http://kijun.example", http.MethodPost, "https://kijun.example", http.StatusForbidden},
		{"https://kijun.example", http.MethodPost, "https://kijun.example", http.StatusNoContent},
		{"https://kijun.example", http.MethodPost, "http://kijun.example", http.StatusForbidden},
		{"https://kijun.example", http.MethodPost, "https://evil.example", http.StatusForbidden},
		{"https://kijun.example", http.MethodPost, "null", http.StatusForbidden},
		{"https://kijun.example", http.MethodPost, "", http.StatusNoContent},
		{"https://kijun.example", http.MethodGet, "http://kijun.example", http.StatusNoContent},
	}
	for _, c := range cases {
		h := sameOrigin(c.base)(ok)
		r := httptest.NewRequest(c.method, "http://kijun.example/lang", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("BASE_URL %s, %s with Origin %q: %d, want %d", c.base, c.method, c.origin, w.Code, c.want)
		}
	}
}
