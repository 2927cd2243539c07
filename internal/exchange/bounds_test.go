package exchange_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/exchange"
)

// deflated is a deflate stream built from pieces, each compressed on its
// own and flushed to a byte boundary, so a piece can be repeated by
// copying its compressed bytes: a test builds hundreds of MB of inflated
// data in milliseconds.
type deflated struct {
	comp bytes.Buffer
	crc  uint32
	size uint64
}

func (d *deflated) add(piece string, times int) {
	var c bytes.Buffer
	fw, _ := flate.NewWriter(&c, flate.BestCompression)
	_, _ = fw.Write([]byte(piece))
	_ = fw.Flush()
	for range times {
		d.comp.Write(c.Bytes())
		d.crc = crc32.Update(d.crc, crc32.IEEETable, []byte(piece))
		d.size += uint64(len(piece))
	}
}

func (d *deflated) close() {
	fw, _ := flate.NewWriter(&d.comp, flate.BestCompression)
	_ = fw.Close()
}

// bombXLSX is a valid small workbook whose first sheet is replaced by
// head + body×times + tail. declared is the size the zip directory claims
// for the sheet (0: the true size).
func bombXLSX(t testing.TB, head, body string, times int, tail string, declared uint64) []byte {
	return bombPart(t, "xl/worksheets/sheet1.xml", head, body, times, tail, declared)
}

// bombPart is bombXLSX for any part of a workbook with one shared string.
func bombPart(t testing.TB, part, head, body string, times int, tail string, declared uint64) []byte {
	t.Helper()
	f := excelize.NewFile()
	_ = f.SetCellStr("Sheet1", "A1", "名称")
	var book bytes.Buffer
	if _, err := f.WriteTo(&book); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	zr, err := zip.NewReader(bytes.NewReader(book.Bytes()), int64(book.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, e := range zr.File {
		if e.Name == part {
			continue
		}
		if err := zw.Copy(e); err != nil {
			t.Fatal(err)
		}
	}
	var d deflated
	d.add(head, 1)
	d.add(body, times)
	d.add(tail, 1)
	d.close()
	if declared == 0 {
		declared = d.size
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: part, Method: zip.Deflate,
		CRC32: d.crc, CompressedSize64: uint64(d.comp.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(d.comp.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

const (
	sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c></row>`
	sheetTail = `</sheetData></worksheet>`
	sstHead   = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>名称</t></si>`
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

// TestXLSXBombsRefused: the shapes of the finding (many rows, one
// huge cell, a part that lies about its size, a huge cell or shared
// strings within the inflated cap) are refused within
// memory proportional to the upload limit, and nothing is written to the
// temporary directory.
func TestXLSXBombsRefused(t *testing.T) {
	const inflated = 450 << 20
	rows := strings.Repeat(`<row><c t="inlineStr"><is><t>operator</t></is></c></row>`, 1000)
	cell := strings.Repeat("A", 1<<20)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"many rows", bombXLSX(t, sheetHead, rows, inflated/len(rows), sheetTail, 0), "exchange.file.xlsx_inflated"},
		{"one huge cell", bombXLSX(t, sheetHead+`<row r="2"><c r="A2" t="inlineStr"><is><t>`, cell, inflated/len(cell),
			`</t></is></c></row>`+sheetTail, 0), "exchange.file.xlsx_inflated"},
		{"size understated", bombXLSX(t, sheetHead+`<row r="2"><c r="A2" t="inlineStr"><is><t>`, cell, inflated/len(cell),
			`</t></is></c></row>`+sheetTail, 1<<20), "exchange.file.xlsx_invalid"},
		// Within the inflated cap, but one text node of 30 MB, which
		// excelize would decode whole at several times its size.
		{"huge cell within the cap", bombXLSX(t, sheetHead+`<row r="2"><c r="A2" t="inlineStr"><is><t>`, cell, 30,
			`</t></is></c></row>`+sheetTail, 0), "exchange.file.xlsx_text_too_long"},
		// Within the inflated cap, but an element per 4 bytes: excelize
		// decodes shared strings whole at ~300 bytes of heap per element.
		{"shared strings", bombPart(t, "xl/sharedStrings.xml", sstHead, strings.Repeat(`<si><t/></si>`, 10000),
			(exchange.XLSXElementsBase+exchange.DefaultMaxRows*exchange.XLSXElementsPerRow)/30000+1, `</sst>`, 0), "exchange.file.xlsx_elements"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			if len(c.data) > 2<<20 {
				t.Fatalf("bomb is %d bytes, meant to be small", len(c.data))
			}
			var err error
			alloc := allocated(func() {
				_, err = exchange.Read(bytes.NewReader(c.data), exchange.ReadOptions{})
			})
			if got := messageOf(err); got != c.want {
				t.Errorf("%d-byte bomb: %s, want %s", len(c.data), got, c.want)
			}
			// The inflated cap (40 MB at the default limit) plus the file itself.
			if limit := uint64(exchange.Limits{}.MaxInflated() + 2*exchange.DefaultMaxBytes); alloc > limit {
				t.Errorf("allocated %d MB, want at most %d MB", alloc>>20, limit>>20)
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("left %d files in the temporary directory", len(left))
			}
		})
	}
}

// TestXLSXRowAndCellLimits: within the inflated cap, a cell longer than
// MaxCell and a row wider than MaxColumns are refused naming the row.
func TestXLSXRowAndCellLimits(t *testing.T) {
	long := bombXLSX(t, sheetHead+`<row r="2"><c r="A2" t="inlineStr"><is><t>`, "あ", exchange.DefaultMaxCell/3+1, `</t></is></c></row>`+sheetTail, 0)
	_, err := exchange.Read(bytes.NewReader(long), exchange.ReadOptions{})
	if got := messageOf(err); got != "exchange.file.cell_too_long" {
		t.Errorf("long cell: %s", got)
	}
	wide := bombXLSX(t, sheetHead+`<row r="2">`, `<c t="inlineStr"><is><t>x</t></is></c>`, exchange.DefaultMaxColumns+1, `</row>`+sheetTail, 0)
	_, err = exchange.Read(bytes.NewReader(wide), exchange.ReadOptions{})
	if got := messageOf(err); got != "exchange.file.too_many_columns" {
		t.Errorf("wide row: %s", got)
	}
	// At the limits the file reads.
	ok := bombXLSX(t, sheetHead+`<row r="2"><c r="A2" t="inlineStr"><is><t>`, "x", exchange.DefaultMaxCell, `</t></is></c></row>`+sheetTail, 0)
	if _, err := exchange.Read(bytes.NewReader(ok), exchange.ReadOptions{}); err != nil {
		t.Errorf("cell of exactly MaxCell: %v", err)
	}
}

func TestCSVRowAndCellLimits(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"long cell", "a\n" + strings.Repeat("x", exchange.DefaultMaxCell+1) + "\n", "exchange.file.cell_too_long"},
		{"wide row", "a\n" + strings.Repeat("x,", exchange.DefaultMaxColumns) + "x\n", "exchange.file.too_many_columns"},
		{"wide header", strings.Repeat("h,", exchange.DefaultMaxColumns) + "h\n", "exchange.file.too_many_columns"},
	}
	for _, c := range cases {
		_, err := exchange.Read(strings.NewReader(c.data), exchange.ReadOptions{})
		if got := messageOf(err); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	// Trailing empty cells do not count towards the width.
	if _, err := exchange.Read(strings.NewReader("a\nx"+strings.Repeat(",", 200)+"\n"), exchange.ReadOptions{}); err != nil {
		t.Errorf("trailing empty cells: %v", err)
	}
}
