package exchange

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/unicode/norm"
)

// Table is a file read into rows keyed by header.
type Table struct {
	Format   Format
	Encoding string   // CSV only: EncodingUTF8, EncodingUTF8BOM or EncodingShiftJIS
	Header   []string // as normalised: NFKC, surrounding space trimmed
	Rows     []Row
}

// Row is one non-blank data row.
type Row struct {
	// Line is the 1-based line (CSV, where a record starts) or row (XLSX)
	// in the file, so a problem can be found where the user looks for it.
	Line int
	// Values maps every header to the row's cell, "" when the row is short.
	// Cells are as written; callers trim and normalise what they parse.
	Values map[string]string
	// Extra counts non-empty cells beyond the header (or under an empty
	// header cell): data the reader had to drop, which the caller reports.
	Extra int
}

// ReadOptions are Read's knobs.
type ReadOptions struct {
	Limits
	// Sheet names the XLSX sheet to read; "" reads the first one.
	Sheet string
}

var (
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts .xls files and password-protected .xlsx files, which
	// users upload often enough to deserve their own message.
	oleMagic = []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
	utf8BOM  = []byte("\xEF\xBB\xBF")
)

// Read reads a CSV or XLSX file, recognised by its content rather than its
// name, into a Table. At most opts.MaxBytes are read from r; errors meant
// for the user are *kijun.Error with an exchange.file.* message.
func Read(r io.Reader, opts ReadOptions) (*Table, error) {
	lim := opts.Limits.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, fileError("exchange.file.too_large", map[string]any{"Max": humanSize(lim.MaxBytes)})
	}
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, fileError("exchange.file.empty", nil)
	case bytes.HasPrefix(data, zipMagic):
		return readXLSX(data, opts.Sheet, lim)
	case bytes.HasPrefix(data, oleMagic):
		return nil, fileError("exchange.file.xls", nil)
	case bytes.HasPrefix(data, []byte("\xFF\xFE")) || bytes.HasPrefix(data, []byte("\xFE\xFF")):
		// UTF-16, as Excel's "Unicode text": neither CSV nor an encoding we take.
		return nil, fileError("exchange.file.encoding", nil)
	case bytes.IndexByte(data, 0) >= 0:
		// No text file contains NUL; this is some other binary format.
		return nil, fileError("exchange.file.unsupported", nil)
	}
	text, enc, err := decode(data)
	if err != nil {
		return nil, err
	}
	t, err := readCSV(text, lim)
	if err != nil {
		return nil, err
	}
	t.Encoding = enc
	return t, nil
}

// decode turns CSV bytes into UTF-8 text. A BOM or valid UTF-8 wins; else
// the bytes are taken as Shift_JIS (CP932, which Excel in Japan writes),
// and bytes that are not valid there either make the file unreadable
// rather than silently turning into U+FFFD.
func decode(data []byte) (string, string, error) {
	if rest, ok := bytes.CutPrefix(data, utf8BOM); ok {
		if !utf8.Valid(rest) {
			return "", "", fileError("exchange.file.encoding", nil)
		}
		return string(rest), EncodingUTF8BOM, nil
	}
	if utf8.Valid(data) {
		return string(data), EncodingUTF8, nil
	}
	text, err := japanese.ShiftJIS.NewDecoder().Bytes(data)
	// The decoder maps invalid bytes to U+FFFD, which no Shift_JIS
	// character decodes to, so its presence means the bytes were invalid.
	if err != nil || bytes.ContainsRune(text, utf8.RuneError) {
		return "", "", fileError("exchange.file.encoding", nil)
	}
	return string(text), EncodingShiftJIS, nil
}

func readCSV(text string, lim Limits) (*Table, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1 // short and long rows are the caller's to judge
	cr.ReuseRecord = true
	t := &Table{Format: CSV}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fileError("exchange.file.csv_syntax", map[string]any{"Line": pe.StartLine})
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		for i, v := range rec {
			rec[i] = unescapeFormula(v)
		}
		if err := t.add(line, rec, lim); err != nil {
			return nil, err
		}
	}
	return t.done()
}

func readXLSX(data []byte, sheet string, lim Limits) (*Table, error) {
	if err := checkZip(data, lim); err != nil {
		return nil, err
	}
	// checkZip bounded what the parts unpack to, so every part stays in
	// memory (the XML limit equals the total): nothing is spooled to
	// temporary files.
	unzip := lim.MaxInflated()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		// Raw values keep 法人番号 typed as numbers from turning into
		// "7.00001E+12" and leave dates as serials, which the date parser takes.
		RawCellValue:      true,
		UnzipSizeLimit:    unzip,
		UnzipXMLSizeLimit: unzip,
	})
	if err != nil {
		return nil, fileError("exchange.file.xlsx_invalid", nil)
	}
	defer f.Close()
	if sheet == "" {
		sheet = f.GetSheetName(0)
	} else if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
		return nil, fileError("exchange.file.sheet_not_found", map[string]any{"Sheet": sheet})
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, fileError("exchange.file.xlsx_invalid", nil)
	}
	defer rows.Close()
	t := &Table{Format: XLSX}
	for line := 1; rows.Next(); line++ {
		// Rows skips nothing: row n of the sheet is the n-th Next, empty or not.
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fileError("exchange.file.xlsx_invalid", nil)
		}
		if err := t.add(line, rec, lim); err != nil {
			return nil, err
		}
	}
	if rows.Error() != nil {
		return nil, fileError("exchange.file.xlsx_invalid", nil)
	}
	return t.done()
}

// checkZip decides, before excelize opens an XLSX, that what excelize
// will hold in memory is bounded by the limits:
//   - the sizes the central directory declares add up to MaxInflated;
//     archive/zip fails a part that inflates past its declaration;
//   - every part is inflated once here, because excelize ignores a read
//     error and would take a part cut short at its declared size;
//   - the elements outside the sheets, which excelize decodes whole at a
//     few hundred bytes of heap each, number at most maxElements ('<'
//     bounds them);
//   - no text node is longer than a cell may be escaped (a character
//     escapes to at most 6 bytes): excelize decodes one whole, at several
//     times its size, before the cell can be measured.
func checkZip(data []byte, lim Limits) error {
	unzip := lim.MaxInflated()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fileError("exchange.file.xlsx_invalid", nil)
	}
	var total uint64
	for _, e := range zr.File {
		total += min(e.UncompressedSize64, uint64(unzip)+1) // no overflow
		if total > uint64(unzip) {
			return fileError("exchange.file.xlsx_inflated", map[string]any{"Max": humanSize(unzip)})
		}
	}
	var elements int64
	for _, e := range zr.File {
		m, err := checkPart(e)
		if err != nil {
			return fileError("exchange.file.xlsx_invalid", nil)
		}
		name := strings.ToLower(e.Name)
		if !strings.HasPrefix(name, "xl/worksheets/") {
			elements += m.tags
		}
		if (strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels")) && m.longest > 6*int64(lim.MaxCell) {
			return fileError("exchange.file.xlsx_text_too_long", map[string]any{"Max": humanSize(int64(lim.MaxCell))})
		}
	}
	if max := lim.maxElements(); elements > max {
		return fileError("exchange.file.xlsx_elements", map[string]any{"Max": max})
	}
	return nil
}

// checkPart inflates one part of a zip file and measures its markup;
// archive/zip fails the read when the part is longer or shorter than
// declared or its checksum differs.
func checkPart(e *zip.File) (markup, error) {
	rc, err := e.Open()
	if err != nil {
		return markup{}, err
	}
	defer rc.Close()
	var m markup
	_, err = io.Copy(&m, rc)
	return m, err
}

// markup counts the '<' in what is written to it and the longest run of
// bytes without one.
type markup struct {
	tags, run, longest int64
}

func (m *markup) Write(p []byte) (int, error) {
	for rest := p; ; {
		i := bytes.IndexByte(rest, '<')
		if i < 0 {
			m.run += int64(len(rest))
			m.longest = max(m.longest, m.run)
			return len(p), nil
		}
		m.longest = max(m.longest, m.run+int64(i))
		m.tags++
		m.run = 0
		rest = rest[i+1:]
	}
}

// add takes the first non-blank record as the header and the rest as rows.
func (t *Table) add(line int, rec []string, lim Limits) error {
	if blank(rec) {
		return nil
	}
	if err := checkRecord(line, rec, lim); err != nil {
		return err
	}
	if t.Header == nil {
		seen := map[string]bool{}
		t.Header = make([]string, len(rec))
		for i, h := range rec {
			h = strings.TrimSpace(norm.NFKC.String(strings.TrimPrefix(h, "\uFEFF")))
			if h != "" && seen[h] {
				return fileError("exchange.file.duplicate_header", map[string]any{"Header": h})
			}
			seen[h] = true
			t.Header[i] = h
		}
		return nil
	}
	if len(t.Rows) >= lim.MaxRows {
		return fileError("exchange.file.too_many_rows", map[string]any{"Max": lim.MaxRows})
	}
	row := Row{Line: line, Values: make(map[string]string, len(t.Header))}
	for _, h := range t.Header {
		if h != "" {
			row.Values[h] = ""
		}
	}
	for i, v := range rec {
		if i < len(t.Header) && t.Header[i] != "" {
			row.Values[t.Header[i]] = v
		} else if strings.TrimSpace(v) != "" {
			row.Extra++
		}
	}
	t.Rows = append(t.Rows, row)
	return nil
}

func (t *Table) done() (*Table, error) {
	if t.Header == nil {
		return nil, fileError("exchange.file.empty", nil)
	}
	return t, nil
}

// checkRecord refuses a row with a cell longer than MaxCell or more than
// MaxColumns cells up to its last non-blank one.
func checkRecord(line int, rec []string, lim Limits) error {
	n := len(rec)
	for n > 0 && strings.TrimSpace(rec[n-1]) == "" {
		n--
	}
	if n > lim.MaxColumns {
		return fileError("exchange.file.too_many_columns", map[string]any{"Line": line, "Max": lim.MaxColumns})
	}
	for _, v := range rec {
		if len(v) > lim.MaxCell {
			return fileError("exchange.file.cell_too_long", map[string]any{"Line": line, "Max": humanSize(int64(lim.MaxCell))})
		}
	}
	return nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
