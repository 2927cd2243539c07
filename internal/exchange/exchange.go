// Package exchange reads and writes the tabular files (CSV and XLSX) that
// ministries and operators exchange with Kijun offline, and defines the
// operator register file on top of them. It never touches the database:
// lookups go through small interfaces the caller implements.
package exchange

import (
	"fmt"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Format is a file format this package reads and writes.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Encodings a CSV file was read in, reported so the preview can say how
// the file was understood.
const (
	EncodingUTF8     = "utf-8"
	EncodingUTF8BOM  = "utf-8-bom"
	EncodingShiftJIS = "shift_jis"
)

// Defaults for Limits: a register of a few thousand operators is well
// under both, and an upload can never need more memory than these allow.
const (
	DefaultMaxBytes = 10 << 20
	DefaultMaxRows  = 10000
)

// Limits bound what a reader accepts, so an upload cannot exhaust memory.
// Zero fields take the defaults.
type Limits struct {
	MaxBytes int64 // size of the file as uploaded
	MaxRows  int   // data rows, not counting the header or blank rows
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	return l
}

// fileError returns the *kijun.Error for a problem with the file as a whole.
func fileError(id string, args map[string]any) error {
	return kijun.Errorf(kijun.EInvalid, id, args)
}

// humanSize writes a byte count the way both languages can show it.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
