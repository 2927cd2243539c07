package exchange

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// CSVWriter writes CSV in UTF-8 with a BOM, one row at a time, so an export
// never holds the whole file in memory. The BOM is what makes Excel in
// Japan open UTF-8 rather than guessing Shift_JIS and garbling names.
type CSVWriter struct {
	w *csv.Writer
}

// NewCSVWriter writes the BOM and the header row to w.
func NewCSVWriter(w io.Writer, header []string) (*CSVWriter, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, err
	}
	c := &CSVWriter{w: csv.NewWriter(w)}
	c.w.UseCRLF = true // RFC 4180, and what Excel writes itself
	if err := c.w.Write(header); err != nil {
		return nil, err
	}
	return c, nil
}

// Write writes one row. Cells that a spreadsheet would run as a formula
// are defused (see escapeFormula).
func (c *CSVWriter) Write(row []string) error {
	out := make([]string, len(row))
	for i, v := range row {
		out[i] = escapeFormula(v)
	}
	return c.w.Write(out)
}

// Flush writes any buffered data and reports the first write error.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// escapeFormula prefixes an apostrophe to a cell starting with = + - @ or a
// tab/CR, the characters that make Excel treat a CSV cell as a formula (CSV
// injection: an operator's name is user input, the export is opened by
// someone else). The CSV reader strips the apostrophe again so an export
// imports unchanged. XLSX needs none of this: its cells are typed strings.
func escapeFormula(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func unescapeFormula(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(v[1])) {
		return v[1:]
	}
	return v
}

// Column describes one column of an XLSX export.
type Column struct {
	Header string
	// Width in Excel's character units; 0 sizes the column to its header.
	Width float64
	// Choices, when set, become a drop-down list on the column, so offline
	// edits pick valid values instead of typing near-misses.
	Choices []string
}

// XLSXWriter writes one sheet of an XLSX workbook, one row at a time
// (excelize's stream writer, which spools to a temporary file, not memory).
// The header row is bold and frozen, and every cell is text-formatted so
// codes typed offline keep their leading zeros.
type XLSXWriter struct {
	w    io.Writer
	f    *excelize.File
	sw   *excelize.StreamWriter
	cols []Column
	next int // the row the next Write goes to
}

// listsSheet holds the drop-down choices. Referring to a range there,
// rather than listing the choices inline, avoids Excel's 255-character
// limit on inline lists.
const listsSheet = "lists"

// NewXLSXWriter starts a workbook with one sheet named sheet and its header.
func NewXLSXWriter(w io.Writer, sheet string, cols []Column) (*XLSXWriter, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		f.Close()
		return nil, err
	}
	x := &XLSXWriter{w: w, f: f, cols: cols, next: 2}
	if err := x.start(sheet); err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

func (x *XLSXWriter) start(sheet string) error {
	text, err := x.f.NewStyle(&excelize.Style{NumFmt: 49}) // 49 is "@", text
	if err != nil {
		return err
	}
	bold, err := x.f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8F1FE"}}})
	if err != nil {
		return err
	}
	if err := x.addChoices(sheet); err != nil {
		return err
	}
	if x.sw, err = x.f.NewStreamWriter(sheet); err != nil {
		return err
	}
	for i, c := range x.cols {
		width := c.Width
		if width == 0 {
			width = headerWidth(c.Header)
		}
		if err := x.sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
		if err := x.sw.SetColStyle(i+1, i+1, text); err != nil {
			return err
		}
	}
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	header := make([]any, len(x.cols))
	for i, c := range x.cols {
		header[i] = excelize.Cell{Value: c.Header, StyleID: bold}
	}
	return x.sw.SetRow("A1", header)
}

// addChoices writes the drop-down lists to a hidden sheet and attaches them
// to their columns. It runs before streaming starts: the stream writer
// keeps validations added to its sheet beforehand.
func (x *XLSXWriter) addChoices(sheet string) error {
	var listCol int
	for i, c := range x.cols {
		if len(c.Choices) == 0 {
			continue
		}
		if listCol == 0 {
			if _, err := x.f.NewSheet(listsSheet); err != nil {
				return err
			}
			if err := x.f.SetSheetVisible(listsSheet, false); err != nil {
				return err
			}
		}
		listCol++
		name, err := excelize.ColumnNumberToName(listCol)
		if err != nil {
			return err
		}
		for j, v := range c.Choices {
			if err := x.f.SetCellStr(listsSheet, fmt.Sprintf("%s%d", name, j+1), v); err != nil {
				return err
			}
		}
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, excelize.TotalRows)
		dv.SetSqrefDropList(fmt.Sprintf("%s!$%s$1:$%s$%d", listsSheet, name, name, len(c.Choices)))
		if err := x.f.AddDataValidation(sheet, dv); err != nil {
			return err
		}
	}
	return nil
}

// headerWidth fits a header, counting wide (CJK) characters as two.
func headerWidth(h string) float64 {
	w := 0
	for _, r := range h {
		if r >= 0x1100 {
			w += 2
		} else {
			w++
		}
	}
	return float64(max(w+2, 10))
}

// Write appends one row below the header.
func (x *XLSXWriter) Write(row []string) error {
	cells := make([]any, len(row))
	for i, v := range row {
		cells[i] = v
	}
	cell, err := excelize.CoordinatesToCellName(1, x.next)
	if err != nil {
		return err
	}
	x.next++
	return x.sw.SetRow(cell, cells)
}

// Close finishes the workbook, writes it to w and releases temporary files.
func (x *XLSXWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	_, err := x.f.WriteTo(x.w)
	return err
}

// AddSheet finishes the current sheet and starts another, named sheet,
// with its header; Write then appends to it.
func (x *XLSXWriter) AddSheet(sheet string, cols []Column) error {
	if err := x.sw.Flush(); err != nil {
		return err
	}
	if _, err := x.f.NewSheet(sheet); err != nil {
		return err
	}
	x.cols, x.next = cols, 2
	return x.start(sheet)
}
