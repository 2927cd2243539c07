package exchange_test

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/kijun-portal/kijun/internal/exchange"
)

// fuzzLimits are small, so that each input is judged quickly; the bound
// on allocation follows from them (an XLSX may unpack to 4 MB and hold
// the workbook's XLSXElementsBase elements).
var fuzzLimits = exchange.Limits{MaxBytes: 1 << 20, MaxRows: 1000}

const fuzzMaxAlloc = 256 << 20

// fuzzRead reads data and fails on a panic (by the fuzzer), on an error
// that is not a message for the user, or on allocating beyond the bound.
func fuzzRead(t *testing.T, data []byte) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := exchange.Read(bytes.NewReader(data), exchange.ReadOptions{Limits: fuzzLimits})
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if err != nil && messageOf(err) == err.Error() {
		t.Errorf("error without a message id: %v", err)
	}
	if alloc > fuzzMaxAlloc {
		t.Errorf("%d-byte input allocated %d MB", len(data), alloc>>20)
	}
}

// FuzzReadCSV: seeds in testdata/fuzz/FuzzReadCSV (UTF-8, BOM, Shift_JIS,
// quoting).
func FuzzReadCSV(f *testing.F) {
	f.Fuzz(fuzzRead)
}

// FuzzReadXLSX: seeds in testdata/fuzz/FuzzReadXLSX (small workbooks
// written by excelize and by the register writer, a truncated one).
func FuzzReadXLSX(f *testing.F) {
	f.Fuzz(fuzzRead)
}
