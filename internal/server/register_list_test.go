package server

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// applyList deletes rows with a negative sort order, creates rows with no
// id, updates changed rows, leaves the same ones alone, in the order
// edited; an id it does not know stops it there (errStaleList).
func TestApplyList(t *testing.T) {
	type row struct {
		ID, Order int
		Name      string
	}
	key := func(r row) (int64, int) { return int64(r.ID), r.Order }
	same := func(a, b row) bool { return a == b }
	current := []row{{1, 0, "a"}, {2, 1, "b"}, {3, 2, "c"}}
	run := func(edited []row) ([]string, error) {
		var did []string
		do := func(what string) func(row) error {
			return func(r row) error { did = append(did, fmt.Sprintf("%s %d %s", what, r.ID, r.Name)); return nil }
		}
		err := applyList(current, edited, key, same, do("delete"), do("create"), do("update"))
		return did, err
	}
	did, err := run([]row{{1, 0, "a"}, {2, -1, "b"}, {3, 2, "C"}, {0, 3, "d"}})
	if want := []string{"delete 2 b", "update 3 C", "create 0 d"}; err != nil || !slices.Equal(did, want) {
		t.Errorf("did %q (%v), want %q", did, err, want)
	}
	if did, err := run([]row{{9, 0, "x"}}); !errors.Is(err, errStaleList) || len(did) != 0 {
		t.Errorf("unknown id: did %q, error %v", did, err)
	}
}
