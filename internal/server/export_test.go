package server

import (
	"slices"
	"time"
)

// CompressForTest is the compression middleware, for server_test.
var CompressForTest = compress

// RetireForTest adds a retirement of method and pattern (param: only of
// that query parameter) to the table until the returned func restores it.
func RetireForTest(method, pattern, param string, deprecated, sunset time.Time, link string) (restore func()) {
	old := retired
	retired = append(slices.Clone(retired), retirement{Method: method, Pattern: pattern, Param: param,
		Deprecated: deprecated, Sunset: sunset, Link: link})
	return func() { retired = old }
}
