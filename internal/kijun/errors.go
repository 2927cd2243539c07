package kijun

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Error codes. The server maps each to one HTTP status in one place.
const (
	EInvalid      = "invalid"      // bad input; Message tells the user what to fix
	ENotFound     = "not_found"    // no such thing, or not in the caller's tenant
	EConflict     = "conflict"     // someone changed it first, or it already exists
	EUnauthorized = "unauthorized" // not signed in
	EForbidden    = "forbidden"    // signed in, but the policy says no (own tenant)
	EInternal     = "internal"
)

// Error is an error meant for the user: Code decides how it is shown and
// MessageID names a translated message (see internal/i18n).
type Error struct {
	Code      string
	MessageID string
	Args      map[string]any
}

// Error is the text logs show: the code, the message id and the names of
// its arguments (not their values, which may be personal data).
func (e *Error) Error() string {
	return fmt.Sprintf("kijun %s: %s%s", e.Code, e.MessageID, argNames(e.Args))
}

// argNames is " [A B]" for arguments A and B, "" for none.
func argNames(args map[string]any) string {
	if len(args) == 0 {
		return ""
	}
	return fmt.Sprint(" ", slices.Sorted(maps.Keys(args)))
}

// Errorf returns an *Error.
func Errorf(code, messageID string, args map[string]any) *Error {
	return &Error{Code: code, MessageID: messageID, Args: args}
}

// ErrorCode returns the code of err's *Error, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrNotFound is the shared not-found error.
var ErrNotFound = &Error{Code: ENotFound, MessageID: "error.not_found"}
