package exchange

import (
	"errors"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
)

// Column keys of the operator register file. They double as the English
// headers; Japanese headers are in operatorColumns.
const (
	ColCorporateNumber = "corporate_number"
	ColNameJa          = "name_ja"
	ColNameEn          = "name_en"
	ColLocalGovCode    = "local_gov_code"
	ColSector          = "sector"
	ColScopes          = "business_scopes"
	ColDesignation     = "designation"
	ColDesignatedSince = "designated_since"
	ColReason          = "reason"
)

type operatorColumn struct {
	key, ja  string
	required bool
	width    float64
}

// operatorColumns is the file's column order on export.
var operatorColumns = []operatorColumn{
	{ColCorporateNumber, "法人番号", true, 16},
	{ColNameJa, "名称", true, 36},
	{ColNameEn, "名称(英語)", false, 36},
	{ColLocalGovCode, "地方公共団体コード", false, 20},
	{ColSector, "分野", true, 20},
	{ColScopes, "事業の範囲", true, 40},
	{ColDesignation, "指定区分", true, 22},
	{ColDesignatedSince, "指定日", true, 14},
	{ColReason, "指定理由", false, 50},
}

// headerKeys maps every accepted header, normalised, to its column key.
var headerKeys = func() map[string]string {
	m := map[string]string{}
	for _, c := range operatorColumns {
		m[normHeader(c.key)] = c.key
		m[normHeader(c.ja)] = c.key
	}
	return m
}()

// normHeader folds the spellings a hand-edited header comes in:
// full-width brackets and letters (NFKC), case, surrounding space.
func normHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(h)))
}

// OperatorHeader returns the register's headers in lang: Japanese for ja,
// the column keys for en. Both are accepted on import.
func OperatorHeader(lang kijun.Lang) []string {
	h := make([]string, len(operatorColumns))
	for i, c := range operatorColumns {
		h[i] = OperatorColumnLabel(c.key, lang)
	}
	return h
}

// OperatorColumnLabel returns the header of column key in lang, for
// showing a Problem next to the column it is about.
func OperatorColumnLabel(key string, lang kijun.Lang) string {
	for _, c := range operatorColumns {
		if c.key == key && lang == kijun.Ja {
			return c.ja
		}
	}
	return key
}

// Problem is one thing wrong with a file, its header or a row. Column is
// a column key ("" for the row or file as a whole): the preview shows the
// column's label beside the message, so messages do not repeat it.
type Problem struct {
	Column    string
	MessageID string
	Args      map[string]any
}

// Action says what confirming a valid row will do.
type Action string

const (
	ActionCreate Action = "create"
	// ActionUpdate: the 法人番号 is already in the register. The row
	// updates that operator (Operator.ID is set) instead of being refused,
	// because export → edit offline → import is how registers are kept.
	ActionUpdate Action = "update"
)

// OperatorRow is one row of an operator register file, parsed.
type OperatorRow struct {
	Line int
	// Operator holds every field that parsed; fields with problems are
	// left zero. DesignatedBy, Status and Version are the caller's to set.
	Operator register.Operator
	Action   Action
	Problems []Problem // all of them, by column, then duplicates in the file
}

// Valid reports whether the row can be written.
func (r OperatorRow) Valid() bool { return len(r.Problems) == 0 }

// ExistingOperator is what the register already holds for a 法人番号.
type ExistingOperator struct {
	ID         int64
	SectorCode string
}

// Resolver answers the lookups ParseOperators needs from reference data,
// the importing user's permissions and the register. Values are passed
// NFKC-normalised and trimmed; implementations match Japanese names
// exactly and codes and English names without regard to case.
type Resolver interface {
	// Sector returns the code of the sector named or coded nameOrCode.
	Sector(nameOrCode string) (code string, ok bool)
	// Scope returns the id of the business scope called name in sector.
	Scope(sector, name string) (id int64, ok bool)
	// MayManage reports whether the importing user keeps the register of sector.
	MayManage(sector string) bool
	// Existing finds the operator registered under corporateNumber.
	Existing(corporateNumber string) (ExistingOperator, bool)
}

// CheckOperatorHeader reports headers that are not register columns (their
// cells are ignored), required columns that are missing, and columns given
// twice (once in Japanese, once in English).
func CheckOperatorHeader(header []string) []Problem {
	var probs []Problem
	seen := map[string]bool{}
	for _, h := range header {
		if h == "" {
			continue
		}
		key, ok := headerKeys[normHeader(h)]
		if !ok {
			probs = append(probs, Problem{MessageID: "exchange.header.unknown", Args: map[string]any{"Header": h}})
			continue
		}
		if seen[key] {
			probs = append(probs, Problem{Column: key, MessageID: "exchange.header.duplicate"})
		}
		seen[key] = true
	}
	for _, c := range operatorColumns {
		if c.required && !seen[c.key] {
			probs = append(probs, Problem{Column: c.key, MessageID: "exchange.header.missing"})
		}
	}
	return probs
}

// ParseOperators checks every row of an operator register file and
// returns each with all of its problems, so a user fixes a file in one
// pass rather than one error per upload. Nothing is written: the caller
// shows the result as a preview and, on confirm, writes the valid rows.
func ParseOperators(rows []Row, r Resolver) []OperatorRow {
	out := make([]OperatorRow, len(rows))
	lines := map[string][]int{} // 法人番号 → indexes into out
	for i, row := range rows {
		out[i] = parseOperator(row, r)
		if cn := out[i].Operator.CorporateNumber; cn != "" {
			lines[cn] = append(lines[cn], i)
		}
	}
	for _, idx := range lines {
		if len(idx) < 2 {
			continue
		}
		for _, i := range idx {
			var others []string
			for _, j := range idx {
				if j != i {
					others = append(others, strconv.Itoa(out[j].Line))
				}
			}
			out[i].Problems = append(out[i].Problems, Problem{Column: ColCorporateNumber, MessageID: "exchange.operator.duplicate_in_file",
				Args: map[string]any{"Lines": strings.Join(others, ", ")}})
		}
	}
	return out
}

func parseOperator(row Row, r Resolver) OperatorRow {
	res := OperatorRow{Line: row.Line, Action: ActionCreate}
	op := &res.Operator
	// cells holds the trimmed values by column key. Codes and names that are
	// looked up are NFKC-folded below; names and reasons are kept as
	// written, since NFKC would rewrite characters like ① in them.
	cells := map[string]string{}
	for _, c := range operatorColumns {
		// A column given in both languages takes the Japanese one unless it
		// is empty; CheckOperatorHeader has reported the duplicate.
		for _, h := range []string{c.ja, c.key} {
			if v := strings.TrimSpace(lookupHeader(row.Values, h)); v != "" && cells[c.key] == "" {
				cells[c.key] = v
			}
		}
	}
	for _, k := range []string{ColSector, ColScopes, ColDesignation, ColDesignatedSince} {
		cells[k] = strings.TrimSpace(norm.NFKC.String(cells[k]))
	}
	add := func(col, id string, args map[string]any) {
		res.Problems = append(res.Problems, Problem{Column: col, MessageID: id, Args: args})
	}
	required := func(col string) bool {
		if cells[col] == "" {
			res.Problems = append(res.Problems, Problem{Column: col, MessageID: "exchange.required"})
			return false
		}
		return true
	}
	value := func(col string) map[string]any { return map[string]any{"Value": cells[col]} }

	if row.Extra > 0 {
		res.Problems = append(res.Problems, Problem{MessageID: "exchange.row.extra_cells", Args: map[string]any{"Count": row.Extra}})
	}
	if required(ColCorporateNumber) {
		if cn, err := register.ParseCorporateNumber(cells[ColCorporateNumber]); err != nil {
			res.Problems = append(res.Problems, problemOf(ColCorporateNumber, err, cells[ColCorporateNumber]))
		} else {
			op.CorporateNumber = cn
			if ex, ok := r.Existing(cn); ok {
				res.Action, op.ID = ActionUpdate, ex.ID
				if ex.SectorCode != "" && !r.MayManage(ex.SectorCode) {
					res.Problems = append(res.Problems, Problem{Column: ColCorporateNumber, MessageID: "exchange.operator.existing_not_overseen"})
				}
			}
		}
	}
	if required(ColNameJa) {
		op.Name.Ja = cells[ColNameJa]
	}
	op.Name.En = cells[ColNameEn]
	if v := cells[ColLocalGovCode]; v != "" {
		if code, err := register.ParseLocalGovCode(v); err != nil {
			res.Problems = append(res.Problems, problemOf(ColLocalGovCode, err, cells[ColLocalGovCode]))
		} else {
			op.LocalGovCode = code
		}
	}
	if required(ColSector) {
		if code, ok := r.Sector(cells[ColSector]); !ok {
			res.Problems = append(res.Problems, Problem{Column: ColSector, MessageID: "exchange.operator.unknown_sector", Args: value(ColSector)})
		} else if !r.MayManage(code) {
			res.Problems = append(res.Problems, Problem{Column: ColSector, MessageID: "exchange.operator.sector_not_overseen", Args: value(ColSector)})
		} else {
			op.SectorCode = code
		}
	}
	// Scopes can only be checked against a known sector.
	if required(ColScopes) && op.SectorCode != "" {
		ids, unknown := splitScopes(cells[ColScopes], op.SectorCode, r)
		for _, u := range unknown {
			res.Problems = append(res.Problems, Problem{Column: ColScopes, MessageID: "exchange.operator.unknown_scope",
				Args: map[string]any{"Value": u, "Sector": cells[ColSector]}})
		}
		if len(unknown) == 0 {
			op.ScopeIDs = ids
		}
	}
	if required(ColDesignation) {
		if d, ok := parseDesignation(cells[ColDesignation]); !ok {
			res.Problems = append(res.Problems, Problem{Column: ColDesignation, MessageID: "exchange.operator.unknown_designation", Args: value(ColDesignation)})
		} else {
			op.Designation = d
		}
	}
	if required(ColDesignatedSince) {
		if d, ok := parseDate(cells[ColDesignatedSince]); !ok {
			res.Problems = append(res.Problems, Problem{Column: ColDesignatedSince, MessageID: "exchange.operator.bad_date", Args: value(ColDesignatedSince)})
		} else {
			op.DesignatedSince = d
		}
	}
	op.Reason = cells[ColReason]
	problems := op.TextProblems()
	for _, col := range []string{ColNameJa, ColNameEn, ColReason} {
		if id, ok := problems[col]; ok {
			add(col, id, nil)
		}
	}
	return res
}

// lookupHeader finds the cell under header h, however its header was
// spelt in the file (see normHeader).
func lookupHeader(values map[string]string, h string) string {
	if v, ok := values[h]; ok {
		return v
	}
	for k, v := range values {
		if normHeader(k) == normHeader(h) {
			return v
		}
	}
	return ""
}

// problemOf is the problem in column col of an identifier parser's
// *kijun.Error (which they always return): its message with its
// arguments, and the cell's Value.
func problemOf(col string, err error, value string) Problem {
	p := Problem{Column: col, MessageID: "exchange.invalid"}
	var e *kijun.Error
	if errors.As(err, &e) {
		p.MessageID, p.Args = e.MessageID, withValue(e.Args, value)
	}
	return p
}

// withValue is args and the cell's Value.
func withValue(args map[string]any, value string) map[string]any {
	out := map[string]any{"Value": value}
	maps.Copy(out, args)
	return out
}

// splitScopes resolves a list of business scopes. 「;」 (「；」 after NFKC)
// always separates; 「、」 separates too, but some scope names contain it
// (「予約、発券、搭乗・搭載手続」), so pieces between 「、」 are joined back
// greedily into the longest name the sector knows. Unknown pieces are
// returned as they were written.
func splitScopes(list, sector string, r Resolver) (ids []int64, unknown []string) {
	for seg := range strings.SplitSeq(list, ";") {
		parts := strings.Split(seg, "、")
		for i := 0; i < len(parts); {
			j := len(parts)
			for ; j > i; j-- {
				name := strings.TrimSpace(strings.Join(parts[i:j], "、"))
				if id, ok := r.Scope(sector, name); ok {
					if !slices.Contains(ids, id) {
						ids = append(ids, id)
					}
					break
				}
			}
			if j > i {
				i = j
				continue
			}
			if p := strings.TrimSpace(parts[i]); p != "" {
				unknown = append(unknown, p)
			}
			i++
		}
	}
	return ids, unknown
}

// designationLabels are the Japanese labels written on export; all of
// these, the codes and a few common spellings are accepted on import.
var designationLabels = map[register.Designation]string{
	register.DesignationCI:   "重要インフラ事業者",
	register.DesignationCore: "基幹インフラ事業者",
	register.DesignationBoth: "両方",
}

var designationNames = map[string]register.Designation{
	"ci": register.DesignationCI, "重要インフラ事業者": register.DesignationCI, "重要インフラ": register.DesignationCI,
	"core": register.DesignationCore, "基幹インフラ事業者": register.DesignationCore, "基幹インフラ": register.DesignationCore,
	"特定社会基盤事業者": register.DesignationCore,
	"both":      register.DesignationBoth, "両方": register.DesignationBoth,
}

func parseDesignation(s string) (register.Designation, bool) {
	d, ok := designationNames[strings.ToLower(s)]
	return d, ok
}

// designationLabel is how a designation is written in lang.
func designationLabel(d register.Designation, lang kijun.Lang) string {
	if lang == kijun.Ja {
		if l, ok := designationLabels[d]; ok {
			return l
		}
	}
	return string(d)
}

var (
	westernDate = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	eraDate     = regexp.MustCompile(`^(令和|平成)(\d{1,2}|元)年(\d{1,2})月(\d{1,2})日$`)
	digitsOnly  = regexp.MustCompile(`^\d{1,8}$`)
)

// eras are the 元号 a designation date can fall in, with their first day.
var eras = map[string]time.Time{
	"平成": time.Date(1989, 1, 8, 0, 0, 0, 0, time.UTC),
	"令和": time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC),
}

// excelEpoch is day 0 of Excel's date serials (1900 system, after its
// fictitious 1900-02-29), for dates typed into a sheet as dates.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseDate reads a calendar date as 2026-04-01, 2026/4/1, 20260401,
// 令和8年4月1日 (元年 too) or an Excel date serial. Dates are midnight UTC,
// as time.Parse(time.DateOnly) gives, so they compare equal to the database's.
func parseDate(s string) (time.Time, bool) {
	var y, m, d int
	switch {
	case westernDate.MatchString(s):
		p := westernDate.FindStringSubmatch(s)
		y, m, d = atoi(p[1]), atoi(p[2]), atoi(p[3])
	case eraDate.MatchString(s):
		p := eraDate.FindStringSubmatch(s)
		n := 1
		if p[2] != "元" {
			n = atoi(p[2])
		}
		y, m, d = eras[p[1]].Year()+n-1, atoi(p[3]), atoi(p[4])
		t, ok := calendarDate(y, m, d)
		if !ok || n < 1 || t.Before(eras[p[1]]) || p[1] == "平成" && !t.Before(eras["令和"]) {
			return time.Time{}, false
		}
		return t, true
	case len(s) == 8 && digitsOnly.MatchString(s):
		y, m, d = atoi(s[:4]), atoi(s[4:6]), atoi(s[6:])
	case digitsOnly.MatchString(s):
		// Serials 36526 (2000-01-01) to 73050 (2099-12-31) cover every
		// designation; narrower than Excel's range so a bare year like
		// "2026" is refused instead of read as a day in 1905.
		if n := atoi(s); n >= 36526 && n <= 73050 {
			return excelEpoch.AddDate(0, 0, n), true
		}
		return time.Time{}, false
	default:
		return time.Time{}, false
	}
	return calendarDate(y, m, d)
}

// calendarDate refuses dates time.Date would normalise, like 2月30日.
func calendarDate(y, m, d int) (time.Time, bool) {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d || y < 1900 {
		return time.Time{}, false
	}
	return t, true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// WriteOperators writes ops as an operator register file in format, with
// headers, sector and scope names and designations in lang, so that the
// file imports back unchanged. sectors supplies the names (and, for XLSX,
// the drop-down lists); a sector or scope missing there is written by code
// or id, which import then reports rather than guessing.
func WriteOperators(w io.Writer, format Format, lang kijun.Lang, ops []register.Operator, sectors []kijun.Sector) error {
	sectorName := map[string]string{}
	scopeName := map[int64]string{}
	var sectorChoices []string
	for _, s := range sectors {
		sectorName[s.Code] = s.Name.In(lang)
		sectorChoices = append(sectorChoices, s.Name.In(lang))
		for _, sc := range s.Scopes {
			scopeName[sc.ID] = sc.Name.In(lang)
		}
	}
	sep := "；"
	if lang == kijun.En {
		sep = "; "
	}

	var rw interface {
		Write([]string) error
	}
	var finish func() error
	abort := func() {}
	switch format {
	case CSV:
		cw, err := NewCSVWriter(w, OperatorHeader(lang))
		if err != nil {
			return err
		}
		rw, finish = cw, cw.Flush
	case XLSX:
		cols := make([]Column, len(operatorColumns))
		for i, c := range operatorColumns {
			cols[i] = Column{Header: OperatorColumnLabel(c.key, lang), Width: c.width}
			switch c.key {
			case ColSector:
				cols[i].Choices = sectorChoices
			case ColDesignation:
				for _, d := range []register.Designation{register.DesignationCI, register.DesignationCore, register.DesignationBoth} {
					cols[i].Choices = append(cols[i].Choices, designationLabel(d, lang))
				}
			}
		}
		sheet := "operators"
		if lang == kijun.Ja {
			sheet = "事業者"
		}
		xw, err := NewXLSXWriter(w, sheet, cols)
		if err != nil {
			return err
		}
		rw, finish, abort = xw, xw.Close, func() { _ = xw.f.Close() }
	default:
		return errors.New("exchange: unknown format " + string(format))
	}

	for _, op := range ops {
		sector, ok := sectorName[op.SectorCode]
		if !ok {
			sector = op.SectorCode
		}
		scopes := make([]string, len(op.ScopeIDs))
		for i, id := range op.ScopeIDs {
			if scopes[i] = scopeName[id]; scopes[i] == "" {
				scopes[i] = strconv.FormatInt(id, 10)
			}
		}
		var since string
		if !op.DesignatedSince.IsZero() {
			since = kijun.ISODate(op.DesignatedSince)
		}
		err := rw.Write([]string{op.CorporateNumber, op.Name.Ja, op.Name.En, op.LocalGovCode, sector,
			strings.Join(scopes, sep), designationLabel(op.Designation, lang), since, op.Reason})
		if err != nil {
			abort() // release temporary files without writing half a workbook
			return err
		}
	}
	return finish()
}
