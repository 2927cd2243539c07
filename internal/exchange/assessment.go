package exchange

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// The assessment workbook: an operator downloads its self-assessment as
// XLSX, answers offline and uploads it back.
//
//   - Sheet 1 (回答 / Answers): one row per control. Columns A–D (ref,
//     section, title, statement) are locked by sheet protection without a
//     password; the answer columns E–K are unlocked. Status and maturity
//     have drop-down lists (from the hidden "lists" sheet), the target
//     date is a date cell with a date validation.
//   - Sheet 2 (説明 / Instructions): how to fill it in.
//   - Hidden sheet "lists": the drop-down choices.
//   - Hidden sheet "kijun": metadata as a key | value | digest table: the
//     format, assessment id, the operator's 法人番号, cycle and fiscal
//     year, language, the answers sheet's name, and one "answer:REF" row
//     per control with the answer's version at download and a digest of
//     the answer as written. On upload the version tells whether the
//     portal changed the answer since (a conflict), the digest whether the
//     user changed the row at all.

// AssessmentFormatID names this workbook format in its metadata.
const AssessmentFormatID = "kijun-assessment/1"

// MetaSheet is the hidden metadata sheet's name.
const MetaSheet = "kijun"

// Column keys of the answers sheet.
const (
	AColRef       = "ref"
	AColSection   = "section"
	AColTitle     = "title"
	AColStatement = "statement"
	AColStatus    = "status"
	AColMaturity  = "maturity"
	AColHow       = "how"
	AColNAReason  = "na_reason"
	AColAction    = "remediation_action"
	AColOwner     = "remediation_owner"
	AColDue       = "remediation_due"
)

type asmColumn struct {
	key    string
	label  kijun.Text
	width  float64
	locked bool
}

var asmColumns = []asmColumn{
	{AColRef, kijun.Text{Ja: "対策項目番号", En: "Ref"}, 12, true},
	{AColSection, kijun.Text{Ja: "区分", En: "Section"}, 10, true},
	{AColTitle, kijun.Text{Ja: "表題", En: "Title"}, 30, true},
	{AColStatement, kijun.Text{Ja: "要求事項", En: "Statement"}, 60, true},
	{AColStatus, kijun.Text{Ja: "回答", En: "Status"}, 16, false},
	{AColMaturity, kijun.Text{Ja: "成熟度", En: "Maturity"}, 22, false},
	{AColHow, kijun.Text{Ja: "実施内容", En: "How it is done"}, 50, false},
	{AColNAReason, kijun.Text{Ja: "該当なしの理由", En: "N/A reason"}, 30, false},
	{AColAction, kijun.Text{Ja: "改善の取組", En: "Remediation action"}, 40, false},
	{AColOwner, kijun.Text{Ja: "改善の担当者", En: "Remediation owner"}, 20, false},
	{AColDue, kijun.Text{Ja: "完了予定日", En: "Target date"}, 14, false},
}

// asmHeaderKeys maps both languages' headers and the keys, normalised.
var asmHeaderKeys = func() map[string]string {
	m := map[string]string{}
	for _, c := range asmColumns {
		m[normHeader(c.key)] = c.key
		m[normHeader(c.label.Ja)] = c.key
		m[normHeader(c.label.En)] = c.key
	}
	// Headers of sheets downloaded before the glossary (docs/glossary.md)
	// fixed the terms still import.
	m[normHeader("管理策番号")], m[normHeader("セクション")] = AColRef, AColSection
	return m
}()

// AssessmentColumnLabel returns the header of column key in lang.
func AssessmentColumnLabel(key string, lang kijun.Lang) string {
	for _, c := range asmColumns {
		if c.key == key {
			return c.label.In(lang)
		}
	}
	return key
}

// MaturityTiers are the NIST CSF 2.0 tier names of maturity 1–4.
var MaturityTiers = []kijun.Text{
	{Ja: "部分的", En: "Partial"},
	{Ja: "リスク情報に基づく", En: "Risk Informed"},
	{Ja: "反復可能", En: "Repeatable"},
	{Ja: "適応", En: "Adaptive"},
}

// MaturityLabel is the drop-down text of maturity level n (1–4): "2 Risk
// Informed".
func MaturityLabel(n int, lang kijun.Lang) string {
	if n < 1 || n > len(MaturityTiers) {
		return ""
	}
	return strconv.Itoa(n) + " " + MaturityTiers[n-1].In(lang)
}

// workbook texts that are not column headers.
var asmTexts = map[string]kijun.Text{
	"sheet":        {Ja: "回答", En: "Answers"},
	"help_sheet":   {Ja: "説明", En: "Instructions"},
	"status_error": {Ja: "一覧から回答を選んでください。", En: "Choose a status from the list."},
	"mat_error":    {Ja: "一覧から成熟度(1〜4)を選んでください。", En: "Choose a maturity level (1–4) from the list."},
	"date_error":   {Ja: "日付(例: 2028/3/31)を入力してください。", En: "Enter a date (e.g. 2028-03-31)."},
	"error_title":  {Ja: "入力できない値です", En: "Invalid value"},
}

var asmHelp = map[kijun.Lang][]string{
	kijun.Ja: {
		"自己評価の回答票",
		"「回答」シートの E列〜K列 に回答を入力し、Kijun の自己評価の画面から「Excelから取り込む」でアップロードしてください。",
		"A列〜D列(対策項目番号、区分、表題、要求事項)は変更できません(シートの保護にパスワードは設定していません)。",
		"回答と成熟度は一覧から選んでください。完了予定日は日付で入力してください。",
		"該当なしの場合はその理由を、一部実施・未実施の場合は改善の取組・担当者・完了予定日を入力してください(提出時に確認します)。",
		"アップロードすると、変更点の確認画面が表示されます。確定するまで回答は変更されません。",
		"ダウンロードした後にポータルで更新された回答は「競合」として表示され、どちらを残すか選べます。",
		"非表示のシート「lists」「kijun」は取込みに使うため、変更・削除しないでください。",
	},
	kijun.En: {
		"Self-assessment answer sheet",
		"Enter your answers in columns E–K of the Answers sheet, then upload the file from the assessment page in Kijun (Import from Excel).",
		"Columns A–D (ref, section, title, statement) are locked (the sheet protection has no password).",
		"Choose the status and maturity from the lists. Enter the target date as a date.",
		"For N/A give a reason; for partial or not implemented give a remediation action, owner and target date (checked when you submit).",
		"After the upload a preview shows what will change. Nothing changes until you confirm.",
		"Answers changed in the portal after your download are shown as conflicts, and you choose which one to keep.",
		"The hidden sheets \"lists\" and \"kijun\" are needed for the import: do not change or delete them.",
	},
}

// AssessmentWorkbook is what WriteAssessment writes.
type AssessmentWorkbook struct {
	Assessment      assessment.Assessment
	CorporateNumber string
	Lang            kijun.Lang
	Scale           []assessment.ScaleEntry
	Rows            []AssessmentRow
	ExportedAt      time.Time
}

// AssessmentRow is a control with its answer (Version 0: none saved).
type AssessmentRow struct {
	Control assessment.Control
	Answer  assessment.Answer
}

// AnswerDigest is a short digest of what an answer says (status,
// maturity, texts and date, texts trimmed and with CRLF folded), the same
// for an answer read from the database and the same answer read back from
// a workbook in either language.
func AnswerDigest(a assessment.Answer) string {
	due := ""
	if a.Remediation.Due != nil && !a.Remediation.Due.IsZero() {
		due = a.Remediation.Due.Format(time.DateOnly)
	}
	h := sha256.New()
	for _, v := range []string{string(a.Status), strconv.Itoa(a.Maturity), cleanText(a.How), cleanText(a.NAReason),
		cleanText(a.Remediation.Action), cleanText(a.Remediation.Owner), due} {
		h.Write([]byte(v))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// SameAnswer reports whether two answers say the same (see AnswerDigest).
func SameAnswer(a, b assessment.Answer) bool { return AnswerDigest(a) == AnswerDigest(b) }

// cleanText is how texts compare and are saved from a workbook: CRLF as
// LF, surrounding space trimmed.
func cleanText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// WriteAssessment writes wb as an XLSX workbook to w.
func WriteAssessment(w io.Writer, wb AssessmentWorkbook) error {
	lang := wb.Lang
	if lang != kijun.En {
		lang = kijun.Ja
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := asmTexts["sheet"].In(lang)
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return err
	}
	styles, err := asmStyles(f)
	if err != nil {
		return err
	}
	n := len(wb.Rows)
	last := n + 1
	// Header.
	for i, c := range asmColumns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(sheet, col+"1", c.label.In(lang)); err != nil {
			return err
		}
		if err := f.SetColWidth(sheet, col, col, c.width); err != nil {
			return err
		}
		st := styles.editable
		switch {
		case c.locked:
			st = styles.locked
		case c.key == AColDue:
			st = styles.date
		}
		if err := f.SetColStyle(sheet, col, st); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheet, "A1", colName(len(asmColumns))+"1", styles.header); err != nil {
		return err
	}
	// Rows.
	for i, row := range wb.Rows {
		r := strconv.Itoa(i + 2)
		c, a := row.Control, row.Answer
		due := any("")
		if a.Remediation.Due != nil && !a.Remediation.Due.IsZero() {
			d := a.Remediation.Due
			due = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		}
		values := []any{c.Ref, c.Section, c.Title.In(lang), c.Statement.In(lang), statusLabel(wb.Scale, a.Status, lang),
			MaturityLabel(a.Maturity, lang), a.How, a.NAReason, a.Remediation.Action, a.Remediation.Owner, due}
		if err := f.SetSheetRow(sheet, "A"+r, &values); err != nil {
			return err
		}
	}
	if n > 0 {
		for i, c := range asmColumns {
			col := colName(i + 1)
			st := styles.editable
			switch {
			case c.locked:
				st = styles.locked
			case c.key == AColDue:
				st = styles.date
			}
			if err := f.SetCellStyle(sheet, col+"2", col+strconv.Itoa(last), st); err != nil {
				return err
			}
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	if err := asmValidations(f, sheet, wb.Scale, lang, max(last, 2)); err != nil {
		return err
	}
	if err := f.ProtectSheet(sheet, &excelize.SheetProtectionOptions{
		SelectLockedCells: true, SelectUnlockedCells: true, FormatColumns: true, FormatRows: true, AutoFilter: true,
	}); err != nil {
		return err
	}
	if err := asmHelpSheet(f, lang); err != nil {
		return err
	}
	if err := asmMetaSheet(f, wb, sheet, lang); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

type asmStyleSet struct{ header, locked, editable, date int }

func asmStyles(f *excelize.File) (s asmStyleSet, err error) {
	wrap := &excelize.Alignment{WrapText: true, Vertical: "top"}
	if s.header, err = f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}, Alignment: wrap,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8F1FE"}}}); err != nil {
		return s, err
	}
	if s.locked, err = f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: wrap,
		Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}},
		Protection: &excelize.Protection{Locked: true}}); err != nil {
		return s, err
	}
	if s.editable, err = f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: wrap,
		Protection: &excelize.Protection{Locked: false}}); err != nil {
		return s, err
	}
	format := "yyyy-mm-dd"
	s.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &format, Alignment: &excelize.Alignment{Vertical: "top"},
		Protection: &excelize.Protection{Locked: false}})
	return s, err
}

func colName(n int) string {
	s, _ := excelize.ColumnNumberToName(n)
	return s
}

func asmColumnName(key string) string {
	for i, c := range asmColumns {
		if c.key == key {
			return colName(i + 1)
		}
	}
	return ""
}

// asmValidations adds the drop-down lists (status, maturity; choices on
// the hidden lists sheet) and the date check.
func asmValidations(f *excelize.File, sheet string, scale []assessment.ScaleEntry, lang kijun.Lang, last int) error {
	if _, err := f.NewSheet(listsSheet); err != nil {
		return err
	}
	if err := f.SetSheetVisible(listsSheet, false); err != nil {
		return err
	}
	var statuses, levels []string
	for _, e := range scale {
		statuses = append(statuses, e.Label.In(lang))
	}
	for i := range MaturityTiers {
		levels = append(levels, MaturityLabel(i+1, lang))
	}
	lists := []struct {
		key, listCol string
		choices      []string
		msg          string
	}{
		{AColStatus, "A", statuses, "status_error"},
		{AColMaturity, "B", levels, "mat_error"},
	}
	for _, l := range lists {
		for j, v := range l.choices {
			if err := f.SetCellStr(listsSheet, l.listCol+strconv.Itoa(j+1), v); err != nil {
				return err
			}
		}
		col := asmColumnName(l.key)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, last)
		dv.SetSqrefDropList(fmt.Sprintf("%s!$%s$1:$%s$%d", listsSheet, l.listCol, l.listCol, max(len(l.choices), 1)))
		dv.SetError(excelize.DataValidationErrorStyleStop, asmTexts["error_title"].In(lang), asmTexts[l.msg].In(lang))
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return err
		}
	}
	col := asmColumnName(AColDue)
	dv := excelize.NewDataValidation(true)
	dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, last)
	// Serials of 2000-01-01 and 2099-12-31, the range the reader takes.
	if err := dv.SetRange(36526, 73050, excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween); err != nil {
		return err
	}
	dv.SetError(excelize.DataValidationErrorStyleStop, asmTexts["error_title"].In(lang), asmTexts["date_error"].In(lang))
	return f.AddDataValidation(sheet, dv)
}

func asmHelpSheet(f *excelize.File, lang kijun.Lang) error {
	name := asmTexts["help_sheet"].In(lang)
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	if err := f.SetColWidth(name, "A", "A", 120); err != nil {
		return err
	}
	for i, line := range asmHelp[lang] {
		if err := f.SetCellStr(name, "A"+strconv.Itoa(i+1), line); err != nil {
			return err
		}
	}
	return nil
}

func asmMetaSheet(f *excelize.File, wb AssessmentWorkbook, sheet string, lang kijun.Lang) error {
	if _, err := f.NewSheet(MetaSheet); err != nil {
		return err
	}
	if err := f.SetSheetVisible(MetaSheet, false); err != nil {
		return err
	}
	a := wb.Assessment
	at := wb.ExportedAt
	if at.IsZero() {
		at = time.Now()
	}
	rows := [][]string{
		{"key", "value", "digest"},
		{"format", AssessmentFormatID, ""},
		{"assessment_id", strconv.FormatInt(a.ID, 10), ""},
		{"corporate_number", wb.CorporateNumber, ""},
		{"operator", a.OperatorName.In(lang), ""},
		{"cycle_id", strconv.FormatInt(a.CycleID, 10), ""},
		{"fiscal_year", strconv.Itoa(int(a.FiscalYear)), ""},
		{"lang", string(lang), ""},
		{"sheet", sheet, ""},
		{"exported_at", kijun.ISODateTime(at), ""},
	}
	for _, r := range wb.Rows {
		rows = append(rows, []string{"answer:" + r.Control.Ref, strconv.Itoa(r.Answer.Version), AnswerDigest(r.Answer)})
	}
	for i, r := range rows {
		for j, v := range r {
			if err := f.SetCellStr(MetaSheet, colName(j+1)+strconv.Itoa(i+1), v); err != nil {
				return err
			}
		}
	}
	return f.ProtectSheet(MetaSheet, &excelize.SheetProtectionOptions{SelectLockedCells: true, SelectUnlockedCells: true})
}

func statusLabel(scale []assessment.ScaleEntry, s assessment.AnswerStatus, lang kijun.Lang) string {
	for _, e := range scale {
		if e.Code == s {
			return e.Label.In(lang)
		}
	}
	return string(s)
}

// AssessmentMeta is the hidden metadata of an uploaded workbook.
type AssessmentMeta struct {
	AssessmentID    int64
	CorporateNumber string
	CycleID         int64
	FiscalYear      kijun.FiscalYear
	Lang            kijun.Lang
	Sheet           string
	// Stamps holds, per ref, the answer's version and digest at download.
	Stamps map[string]Stamp
}

// Stamp is an answer's version and digest when the workbook was written.
type Stamp struct {
	Version int
	Digest  string
}

// AssessmentFileRow is one control's row of an uploaded workbook.
type AssessmentFileRow struct {
	Line int
	Ref  string
	// Answer is what the row says (AssessmentID and Ref set); meaningful
	// only when Problems is empty.
	Answer assessment.Answer
	// Stamp is the answer's version and digest at download.
	Stamp Stamp
	// Edited: the row says something else than the answer did at download.
	Edited bool
	// Problems stop the row from being applied; Warnings do not (they
	// are the gaps the completeness check reports at submit).
	Problems []Problem
	Warnings []Problem
}

// AssessmentFile is an uploaded assessment workbook, read and checked.
type AssessmentFile struct {
	Meta AssessmentMeta
	Rows []AssessmentFileRow
	// HeaderProblems: columns the import ignores.
	HeaderProblems []Problem
}

// ReadAssessment reads an uploaded assessment workbook (size limits and
// format by content, as Read). A file without the metadata sheet (a CSV,
// another workbook) is refused with assessmentexcel.file.not_workbook.
// scale gives the status labels; both languages' labels and the codes are
// accepted whatever the workbook's language. Which assessment the file is
// for is the caller's to check (CheckFor).
func ReadAssessment(r io.Reader, lim Limits, scale []assessment.ScaleEntry) (*AssessmentFile, error) {
	lim = lim.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, fileError("exchange.file.too_large", map[string]any{"Max": humanSize(lim.MaxBytes)})
	}
	if !bytes.HasPrefix(data, zipMagic) {
		if _, err := Read(bytes.NewReader(data), ReadOptions{Limits: lim}); err != nil {
			return nil, err
		}
		return nil, fileError("assessmentexcel.file.not_workbook", nil)
	}
	metaTable, err := Read(bytes.NewReader(data), ReadOptions{Limits: Limits{MaxBytes: lim.MaxBytes, MaxRows: lim.MaxRows + 20}, Sheet: MetaSheet})
	if err != nil {
		if ke, ok := err.(*kijun.Error); ok && ke.MessageID == "exchange.file.sheet_not_found" {
			return nil, fileError("assessmentexcel.file.not_workbook", nil)
		}
		return nil, err
	}
	meta, err := parseMeta(metaTable)
	if err != nil {
		return nil, err
	}
	table, err := Read(bytes.NewReader(data), ReadOptions{Limits: lim, Sheet: meta.Sheet})
	if err != nil {
		return nil, err
	}
	out := &AssessmentFile{Meta: meta}
	cols := map[string]string{} // key → header as in the file
	for _, h := range table.Header {
		if h == "" {
			continue
		}
		key, ok := asmHeaderKeys[normHeader(h)]
		if !ok {
			out.HeaderProblems = append(out.HeaderProblems, Problem{MessageID: "exchange.header.unknown", Args: map[string]any{"Header": h}})
			continue
		}
		if _, dup := cols[key]; !dup {
			cols[key] = h
		}
	}
	if _, ok := cols[AColRef]; !ok {
		return nil, fileError("assessmentexcel.file.no_ref", nil)
	}
	// A missing answer column would read as empty cells and clear every
	// answer's field, so the file is refused instead.
	for _, c := range asmColumns {
		if _, ok := cols[c.key]; !ok && !c.locked {
			return nil, fileError("assessmentexcel.file.missing_column", map[string]any{"Column": c.label.In(meta.Lang)})
		}
	}
	seen := map[string]int{}
	for _, row := range table.Rows {
		fr := parseAssessmentRow(row, cols, scale, meta)
		if first, dup := seen[fr.Ref]; dup && fr.Ref != "" {
			fr.Problems = append(fr.Problems, Problem{Column: AColRef, MessageID: "assessmentexcel.row.duplicate_ref", Args: map[string]any{"Line": first}})
		} else {
			seen[fr.Ref] = fr.Line
		}
		out.Rows = append(out.Rows, fr)
	}
	return out, nil
}

func parseMeta(t *Table) (AssessmentMeta, error) {
	m := AssessmentMeta{Stamps: map[string]Stamp{}}
	kv := map[string]string{}
	for _, r := range t.Rows {
		k, v := strings.TrimSpace(r.Values["key"]), strings.TrimSpace(r.Values["value"])
		if ref, ok := strings.CutPrefix(k, "answer:"); ok {
			ver, err := strconv.Atoi(v)
			if err != nil || ver < 0 {
				return m, fileError("assessmentexcel.file.meta_invalid", nil)
			}
			m.Stamps[ref] = Stamp{Version: ver, Digest: strings.TrimSpace(r.Values["digest"])}
			continue
		}
		kv[k] = v
	}
	if kv["format"] != AssessmentFormatID {
		return m, fileError("assessmentexcel.file.not_workbook", nil)
	}
	var err1, err2, err3 error
	m.AssessmentID, err1 = strconv.ParseInt(kv["assessment_id"], 10, 64)
	m.CycleID, err2 = strconv.ParseInt(kv["cycle_id"], 10, 64)
	fy, err3 := strconv.Atoi(kv["fiscal_year"])
	if err1 != nil || err2 != nil || err3 != nil || kv["sheet"] == "" {
		return m, fileError("assessmentexcel.file.meta_invalid", nil)
	}
	m.FiscalYear, m.CorporateNumber, m.Sheet = kijun.FiscalYear(fy), kv["corporate_number"], kv["sheet"]
	m.Lang = kijun.Ja
	if kv["lang"] == string(kijun.En) {
		m.Lang = kijun.En
	}
	return m, nil
}

// CheckFor refuses a file written for another operator or another
// assessment (another cycle) than a.
func (f *AssessmentFile) CheckFor(a assessment.Assessment, corporateNumber string) error {
	if f.Meta.CorporateNumber != corporateNumber {
		return kijun.Errorf(kijun.EInvalid, "assessmentexcel.file.other_operator", map[string]any{
			"FileNumber": f.Meta.CorporateNumber, "Number": corporateNumber})
	}
	if f.Meta.AssessmentID != a.ID || f.Meta.CycleID != a.CycleID {
		return kijun.Errorf(kijun.EInvalid, "assessmentexcel.file.other_assessment", map[string]any{
			"FileYear": int(f.Meta.FiscalYear), "Year": int(a.FiscalYear)})
	}
	return nil
}

func parseAssessmentRow(row Row, cols map[string]string, scale []assessment.ScaleEntry, meta AssessmentMeta) AssessmentFileRow {
	get := func(key string) string {
		h, ok := cols[key]
		if !ok {
			return ""
		}
		return row.Values[h]
	}
	fr := AssessmentFileRow{Line: row.Line, Ref: strings.TrimSpace(norm.NFKC.String(get(AColRef)))}
	bad := func(col, id string, args map[string]any) {
		fr.Problems = append(fr.Problems, Problem{Column: col, MessageID: id, Args: args})
	}
	stamp, known := meta.Stamps[fr.Ref]
	if fr.Ref == "" {
		bad(AColRef, "assessmentexcel.row.no_ref", nil)
		return fr
	}
	if !known {
		bad(AColRef, "assessmentexcel.row.unknown_ref", map[string]any{"Ref": fr.Ref})
		return fr
	}
	fr.Stamp = stamp
	a := assessment.Answer{AssessmentID: meta.AssessmentID, Ref: fr.Ref}
	if v := strings.TrimSpace(get(AColStatus)); v != "" {
		if s, ok := ParseStatus(v, scale); ok {
			a.Status = s
		} else {
			bad(AColStatus, "assessmentexcel.row.status_unknown", map[string]any{"Value": v, "Choices": statusChoices(scale)})
		}
	}
	if v := strings.TrimSpace(get(AColMaturity)); v != "" {
		if n, ok := ParseMaturity(v); ok {
			a.Maturity = n
		} else {
			bad(AColMaturity, "assessmentexcel.row.maturity_range", map[string]any{"Value": v})
		}
	}
	a.How, a.NAReason = cleanText(get(AColHow)), cleanText(get(AColNAReason))
	a.Remediation.Action, a.Remediation.Owner = cleanText(get(AColAction)), cleanText(get(AColOwner))
	if v := strings.TrimSpace(norm.NFKC.String(get(AColDue))); v != "" {
		if d, ok := parseDate(v); ok && d.Year() >= 2000 && d.Year() <= 2099 {
			a.Remediation.Due = &d
		} else {
			bad(AColDue, "assessmentexcel.row.bad_date", map[string]any{"Value": v})
		}
	}
	for _, p := range a.WellFormed() {
		if p.Field == "maturity" {
			continue // reported above
		}
		limit := map[string]int{"how": assessment.MaxHowLen, "na_reason": assessment.MaxReasonLen, "remediation_action": assessment.MaxActionLen,
			"remediation_owner": assessment.MaxOwnerLen}[p.Field]
		bad(p.Field, "assessmentexcel.row.too_long", map[string]any{"Max": limit, "Length": utf8.RuneCountInString(fieldOf(a, p.Field))})
	}
	if row.Extra > 0 {
		fr.Warnings = append(fr.Warnings, Problem{MessageID: "exchange.row.extra_cells", Args: map[string]any{"Count": row.Extra}})
	}
	if a.Status == assessment.AnswerNotApplicable && a.NAReason == "" {
		fr.Warnings = append(fr.Warnings, Problem{Column: AColNAReason, MessageID: "assessmentexcel.row.na_without_reason"})
	}
	fr.Answer = a
	fr.Edited = AnswerDigest(a) != stamp.Digest
	return fr
}

func fieldOf(a assessment.Answer, field string) string {
	switch field {
	case "how":
		return a.How
	case "na_reason":
		return a.NAReason
	case "remediation_action":
		return a.Remediation.Action
	case "remediation_owner":
		return a.Remediation.Owner
	}
	return ""
}

func statusChoices(scale []assessment.ScaleEntry) string {
	var ja, en []string
	for _, e := range scale {
		ja, en = append(ja, e.Label.Ja), append(en, e.Label.En)
	}
	return strings.Join(ja, "・") + " / " + strings.Join(en, ", ")
}

// ParseStatus reads a status cell: a label of the scale in Japanese or
// English (case, width and surrounding space ignored) or a code.
func ParseStatus(v string, scale []assessment.ScaleEntry) (assessment.AnswerStatus, bool) {
	n := normHeader(v)
	for _, e := range scale {
		if n == normHeader(e.Label.Ja) || n == normHeader(e.Label.En) || n == normHeader(string(e.Code)) {
			return e.Code, true
		}
	}
	return "", false
}

// ParseMaturity reads a maturity cell: "2", "2 Risk Informed", "2 リスク
// 情報に基づく", or a tier name alone, in either language.
func ParseMaturity(v string) (int, bool) {
	n := normHeader(v)
	for i, t := range MaturityTiers {
		if n == normHeader(t.Ja) || n == normHeader(t.En) {
			return i + 1, true
		}
	}
	num, rest, _ := strings.Cut(n, " ")
	if f, err := strconv.ParseFloat(num, 64); err == nil && f == float64(int(f)) && int(f) >= 1 && int(f) <= assessment.MaxMaturity {
		lvl := int(f)
		rest = strings.TrimSpace(rest)
		if rest == "" || rest == normHeader(MaturityTiers[lvl-1].Ja) || rest == normHeader(MaturityTiers[lvl-1].En) {
			return lvl, true
		}
	}
	return 0, false
}
