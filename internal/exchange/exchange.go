// Package exchange reads and writes the tabular files (CSV and XLSX) that
// ministries and operators exchange with Kijun offline, and defines the
// operator register file and the offline assessment workbook on top of
// them. It never touches the database:
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
// under all of them, and an upload can never need more memory than these
// allow.
const (
	DefaultMaxBytes   = 10 << 20
	DefaultMaxRows    = 10000
	DefaultMaxCell    = 64 << 10
	DefaultMaxColumns = 64
)

// XLSXInflateFactor bounds how far an XLSX may inflate: the parts of a
// workbook together may unpack to at most this many times MaxBytes.
// Spreadsheet XML compresses about 10:1, but a workbook within the row
// limit unpacks to a few MB; the cap is what keeps a zip bomb (a 434 KB
// file inflating to 450 MB) from being unpacked at all.
const XLSXInflateFactor = 4

// An XLSX's XML elements outside its sheets (shared strings, styles, the
// workbook, the theme), which excelize decodes whole at a few hundred bytes
// of heap each, are at most XLSXElementsBase (any workbook's own
// structure) plus XLSXElementsPerRow times MaxRows (a text in the shared
// strings takes about four).
const (
	XLSXElementsBase   = 100000
	XLSXElementsPerRow = 50
)

// Limits bound what a reader accepts, so an upload cannot exhaust memory
// or disk: the whole file, its inflated size (XLSX), every row and every
// cell. Zero fields take the defaults.
type Limits struct {
	MaxBytes   int64 // size of the file as uploaded
	MaxRows    int   // data rows, not counting the header or blank rows
	MaxCell    int   // bytes in one cell (UTF-8)
	MaxColumns int   // cells in one row, up to its last non-blank one
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxCell <= 0 {
		l.MaxCell = DefaultMaxCell
	}
	if l.MaxColumns <= 0 {
		l.MaxColumns = DefaultMaxColumns
	}
	return l
}

// MaxInflated is the most an XLSX read under l may unpack to.
func (l Limits) MaxInflated() int64 {
	return l.withDefaults().MaxBytes * XLSXInflateFactor
}

func (l Limits) maxElements() int64 {
	return XLSXElementsBase + int64(l.withDefaults().MaxRows)*XLSXElementsPerRow
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
