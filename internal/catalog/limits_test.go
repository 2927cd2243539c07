package catalog_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/catalog"
)

// allocated runs f and returns the bytes it allocated, an upper bound of
// the memory it held at any time.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestImportBounded: files whose parsed tree would be hundreds of times
// their size are refused before parsing, naming the limit; an alias bomb
// is not expanded; a file with thousands of problems lists MaxProblems.
func TestImportBounded(t *testing.T) {
	n := catalog.MaxImportItems + 1
	laughs := "a: &a [x,x,x,x,x,x,x,x,x]\n"
	for _, c := range "bcdefghi" {
		prev := string(c - 1)
		laughs += string(c) + ": &" + string(c) + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n"
	}
	laughs += "controls: [" + strings.Repeat("*i,", 8) + "*i]\n"
	cases := []struct {
		name, kind, data, want string
	}{
		{"yaml flow", "yaml", "controls: [" + strings.Repeat("a,", n) + "a]", "catalog.problem.too_many_items"},
		{"yaml block", "yaml", "controls:\n" + strings.Repeat("- a\n", n), "catalog.problem.too_many_items"},
		{"oscal controls", "oscal", `{"catalog":{"uuid":"x","metadata":{},"controls":[` + strings.Repeat("{},", n) + `{}]}}`, "catalog.problem.too_many_items"},
		{"too large", "yaml", "# " + strings.Repeat("x", catalog.MaxImportBytes), "catalog.problem.file_too_large"},
		{"alias bomb", "yaml", laughs, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ps []catalog.Problem
			alloc := allocated(func() {
				if c.kind == "oscal" {
					_, ps = catalog.ImportOSCAL([]byte(c.data), testRef)
				} else {
					_, ps = catalog.ParseYAML([]byte(c.data), testRef)
				}
			})
			if len(ps) == 0 || (c.want != "" && ps[0].ID != c.want) {
				t.Errorf("problems %v, want %s", ps[:min(len(ps), 3)], c.want)
			}
			if len(ps) > catalog.MaxProblems+1 {
				t.Errorf("%d problems, want at most %d", len(ps), catalog.MaxProblems+1)
			}
			if limit := uint64(len(c.data))*4 + 16<<20; alloc > limit {
				t.Errorf("%d-byte file allocated %d MB, want at most %d MB", len(c.data), alloc>>20, limit>>20)
			}
		})
	}
}

func TestImportProblemsCapped(t *testing.T) {
	_, ps := catalog.ParseYAML([]byte("controls:\n"+strings.Repeat("- 1\n", 1000)), testRef)
	if len(ps) != catalog.MaxProblems+1 {
		t.Fatalf("%d problems, want %d", len(ps), catalog.MaxProblems+1)
	}
	found := false
	for _, p := range ps {
		found = found || p.ID == "catalog.problem.too_many_problems"
	}
	if !found {
		t.Error("no too_many_problems problem")
	}
}
