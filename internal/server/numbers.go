package server

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Numbers in paths, queries and forms are parsed here, each with its range,
// so that no value a client sends reaches the database out of the range
// of its column (ids are bigint, counts and years int).

// parseID parses a database id: 1 to the largest bigint. Anything else is
// "not found", as an id that does not exist would be.
func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// formID parses an id chosen in a form (a select, a checkbox, a hidden
// row id): 0 when it is missing, malformed or out of range, which the
// handler treats as nothing chosen.
func formID(s string) int64 {
	id, _ := parseID(strings.TrimSpace(s))
	return id
}

// pathID reads a numeric URL parameter; anything else is "not found".
func pathID(r *http.Request, name string) (int64, error) {
	return parseID(chiParam(r, name))
}

// queryID reads an optional id parameter: 0 when absent, "not found" when
// malformed or out of range.
func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	return parseID(v)
}

// maxPage bounds page numbers so that an offset never overflows.
const maxPage = 100_000

// queryPage reads the page number: 1 when absent, malformed or out of
// range.
func queryPage(q url.Values) int {
	if n := atoiOr0(q.Get("page")); n >= 1 && n <= maxPage {
		return n
	}
	return 1
}

// atoiOr0 parses a count, version or year typed in a form or query: 0
// when it is not a number or does not fit the database's int, so that the
// domain's checks refuse it as missing.
func atoiOr0(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
		return 0
	}
	return n
}
