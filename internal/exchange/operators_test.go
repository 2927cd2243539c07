package exchange_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
)

// wantMixed is every problem of testdata/operators_mixed.csv, by line, as
// "column:message id". Lines 2, 3, 4 are valid; line 8 is blank; the record
// on line 9 runs on to line 10.
var wantMixed = map[int][]string{
	2: nil,
	3: nil,
	4: nil,
	5: {"corporate_number:exchange.corporate_number.check_digit", "local_gov_code:exchange.local_gov_code.check_digit",
		"sector:exchange.operator.sector_not_overseen", "designation:exchange.operator.unknown_designation",
		"designated_since:exchange.operator.bad_date"},
	6: {"corporate_number:exchange.required", "name_ja:exchange.required", "sector:exchange.required",
		"business_scopes:exchange.required", "designation:exchange.required", "designated_since:exchange.required"},
	7:  {"corporate_number:exchange.operator.duplicate_in_file"},
	9:  {"corporate_number:exchange.operator.duplicate_in_file"},
	11: {"sector:exchange.operator.unknown_sector"},
	12: {":exchange.row.extra_cells", "business_scopes:exchange.operator.unknown_scope"},
	13: {"corporate_number:exchange.operator.existing_not_overseen"},
}

func mixedUTF8(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/operators_mixed.csv")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseOperatorsMixedFile(t *testing.T) {
	utf8Text := mixedUTF8(t)
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes(utf8Text)
	if err != nil {
		t.Fatal(err)
	}
	cp932, err := os.ReadFile("testdata/operators_mixed_cp932.csv") // written by iconv -t CP932
	if err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name, enc string
		data      []byte
	}{
		{"utf-8 with BOM", exchange.EncodingUTF8BOM, append([]byte("\xEF\xBB\xBF"), utf8Text...)},
		{"utf-8", exchange.EncodingUTF8, utf8Text},
		{"shift_jis from the encoder", exchange.EncodingShiftJIS, sjis},
		{"cp932 from iconv", exchange.EncodingShiftJIS, cp932},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			table, err := exchange.Read(bytes.NewReader(f.data), exchange.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if table.Encoding != f.enc || table.Format != exchange.CSV {
				t.Errorf("read as %s %s, want %s", table.Format, table.Encoding, f.enc)
			}
			if probs := exchange.CheckOperatorHeader(table.Header); len(probs) != 0 {
				t.Errorf("header problems: %+v", probs)
			}
			rows := exchange.ParseOperators(table.Rows, newResolver())
			got := map[int][]string{}
			for _, r := range rows {
				got[r.Line] = nil
				for _, p := range r.Problems {
					got[r.Line] = append(got[r.Line], p.Column+":"+p.MessageID)
				}
			}
			if len(got) != len(wantMixed) {
				t.Errorf("lines %v, want %v", keys(got), keys(wantMixed))
			}
			for line, want := range wantMixed {
				if !slices.Equal(got[line], want) {
					t.Errorf("line %d: problems\n %v\nwant\n %v", line, got[line], want)
				}
			}
			checkGoodRows(t, rows)
		})
	}
}

// checkGoodRows checks what the valid rows of the mixed file parse to, and
// the details of a few problems.
func checkGoodRows(t *testing.T, rows []exchange.OperatorRow) {
	t.Helper()
	byLine := map[int]exchange.OperatorRow{}
	for _, r := range rows {
		byLine[r.Line] = r
	}
	april1 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	want := map[int]struct {
		op     register.Operator
		action exchange.Action
	}{
		2: {register.Operator{CorporateNumber: "7000012050002", Name: kijun.Text{Ja: "東日本電気通信株式会社", En: "East Japan Telecom"},
			SectorCode: "ict", ScopeIDs: []int64{1, 2}, Designation: register.DesignationCI, DesignatedSince: april1,
			Reason: "主要な電気通信事業者"}, exchange.ActionCreate},
		// Full-width digits fold; the scope list splits on 「、」 only
		// between names, and ① in the name survives (no NFKC on names).
		3: {register.Operator{CorporateNumber: "1180301018771", Name: kijun.Text{Ja: "髙橋航空株式会社①"},
			SectorCode: "aviation", ScopeIDs: []int64{10, 11}, Designation: register.DesignationBoth, DesignatedSince: april1},
			exchange.ActionCreate},
		4: {register.Operator{ID: 501, CorporateNumber: "9000020011002", LocalGovCode: "011002", Name: kijun.Text{Ja: "札幌市", En: "City of Sapporo"},
			SectorCode: "government", ScopeIDs: []int64{20}, Designation: register.DesignationCI, DesignatedSince: april1},
			exchange.ActionUpdate},
	}
	for line, w := range want {
		r := byLine[line]
		if !r.Valid() || r.Action != w.action || fmt.Sprint(r.Operator) != fmt.Sprint(w.op) {
			t.Errorf("line %d: %s %+v\nwant %s %+v", line, r.Action, r.Operator, w.action, w.op)
		}
	}
	if got := byLine[9].Problems[0].Args["Lines"]; got != "7" {
		t.Errorf("line 9 duplicate points at %v, want 7", got)
	}
	if got := byLine[12].Problems[1].Args["Value"]; got != "銀行等" {
		t.Errorf("line 12 unknown scope %v, want 銀行等", got)
	}
	if r := byLine[13]; r.Action != exchange.ActionUpdate || r.Operator.ID != 502 {
		t.Errorf("line 13: %s id %d, want update of 502", r.Action, r.Operator.ID)
	}
}

func keys(m map[int][]string) []int {
	var k []int
	for l := range m {
		k = append(k, l)
	}
	slices.Sort(k)
	return k
}

func TestCheckOperatorHeader(t *testing.T) {
	header := []string{"corporate_number", "名称", "Name_EN", "法人番号", "備考", "分野", "business_scopes", "指定区分"}
	var got []string
	for _, p := range exchange.CheckOperatorHeader(header) {
		got = append(got, fmt.Sprintf("%s:%s:%v", p.Column, p.MessageID, p.Args["Header"]))
	}
	want := []string{
		"corporate_number:exchange.header.duplicate:<nil>",
		":exchange.header.unknown:備考",
		"designated_since:exchange.header.missing:<nil>",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// sampleOperators covers every column, scopes with 「、」 in their names, and
// a reason that a spreadsheet would run as a formula.
func sampleOperators() []register.Operator {
	return []register.Operator{
		{CorporateNumber: "7000012050002", Name: kijun.Text{Ja: "東日本電気通信株式会社", En: "East Japan Telecom"},
			SectorCode: "ict", ScopeIDs: []int64{1, 2}, Designation: register.DesignationCI,
			DesignatedSince: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Reason: "=HYPERLINK(\"http://example.com\")"},
		{CorporateNumber: "1180301018771", Name: kijun.Text{Ja: "髙橋航空株式会社"},
			SectorCode: "aviation", ScopeIDs: []int64{11, 10, 12}, Designation: register.DesignationBoth,
			DesignatedSince: time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC), Reason: "複数行の\n理由"},
		{CorporateNumber: "9000020011002", LocalGovCode: "011002", Name: kijun.Text{Ja: "札幌市", En: "City of Sapporo"},
			SectorCode: "government", ScopeIDs: []int64{20}, Designation: register.DesignationCore,
			DesignatedSince: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)},
	}
}

func TestOperatorsRoundTrip(t *testing.T) {
	for _, format := range []exchange.Format{exchange.CSV, exchange.XLSX} {
		for _, lang := range []kijun.Lang{kijun.Ja, kijun.En} {
			t.Run(string(format)+"/"+string(lang), func(t *testing.T) {
				var buf bytes.Buffer
				ops := sampleOperators()
				if err := exchange.WriteOperators(&buf, format, lang, ops, testSectors); err != nil {
					t.Fatal(err)
				}
				table, err := exchange.Read(&buf, exchange.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if table.Format != format {
					t.Errorf("read back as %s", table.Format)
				}
				if !slices.Equal(table.Header, exchange.OperatorHeader(lang)) {
					t.Errorf("header %v", table.Header)
				}
				if lang == kijun.Ja && table.Header[0] != "法人番号" || lang == kijun.En && table.Header[0] != "corporate_number" {
					t.Errorf("header in the wrong language: %v", table.Header)
				}
				rows := exchange.ParseOperators(table.Rows, newResolver())
				if len(rows) != len(ops) {
					t.Fatalf("%d rows, want %d", len(rows), len(ops))
				}
				for i, r := range rows {
					want := ops[i]
					if want.CorporateNumber == "9000020011002" {
						want.ID = 501 // in the register: the row updates it
					}
					if !r.Valid() || fmt.Sprintf("%#v", r.Operator) != fmt.Sprintf("%#v", want) {
						t.Errorf("row %d: %+v\n got %#v\nwant %#v", i, r.Problems, r.Operator, want)
					}
				}
			})
		}
	}
}

func TestWriteOperatorsCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := exchange.WriteOperators(&buf, exchange.CSV, kijun.Ja, sampleOperators(), testSectors); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\uFEFF法人番号,名称,名称(英語),") {
		t.Errorf("CSV does not start with the BOM and Japanese header: %q", out[:min(len(out), 40)])
	}
	for _, want := range []string{
		"\r\n7000012050002,東日本電気通信株式会社,East Japan Telecom,,情報通信,電気通信役務；放送,重要インフラ事業者,2026-04-01,\"'=HYPERLINK(",
		"予約、発券、搭乗・搭載手続；旅客、貨物の航空輸送サービス；国内定期航空運送事業,両方,2019-05-01,",
		",011002,政府・行政サービス,",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("CSV lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	if err := exchange.WriteOperators(&buf, exchange.CSV, kijun.En, sampleOperators()[:1], testSectors); err != nil {
		t.Fatal(err)
	}
	if want := "\uFEFFcorporate_number,name_ja,name_en,local_gov_code,sector,business_scopes,designation,designated_since,reason\r\n" +
		"7000012050002,東日本電気通信株式会社,East Japan Telecom,,Information and communications,Telecommunications services; Broadcasting,ci,2026-04-01,"; !strings.HasPrefix(buf.String(), want) {
		t.Errorf("en CSV\n%q\nwant prefix\n%q", buf.String(), want)
	}
}

func TestScopeList(t *testing.T) {
	cases := []struct {
		list    string
		ids     []int64
		unknown []string
	}{
		{"旅客、貨物の航空輸送サービス", []int64{10}, nil},
		{"予約、発券、搭乗・搭載手続、国内定期航空運送事業", []int64{11, 12}, nil},
		{"国内定期航空運送事業;予約、発券、搭乗・搭載手続", []int64{12, 11}, nil},
		{"国内定期航空運送事業 ； 国内定期航空運送事業", []int64{12}, nil},
		{"Scheduled domestic air transport; reservation, ticketing, boarding and loading", []int64{12, 11}, nil},
		{"予約、発券、国内定期航空運送事業", []int64{12}, []string{"予約", "発券"}},
		{"旅客、国内定期航空運送事業、", []int64{12}, []string{"旅客"}},
	}
	for _, c := range cases {
		row := exchange.Row{Line: 2, Values: map[string]string{
			"corporate_number": "1180301018771", "name_ja": "x", "sector": "aviation",
			"business_scopes": c.list, "designation": "ci", "designated_since": "2026-04-01"}}
		r := exchange.ParseOperators([]exchange.Row{row}, newResolver())[0]
		var unknown []string
		for _, p := range r.Problems {
			unknown = append(unknown, p.Args["Value"].(string))
		}
		want := c.ids
		if len(c.unknown) > 0 {
			want = nil // a row with an unknown scope keeps none
		}
		if !slices.Equal(r.Operator.ScopeIDs, want) || !slices.Equal(unknown, c.unknown) {
			t.Errorf("%q: ids %v unknown %v; want %v %v", c.list, r.Operator.ScopeIDs, unknown, want, c.unknown)
		}
	}
}

func TestDesignationsAndDates(t *testing.T) {
	designations := map[string]register.Designation{
		"重要インフラ事業者": register.DesignationCI, "CI": register.DesignationCI, "基幹インフラ事業者": register.DesignationCore,
		"ｃｏｒｅ": register.DesignationCore, "両方": register.DesignationBoth, "Both": register.DesignationBoth,
		"基幹": "", "重要": "", "all": "",
	}
	for in, want := range designations {
		r := parseOne(map[string]string{"指定区分": in})
		if r.Operator.Designation != want || (want == "") != hasProblem(r, "designation") {
			t.Errorf("designation %q: %q %+v", in, r.Operator.Designation, r.Problems)
		}
	}
	dates := map[string]string{
		"2026-04-01": "2026-04-01", "2026/4/1": "2026-04-01", "２０２６／４／１": "2026-04-01", "2026.4.1": "2026-04-01",
		"20260401": "2026-04-01", "令和8年4月1日": "2026-04-01", "令和８年４月１日": "2026-04-01",
		"令和元年5月1日": "2019-05-01", "平成31年4月30日": "2019-04-30", "平成17年12月1日": "2005-12-01",
		"46113":      "2026-04-01", // Excel's serial for 2026-04-01
		"2026-02-29": "", "2024-02-29": "2024-02-29", "2026-13-01": "", "2026/4/31": "",
		"令和元年4月30日": "", "平成31年5月1日": "", "令和0年5月1日": "", "昭和60年4月1日": "",
		"2026": "", "4/1/2026": "", "2026年4月1日": "", "R8.4.1": "", "tomorrow": "",
	}
	for in, want := range dates {
		r := parseOne(map[string]string{"指定日": in})
		got := ""
		if !r.Operator.DesignatedSince.IsZero() {
			got = r.Operator.DesignatedSince.Format(time.DateOnly)
		}
		if got != want || (want == "") != hasProblem(r, "designated_since") {
			t.Errorf("date %q: %q %+v, want %q", in, got, r.Problems, want)
		}
	}
}

// parseOne parses a valid row with some cells replaced.
func parseOne(cells map[string]string) exchange.OperatorRow {
	values := map[string]string{"法人番号": "7000012050002", "名称": "株式会社テスト", "分野": "ict",
		"事業の範囲": "放送", "指定区分": "ci", "指定日": "2026-04-01"}
	for k, v := range cells {
		values[k] = v
	}
	return exchange.ParseOperators([]exchange.Row{{Line: 2, Values: values}}, newResolver())[0]
}

func hasProblem(r exchange.OperatorRow, column string) bool {
	for _, p := range r.Problems {
		if p.Column == column {
			return true
		}
	}
	return false
}
