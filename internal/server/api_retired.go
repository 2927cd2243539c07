package server

import (
	"net/http"
	"strconv"
	"time"
)

// retirement is a route, or a query parameter of one, that is deprecated
// (RFC 9745) and perhaps has a date after which it is gone (RFC 8594).
type retirement struct {
	Method, Pattern string // as registered, without apiPrefix
	// Param, if set, retires only this query parameter: the headers are
	// sent when a request uses it.
	Param string
	// Deprecated is when it was deprecated; Sunset, if not zero, when it
	// stops answering.
	Deprecated, Sunset time.Time
	// Link is a document saying what replaces it (docs/api.md's anchor).
	Link string
}

// retired is the table of what the API has retired: every response of a
// listed route (or of a request with a listed parameter) says so with
// Deprecation, Sunset and Link headers. Nothing is retired yet; add a
// row here and to docs/api.md ("Retired") when something is.
var retired []retirement

// markRetired sets the headers of the retirements of method and pattern
// that r meets.
func markRetired(w http.ResponseWriter, r *http.Request, method, pattern string) {
	for _, d := range retired {
		if d.Method != method || d.Pattern != pattern || d.Param != "" && !r.URL.Query().Has(d.Param) {
			continue
		}
		w.Header().Add("Deprecation", "@"+strconv.FormatInt(d.Deprecated.Unix(), 10))
		if !d.Sunset.IsZero() {
			w.Header().Set("Sunset", d.Sunset.UTC().Format(http.TimeFormat))
		}
		if d.Link != "" {
			w.Header().Add("Link", "<"+d.Link+`>; rel="deprecation"; type="text/html"`)
		}
	}
}
