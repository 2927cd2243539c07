package exchange_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// messageOf returns the message id of a *kijun.Error, or the error text.
func messageOf(err error) string {
	var e *kijun.Error
	if errors.As(err, &e) {
		return e.MessageID
	}
	return fmt.Sprint(err)
}

func TestReadRefuses(t *testing.T) {
	var zipBuf bytes.Buffer
	zw := zip.NewWriter(&zipBuf)
	w, _ := zw.Create("hello.txt")
	_, _ = w.Write([]byte("not a workbook"))
	_ = zw.Close()

	cases := []struct {
		name string
		data []byte
		opts exchange.ReadOptions
		want string
	}{
		{"oversize", []byte(strings.Repeat("a,b\r\n", 300)), exchange.ReadOptions{Limits: exchange.Limits{MaxBytes: 1024}}, "exchange.file.too_large"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), exchange.ReadOptions{}, "exchange.file.unsupported"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\x00stream"), exchange.ReadOptions{}, "exchange.file.unsupported"},
		{"xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), exchange.ReadOptions{}, "exchange.file.xls"},
		{"zip that is not xlsx", zipBuf.Bytes(), exchange.ReadOptions{}, "exchange.file.xlsx_invalid"},
		{"utf-16", []byte("\xFF\xFEa\x00,\x00b\x00"), exchange.ReadOptions{}, "exchange.file.encoding"},
		// 0x81 0x20 is neither UTF-8 nor Shift_JIS (0x20 cannot trail a lead byte).
		{"neither utf-8 nor shift_jis", []byte("名称\n\x81\x20abc\n"), exchange.ReadOptions{}, "exchange.file.encoding"},
		{"bom then bad utf-8", []byte("\xEF\xBB\xBFa\n\xff\n"), exchange.ReadOptions{}, "exchange.file.encoding"},
		{"empty", []byte(" \r\n"), exchange.ReadOptions{}, "exchange.file.empty"},
		{"only blank records", []byte(",,\r\n,,\r\n"), exchange.ReadOptions{}, "exchange.file.empty"},
		{"too many rows", []byte("a\n1\n2\n3\n"), exchange.ReadOptions{Limits: exchange.Limits{MaxRows: 2}}, "exchange.file.too_many_rows"},
		{"bad quotes", []byte("a,b\n1,2\n3,\"4\"x\n"), exchange.ReadOptions{}, "exchange.file.csv_syntax"},
		{"duplicate header", []byte("名称,名称\n1,2\n"), exchange.ReadOptions{}, "exchange.file.duplicate_header"},
	}
	for _, c := range cases {
		_, err := exchange.Read(bytes.NewReader(c.data), c.opts)
		if got := messageOf(err); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		if err != nil && kijun.ErrorCode(err) != kijun.EInvalid {
			t.Errorf("%s: code %s, want invalid", c.name, kijun.ErrorCode(err))
		}
	}
	// The limits are inclusive: a file of exactly MaxBytes and MaxRows is fine.
	data := []byte("a\n1\n2\n")
	if _, err := exchange.Read(bytes.NewReader(data), exchange.ReadOptions{Limits: exchange.Limits{MaxBytes: int64(len(data)), MaxRows: 2}}); err != nil {
		t.Errorf("file at the limits refused: %v", err)
	}
	_, err := exchange.Read(strings.NewReader("a,b\n1,2\n3,\"4\"x\n"), exchange.ReadOptions{})
	var e *kijun.Error
	if errors.As(err, &e); e == nil || e.Args["Line"] != 3 {
		t.Errorf("csv syntax error points at %v, want line 3", err)
	}
}

// TestReadStopsAtLimit: Read must not take more than MaxBytes+1 from the
// upload, however long it is.
func TestReadStopsAtLimit(t *testing.T) {
	r := &countingReader{}
	_, err := exchange.Read(r, exchange.ReadOptions{Limits: exchange.Limits{MaxBytes: 4096}})
	if messageOf(err) != "exchange.file.too_large" {
		t.Fatalf("endless upload: %v", err)
	}
	if r.n > 4096+1+512 { // a little slack for io.ReadAll's buffer growth
		t.Errorf("read %d bytes of an endless upload with a 4096 limit", r.n)
	}
}

type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n += len(p)
	return len(p), nil
}

func TestReadCSVLinesAndCells(t *testing.T) {
	in := "\uFEFF 名称 ,ＣＯＤＥ,\r\n" + // BOM, padded and full-width headers, one empty
		"a,1\r\n" +
		"\r\n" + // blank line: skipped, but counted
		",,\r\n" + // blank record: skipped
		"\"b\r\nb\",2,extra,more\r\n" + // multi-line cell, and two cells without header
		"c\r\n" + // short row
		"'=1+1,'-2,'x\r\n" // apostrophes the CSV writer adds before formulas come off
	table, err := exchange.Read(strings.NewReader(in), exchange.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(table.Header, []string{"名称", "CODE", ""}) {
		t.Errorf("header %q", table.Header)
	}
	want := []exchange.Row{
		{Line: 2, Values: map[string]string{"名称": "a", "CODE": "1"}},
		{Line: 5, Values: map[string]string{"名称": "b\nb", "CODE": "2"}, Extra: 2},
		{Line: 7, Values: map[string]string{"名称": "c", "CODE": ""}},
		{Line: 8, Values: map[string]string{"名称": "=1+1", "CODE": "-2"}, Extra: 1},
	}
	if fmt.Sprint(table.Rows) != fmt.Sprint(want) {
		t.Errorf("rows\n %v\nwant\n %v", table.Rows, want)
	}
}

func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"ignored"})
	_, _ = f.NewSheet("登録簿")
	_ = f.SetSheetRow("登録簿", "A2", &[]any{"法人番号", "名称", "指定日"}) // header on row 2
	_ = f.SetSheetRow("登録簿", "A3", &[]any{7000012050002, "東日本電気通信", 46113})
	_ = f.SetSheetRow("登録簿", "A5", &[]any{"1180301018771", "髙橋航空", "2026/4/1", "", "extra"}) // row 4 left empty
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}

	table, err := exchange.Read(bytes.NewReader(buf.Bytes()), exchange.ReadOptions{Sheet: "登録簿"})
	if err != nil {
		t.Fatal(err)
	}
	want := []exchange.Row{
		{Line: 3, Values: map[string]string{"法人番号": "7000012050002", "名称": "東日本電気通信", "指定日": "46113"}},
		{Line: 5, Values: map[string]string{"法人番号": "1180301018771", "名称": "髙橋航空", "指定日": "2026/4/1"}, Extra: 1},
	}
	if table.Format != exchange.XLSX || fmt.Sprint(table.Rows) != fmt.Sprint(want) {
		t.Errorf("rows\n %v\nwant\n %v", table.Rows, want)
	}
	if first, err := exchange.Read(bytes.NewReader(buf.Bytes()), exchange.ReadOptions{}); err != nil || first.Header[0] != "ignored" {
		t.Errorf("no sheet named: want the first sheet, got %v %v", first, err)
	}
	if _, err := exchange.Read(bytes.NewReader(buf.Bytes()), exchange.ReadOptions{Sheet: "nope"}); messageOf(err) != "exchange.file.sheet_not_found" {
		t.Errorf("missing sheet: %v", err)
	}
	if _, err := exchange.Read(bytes.NewReader(buf.Bytes()), exchange.ReadOptions{Sheet: "登録簿", Limits: exchange.Limits{MaxRows: 1}}); messageOf(err) != "exchange.file.too_many_rows" {
		t.Errorf("row limit on xlsx: %v", err)
	}
}

// TestXLSXZipBomb: a small upload that inflates far beyond its size is
// refused rather than unpacked.
func TestXLSXZipBomb(t *testing.T) {
	f := excelize.NewFile()
	_ = f.SetCellStr("Sheet1", "A1", "a")
	var book bytes.Buffer
	_, _ = f.WriteTo(&book)
	_ = f.Close()
	// Copy the workbook and add 32 MB of zeros, which deflate to ~32 KB.
	zr, err := zip.NewReader(bytes.NewReader(book.Bytes()), int64(book.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range zr.File {
		if err := zw.Copy(e); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := zw.Create("xl/media/image1.bin")
	_, _ = w.Write(make([]byte, 32<<20))
	_ = zw.Close()

	limit := int64(buf.Len()) + 1
	if _, err := exchange.Read(bytes.NewReader(buf.Bytes()), exchange.ReadOptions{Limits: exchange.Limits{MaxBytes: limit}}); messageOf(err) != "exchange.file.xlsx_inflated" {
		t.Errorf("%d-byte xlsx inflating to 32 MB: %v", buf.Len(), err)
	}
	// The same workbook without the padding reads.
	if _, err := exchange.Read(bytes.NewReader(book.Bytes()), exchange.ReadOptions{Limits: exchange.Limits{MaxBytes: limit}}); err != nil {
		t.Errorf("plain workbook: %v", err)
	}
}

func TestXLSXWriter(t *testing.T) {
	var buf bytes.Buffer
	long := make([]string, 40) // longer than Excel's 255-character inline list
	for i := range long {
		long[i] = fmt.Sprintf("選択肢その%d", i)
	}
	w, err := exchange.NewXLSXWriter(&buf, "一覧", []exchange.Column{
		{Header: "コード", Width: 12},
		{Header: "分野", Choices: []string{"情報通信", "金融"}},
		{Header: "区分", Choices: long},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][]string{{"011002", "情報通信", "選択肢その1"}, {"=1+1", "金融", ""}} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"一覧", "lists"}) {
		t.Errorf("sheets %v", got)
	}
	if visible, _ := f.GetSheetVisible("lists"); visible {
		t.Error("the choices sheet is visible")
	}
	rows, _ := f.GetRows("一覧")
	if fmt.Sprint(rows) != "[[コード 分野 区分] [011002 情報通信 選択肢その1] [=1+1 金融]]" {
		t.Errorf("rows %q", rows)
	}
	// Strings stay strings: no leading zero lost, no formula.
	if typ, _ := f.GetCellType("一覧", "A2"); typ == excelize.CellTypeNumber {
		t.Error("011002 written as a number")
	}
	if formula, _ := f.GetCellFormula("一覧", "A3"); formula != "" {
		t.Errorf("=1+1 written as formula %q", formula)
	}
	panes, _ := f.GetPanes("一覧")
	if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("header not frozen: %+v", panes)
	}
	if w, _ := f.GetColWidth("一覧", "A"); w != 12 {
		t.Errorf("column A width %v, want 12", w)
	}
	if w, _ := f.GetColWidth("一覧", "B"); w != 10 {
		t.Errorf("column B width %v, want 10 (from its header)", w)
	}
	dvs, _ := f.GetDataValidations("一覧")
	var got []string
	for _, dv := range dvs {
		got = append(got, dv.Sqref+" "+dv.Formula1)
	}
	want := []string{"B2:B1048576 lists!$A$1:$A$2", "C2:C1048576 lists!$B$1:$B$40"}
	if !slices.Equal(got, want) {
		t.Errorf("data validations %q, want %q", got, want)
	}
	if v, _ := f.GetCellValue("lists", "B40"); v != "選択肢その39" {
		t.Errorf("lists!B40 = %q", v)
	}
}
