package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/web/pages"
)

var (
	errNotFound         = kijun.ErrNotFound
	errMethodNotAllowed = &kijun.Error{Code: kijun.EInvalid, MessageID: "error.method_not_allowed"}
	errSignInRequired   = &kijun.Error{Code: kijun.EUnauthorized, MessageID: "error.sign_in_required"}
	errBadText          = &kijun.Error{Code: kijun.EInvalid, MessageID: "error.bad_text"}
)

// statusOf maps an error code to its HTTP status: the one place that does.
func statusOf(err error) int {
	switch {
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errBadText):
		return http.StatusBadRequest
	}
	switch kijun.ErrorCode(err) {
	case kijun.EInvalid:
		return http.StatusUnprocessableEntity
	case kijun.ENotFound:
		return http.StatusNotFound
	case kijun.EConflict:
		return http.StatusConflict
	case kijun.EUnauthorized:
		return http.StatusUnauthorized
	case kijun.EForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// wrap turns a handlerFunc into an http.Handler that renders its error as
// a page in the user's language. Internal errors are logged with the
// request id and shown without detail.
func (s *Server) wrap(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		if isAPI(r) {
			s.writeProblem(w, r, err)
			return
		}
		status := statusOf(err)
		msgID := "error.internal"
		var args map[string]any
		var ke *kijun.Error
		if errors.As(err, &ke) {
			msgID, args = ke.MessageID, ke.Args
		}
		if s.stopped(err) {
			status, msgID = http.StatusServiceUnavailable, "error.shutting_down"
			r = r.WithContext(context.WithoutCancel(r.Context())) // to render the reply
		}
		if status == http.StatusInternalServerError {
			s.log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", middleware.GetReqID(r.Context()))
		}
		loc := i18n.From(r.Context())
		_ = s.render(w, r, status, pages.Error(pages.ErrorView{
			Status:    status,
			Message:   loc.T(msgID, args),
			RequestID: middleware.GetReqID(r.Context()),
		}))
	}
}
