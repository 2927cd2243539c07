package kijun

// NonNil is s, or an empty slice for nil: a list that is written out
// (JSON, a NOT NULL array column) as empty, never as null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
