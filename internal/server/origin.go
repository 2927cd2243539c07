package server

import (
	"net/http"
	"strings"
)

// sameOrigin refuses cross-origin state-changing requests. Go's
// CrossOriginProtection trusts Sec-Fetch-Site and, for browsers that do not
// send it, compares the Origin header's host with the request's Host only;
// on top of it, an Origin must also carry the portal's scheme (from
// baseURL), so that a page served over plain HTTP on the same host cannot
// post into the portal served over TLS, nor the reverse.
func sameOrigin(baseURL string) func(http.Handler) http.Handler {
	scheme := "http"
	if strings.HasPrefix(baseURL, "https://") {
		scheme = "https"
	}
	cop := http.NewCrossOriginProtection()
	return func(next http.Handler) http.Handler {
		checked := cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
			default:
				if o := r.Header.Get("Origin"); o != "" && o != scheme+"://"+r.Host {
					http.Error(w, "cross-origin request refused", http.StatusForbidden)
					return
				}
			}
			next.ServeHTTP(w, r)
		}))
		// The API is authenticated by bearer tokens only, never by the
		// session cookie (api.go): a cross-site request carries no
		// credential there, so it needs no origin check.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isAPI(r) {
				next.ServeHTTP(w, r)
				return
			}
			checked.ServeHTTP(w, r)
		})
	}
}
