package catalog_test

import (
	"runtime"
	"testing"

	"github.com/kijun-portal/kijun/internal/catalog"
)

// fuzzMaxAlloc bounds what one import may allocate: a file at the limits
// parses into a tree of at most twice MaxImportItems nodes.
const fuzzMaxAlloc = 256 << 20

func fuzzImport(t *testing.T, parse func([]byte, catalog.Reference) (*catalog.Catalog, []catalog.Problem), data []byte) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, ps := parse(data, testRef)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > fuzzMaxAlloc {
		t.Errorf("%d-byte input allocated %d MB", len(data), alloc>>20)
	}
	if c == nil && len(ps) == 0 {
		t.Error("no catalog and no problem")
	}
	if len(ps) > 2*catalog.MaxProblems+2 {
		t.Errorf("%d problems", len(ps))
	}
}

// FuzzParseYAML: seeds in testdata/fuzz/FuzzParseYAML (a valid catalog,
// typos, bad syntax, an alias bomb, deep nesting).
func FuzzParseYAML(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzImport(t, catalog.ParseYAML, data) })
}

// FuzzImportOSCAL: seeds in testdata/fuzz/FuzzImportOSCAL (NIST-shaped
// catalogs, bad syntax, wrong types).
func FuzzImportOSCAL(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzImport(t, catalog.ImportOSCAL, data) })
}
