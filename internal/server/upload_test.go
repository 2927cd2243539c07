//go:build dev

package server_test

import (
	"archive/zip"
	"bytes"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestRegisterImportRefusesZipBomb: a workbook of a few hundred KB whose
// sheet inflates to 64 MB is refused next to the file field, naming the
// limit, without unpacking it into memory or the temporary directory.
func TestRegisterImportRefusesZipBomb(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")

	f := excelize.NewFile()
	var book bytes.Buffer
	if _, err := f.WriteTo(&book); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(book.Bytes()), int64(book.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	for _, p := range zr.File {
		if p.Name != "xl/worksheets/sheet1.xml" {
			_ = zw.Copy(p)
		}
	}
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	_, _ = w.Write([]byte(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c t="inlineStr"><is><t>`))
	chunk := []byte(strings.Repeat("A", 1<<20))
	for range 64 {
		_, _ = w.Write(chunk)
	}
	_, _ = w.Write([]byte(`</t></is></c></row></sheetData></worksheet>`))
	_ = zw.Close()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	status, body := regUpload(t, e.Env, c, "台帳.xlsx", bomb.Bytes())
	runtime.ReadMemStats(&after)
	wantStatus(t, "bomb", status, 422, body)
	wantIn(t, "bomb", body, `id="import-file-error"`, "Excelファイルを展開すると40 MBを超えるため、取り込めません。")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("a %d KB upload allocated %d MB", bomb.Len()>>10, alloc>>20)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("%d files left in the temporary directory", len(left))
	}
}
