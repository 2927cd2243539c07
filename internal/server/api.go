package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/auth"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// The public API (docs/api.md): JSON under apiPrefix, described by the
// OpenAPI document in api/openapi.yaml. A request is authenticated by a
// bearer API token only — the session cookie is never read here, so that
// no cross-site request can act for a signed-in person — and then
// authorized by the same policy and row-level security as the pages.
const apiPrefix = "/api/v1"

// isAPI reports whether r is a request of the API (errors are
// problem+json, not pages).
func isAPI(r *http.Request) bool {
	return r.URL.Path == apiPrefix || strings.HasPrefix(r.URL.Path, apiPrefix+"/")
}

// Errors of the API's own conventions.
var (
	errTokenRequired     = &kijun.Error{Code: kijun.EUnauthorized, MessageID: "api.error.token_required"}
	errTokenInvalid      = &kijun.Error{Code: kijun.EUnauthorized, MessageID: "api.error.token_invalid"}
	errRateLimited       = &kijun.Error{Code: "rate_limited", MessageID: "api.error.rate_limited"}
	errIfMatchRequired   = &kijun.Error{Code: "precondition_required", MessageID: "api.error.if_match_required"}
	errBadJSON           = &kijun.Error{Code: kijun.EInvalid, MessageID: "api.error.bad_json"}
	errBadCursor         = &kijun.Error{Code: kijun.EInvalid, MessageID: "api.error.bad_cursor"}
	errBadLimit          = &kijun.Error{Code: kijun.EInvalid, MessageID: "api.error.bad_limit"}
	errIdempotencyReuse  = &kijun.Error{Code: kijun.EInvalid, MessageID: "api.error.idempotency_reused"}
	errIdempotencyBusy   = &kijun.Error{Code: kijun.EConflict, MessageID: "api.error.idempotency_in_progress"}
	errBadIdempotencyKey = &kijun.Error{Code: kijun.EInvalid, MessageID: "api.error.idempotency_key"}
)

// staleError is a write refused because the If-Match version is not the
// stored one: 412, with the message the page shows for the same conflict.
type staleError struct{ err error }

func (e staleError) Error() string { return "stale: " + e.err.Error() }
func (e staleError) Unwrap() error { return e.err }

// fieldErrors is bad input in named fields, each with a message: 422
// with every field listed in the problem's "errors".
type fieldErrors map[string]fieldMsg

// fieldMsg is a message id with its arguments.
type fieldMsg struct {
	ID   string
	Args map[string]any
}

func (f fieldErrors) Error() string { return "invalid fields" }

// problem is an RFC 9457 problem detail. code is the message id the
// pages use for the same refusal; title is its text in the caller's
// language.
type problem struct {
	Type      string        `json:"type"`
	Title     string        `json:"title"`
	Status    int           `json:"status"`
	Code      string        `json:"code"`
	Instance  string        `json:"instance,omitempty"`
	RequestID string        `json:"request_id,omitempty"`
	Errors    []problemItem `json:"errors,omitempty"`
}

type problemItem struct {
	Field  string `json:"field"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// apiStatusOf is statusOf with the API's own statuses.
func apiStatusOf(err error) int {
	var fe fieldErrors
	var se staleError
	switch {
	case errors.As(err, &fe):
		return http.StatusUnprocessableEntity
	case errors.As(err, &se):
		return http.StatusPreconditionFailed
	case errors.Is(err, errWebhooksOff):
		return http.StatusServiceUnavailable
	case errors.Is(err, errRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, errIfMatchRequired):
		return http.StatusPreconditionRequired
	case errors.Is(err, errBadJSON), errors.Is(err, errBadCursor), errors.Is(err, errBadLimit), errors.Is(err, errBadIdempotencyKey):
		return http.StatusBadRequest
	}
	return statusOf(err)
}

// writeProblem writes err as application/problem+json in the caller's
// language.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	status := apiStatusOf(err)
	msgID := "error.internal"
	var args map[string]any
	var ke *kijun.Error
	var fe fieldErrors
	loc := i18n.From(r.Context())
	p := problem{Status: status, Instance: r.URL.Path, RequestID: middleware.GetReqID(r.Context())}
	switch {
	case errors.As(err, &fe):
		msgID = "form.has_errors"
		fields := make([]string, 0, len(fe))
		for f := range fe {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			p.Errors = append(p.Errors, problemItem{Field: f, Code: fe[f].ID, Detail: loc.T(fe[f].ID, fe[f].Args)})
		}
	case errors.As(err, &ke):
		msgID, args = ke.MessageID, ke.Args
	}
	if s.stopped(err) {
		status, msgID = http.StatusServiceUnavailable, "error.shutting_down"
		p.Status = status
	}
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", p.RequestID)
	}
	p.Code, p.Title, p.Type = msgID, loc.T(msgID, args), "urn:kijun:problem:"+msgID
	if status == http.StatusUnauthorized {
		// RFC 6750: a credential that was sent and refused is
		// invalid_token; a request without one gets the challenge only.
		challenge := `Bearer realm="kijun"`
		if errors.Is(err, errTokenInvalid) {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", string(loc.Lang))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// maxJSONBytes bounds a request body.
const maxJSONBytes = 1 << 20

// readJSON decodes the request body into v: one JSON object, no unknown
// fields, valid UTF-8 without NUL (kijun.ValidText) in every string.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	if err != nil || !kijun.ValidText(string(body)) || bytes.Contains(body, []byte(`\u0000`)) {
		return errBadJSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		return errBadJSON
	}
	return nil
}

// etag is the strong entity tag of a resource version.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch reads the version an update was prepared against from If-Match
// (one entity tag as etag writes it); writes without it are refused
// (428), so that no client overwrites a change it has not seen.
func ifMatch(r *http.Request) (int, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		return 0, errIfMatchRequired
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, `"`), `"`))
	if err != nil || n < 0 || !strings.HasPrefix(v, `"`) || !strings.HasSuffix(v, `"`) || len(v) < 3 {
		return -1, nil // matches no version: 412
	}
	return n, nil
}

// Cursor pagination: the cursor is the opaque, base64url-encoded key of
// the last item of the previous page (ids only grow, so a page never
// repeats or skips an item when others are inserted).
const (
	defaultPageLimit = 50
	maxPageLimit     = 200
)

// pageParams reads limit and cursor.
func pageParams(r *http.Request) (after int64, limit int, err error) {
	limit = defaultPageLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageLimit {
			return 0, 0, errBadLimit
		}
		limit = n
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			return 0, 0, errBadCursor
		}
		n, err := strconv.ParseInt(strings.TrimPrefix(string(raw), "after:"), 10, 64)
		if err != nil || n < 0 || !strings.HasPrefix(string(raw), "after:") {
			return 0, 0, errBadCursor
		}
		after = n
	}
	return after, limit, nil
}

// nextCursor is the cursor of the page after the one ending at id.
func nextCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + strconv.FormatInt(id, 10)))
}

// page is a list response.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// listPage answers with one page of a cursor-paged list, read in the
// principal's transaction: read returns the items after the cursor (at
// most the page's limit) and whether more follow, id is an item's cursor,
// and item its JSON (false: not shown to the caller; it still moves the
// cursor).
func listPage[T, J any](s *Server, w http.ResponseWriter, r *http.Request, read func(tx pgx.Tx) ([]T, bool, error),
	id func(T) int64, item func(T) (J, bool)) error {
	out := page[J]{Items: []J{}}
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		list, more, err := read(tx)
		for _, x := range list {
			if j, ok := item(x); ok {
				out.Items = append(out.Items, j)
			}
		}
		if more {
			out.NextCursor = nextCursor(id(list[len(list)-1]))
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// every is listPage's item for a list that shows every item as f writes it.
func every[T, J any](f func(T) J) func(T) (J, bool) {
	return func(x T) (J, bool) { return f(x), true }
}

// rateWindow is the length of the rate limit's window.
const rateWindow = time.Minute

func (s *Server) apiRateLimit() int {
	if s.cfg.APIRateLimit > 0 {
		return s.cfg.APIRateLimit
	}
	return config.DefaultAPIRateLimit
}

// authenticateToken builds the request's principal from its bearer
// token, exactly as a session's user: the service account's active grant,
// read afresh (nothing is kept between requests). The bearer is an API
// token (identity.TokenPrefix) or an OAuth 2.0 access token (a JWT) of an
// API-enabled identity provider, verified by its keys, whose client an
// admin linked to a service account. A request without Authorization
// stays anonymous (public routes answer it); an unknown, revoked or
// expired token, or an access token that fails verification or whose
// client has no live link, is refused (401, invalid_token). Each token
// may make API_RATE_LIMIT requests per minute (a linked client
// likewise), counted in PostgreSQL in the statement that authenticates
// (so across every instance), whose round trip also reads the principal;
// the RateLimit headers say how many are left.
func (s *Server) authenticateToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, secret, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			s.writeProblem(w, r, errTokenInvalid)
			return
		}
		now := s.now()
		var use postgres.TokenUse
		var ok bool
		var err error
		switch {
		case strings.HasPrefix(secret, identity.TokenPrefix):
			use, ok, err = postgres.UseToken(r.Context(), s.db, identity.HashToken(secret), now, rateWindow)
		case auth.LooksLikeJWT(secret):
			// An OAuth 2.0 access token of an API-enabled provider: the
			// client it was issued to acts as the service account its
			// live link names, like that account's API token.
			c, verr := s.auth.VerifyAccessToken(r.Context(), secret)
			if verr == nil {
				use, ok, err = postgres.UseOAuthClient(r.Context(), s.db, c.Issuer, c.ClientID, now, rateWindow)
			}
		}
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if !ok {
			s.writeProblem(w, r, errTokenInvalid)
			return
		}
		limit := s.apiRateLimit()
		reset := int(use.Window.Add(rateWindow).Sub(now).Seconds())
		w.Header().Set("RateLimit-Policy", `"token";q=`+strconv.Itoa(limit)+`;w=`+strconv.Itoa(int(rateWindow.Seconds())))
		w.Header().Set("RateLimit", `"token";r=`+strconv.Itoa(max(limit-use.Count, 0))+`;t=`+strconv.Itoa(reset))
		if use.Count > limit {
			w.Header().Set("Retry-After", strconv.Itoa(reset))
			s.writeProblem(w, r, errRateLimited)
			return
		}
		if use.Principal == nil {
			s.writeProblem(w, r, errTokenInvalid)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, use.Principal)))
	})
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// apiAuthorize checks the policy for action before fn runs: an anonymous
// caller gets 401, anyone else refused 404 (a URL never reveals what
// exists in another tenant), like the pages.
func (s *Server) apiAuthorize(action authz.Action, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principal(r)
		var err error = errNotFound
		switch {
		case authz.Can(p, action, authz.Resource{}):
			err = fn(w, r)
		case !p.SignedIn():
			err = errTokenRequired
		}
		if err != nil {
			s.writeProblem(w, r, err)
		}
	})
}

// idempotent makes a POST honour Idempotency-Key: the first request with a
// key runs and its response is kept (per token, in PostgreSQL); a retry
// with the same key and the same request gets the kept response with
// Idempotent-Replayed: true; the same key with another request is
// refused, and so is a retry while the first is still running. A failed
// request (5xx) keeps nothing, so that its retry runs again. keep, when
// not nil, turns a successful response's body into the one kept (and
// replayed) so that a secret shown once is not kept (keptAs); when it
// returns nil, nothing is kept.
func (s *Server) idempotent(fn handlerFunc, keep func(*http.Request, []byte) []byte) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		key := r.Header.Get("Idempotency-Key")
		p := principal(r)
		if key == "" || !p.SignedIn() {
			return fn(w, r)
		}
		if len(key) > 255 || kijun.TextProblem(key) != "" {
			return errBadIdempotencyKey
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, apiBodyLimit(r)))
		if err != nil {
			return errBadJSON
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		h.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
		h.Write(body)
		sum := h.Sum(nil)
		kept, err := postgres.ReserveIdempotencyKey(r.Context(), s.db, p, key, sum, s.now())
		if err != nil {
			return err
		}
		if kept != nil {
			switch {
			case !bytes.Equal(kept.RequestHash, sum):
				return errIdempotencyReuse
			case kept.Status == 0:
				return errIdempotencyBusy
			}
			if kept.Location != "" {
				w.Header().Set("Location", kept.Location)
			}
			if kept.ETag != "" {
				w.Header().Set("ETag", kept.ETag)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", kept.ContentType)
			w.WriteHeader(kept.Status)
			_, err := w.Write(kept.Body)
			return err
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		err = fn(rec, r)
		if err != nil {
			s.writeProblem(rec, r, err)
		}
		ctx := context.WithoutCancel(r.Context())
		body = rec.body.Bytes()
		stripped := false
		if keep != nil && rec.status < 300 {
			body = keep(r, body)
			stripped = body == nil // could not be stripped: kept not at all
		}
		if rec.status >= 500 || stripped {
			err = postgres.ReleaseIdempotencyKey(ctx, s.db, p, key)
		} else {
			err = postgres.CompleteIdempotencyKey(ctx, s.db, p, key, postgres.Idempotent{Status: rec.status,
				ContentType: rec.header.Get("Content-Type"), Location: rec.header.Get("Location"),
				ETag: rec.header.Get("ETag"), Body: body})
		}
		if err != nil {
			return err
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, err = w.Write(rec.body.Bytes())
		return err
	}
}

// recorder keeps a response to store it before sending it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}

// keptAs are the POST routes whose kept response for Idempotency-Key
// replay is not the one sent: it holds a secret shown once (a webhook's
// signing secret), which is never stored; the replay is the endpoint
// without it (withholdSecret).
var keptAs = map[string]func(*http.Request, []byte) []byte{
	"POST /webhooks": withholdSecret, "POST /webhooks/{id}/rotate-secret": withholdSecret}

// apiRoute registers an API route with the policy action it needs.
type apiRoute func(method, pattern string, action authz.Action, fn handlerFunc)

// apiRoutes are the routes of the public API: no session, a bearer token.
func (s *Server) apiRoutes(r chi.Router, raw func(chi.Router, string, string, authz.Action, http.Handler)) {
	r.Use(s.authenticateToken)
	var a apiRoute = func(method, pattern string, action authz.Action, fn handlerFunc) {
		if method == http.MethodPost {
			fn = s.idempotent(fn, keptAs[method+" "+pattern])
		}
		h := s.apiAuthorize(action, fn)
		raw(r, method, apiPrefix+pattern, action, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			markRetired(w, r, method, pattern)
			h.ServeHTTP(w, r)
		}))
	}
	a(http.MethodGet, "/openapi.json", authz.ViewPublic, s.handleOpenAPI)
	s.apiResourceRoutes(a)
	s.webhookAPIRoutes(a)
	s.apiBulletinRoutes(a)
}
