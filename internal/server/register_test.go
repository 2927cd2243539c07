//go:build dev

package server_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/kijun-portal/kijun/internal/register"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// Matrix cases for the register's routes.
func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		managers := []string{"nco-admin", "meti-admin", "meti-staff", "fsa-staff"}
		listers := []string{"nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff"}
		foreignNCO := []string{"nco-admin"}
		// One pending proposal on an electricity and one on a finance
		// operator, for the decide route (an empty form decides nothing).
		proposer := fx.q(`INSERT INTO users (display_name) VALUES ('proposer') RETURNING id`)
		correction := func(op int64) int64 {
			return fx.q(`INSERT INTO operator_corrections (operator_id, sector_code, proposed_by, kind, payload)
				SELECT id, sector_code, $2, 'contacts', '[]' FROM operators WHERE id = $1 RETURNING id`, op, proposer)
		}
		cToto, cKake := correction(fx.ids["2010401000001"]), correction(fx.ids["4010001000003"])
		corrections := map[string][2]int64{
			"meti-admin": {cToto, cKake}, "meti-staff": {cToto, cKake}, "fsa-staff": {cKake, cToto}, "nco-admin": {cToto, cKake},
		}
		return map[string]routeCase{
			"GET /operators/export":                   {fixed("/operators/export?format=csv"), allow("GET", 200, listers, listers)},
			"GET /operators/new":                      {fixed("/operators/new"), allow("GET", 200, managers, managers)},
			"POST /operators":                         {fixed("/operators"), allow("POST", 422, managers, managers)}, // empty form
			"GET /operators/{id}/edit":                {byID("/operators/", fx.operator, "/edit"), allow("GET", 200, managers, foreignNCO)},
			"POST /operators/{id}":                    {byID("/operators/", fx.operator, ""), allow("POST", 422, managers, foreignNCO)},
			"POST /operators/{id}/withdraw":           {byID("/operators/", fx.operator, "/withdraw"), allow("POST", 422, managers, foreignNCO)},  // no reason
			"POST /operators/{id}/reinstate":          {byID("/operators/", fx.operator, "/reinstate"), allow("POST", 409, managers, foreignNCO)}, // active already
			"GET /operators/{id}/systems":             {byID("/operators/", fx.operator, "/systems"), allow("GET", 200, managers, foreignNCO)},
			"POST /operators/{id}/systems":            {byID("/operators/", fx.operator, "/systems"), allow("POST", 422, managers, foreignNCO)}, // no rows field
			"GET /operators/{id}/contacts":            {byID("/operators/", fx.operator, "/contacts"), allow("GET", 200, managers, foreignNCO)},
			"POST /operators/{id}/contacts":           {byID("/operators/", fx.operator, "/contacts"), allow("POST", 422, managers, foreignNCO)},
			"GET /operators/{id}/corrections/{kind}":  {byID("/operators/", fx.operator, "/corrections/contacts"), allow("GET", 200, []string{"toto-admin"}, nil)},
			"POST /operators/{id}/corrections/{kind}": {byID("/operators/", fx.operator, "/corrections/systems"), allow("POST", 422, []string{"toto-admin"}, nil)},
			"GET /operators/corrections":              {fixed("/operators/corrections"), allow("GET", 200, managers, managers)},
			"POST /operators/corrections/{id}":        {byID("/operators/corrections/", corrections, ""), allow("POST", 422, managers, foreignNCO)}, // no decision
			"GET /operators/import":                   {fixed("/operators/import"), allow("GET", 200, managers, managers)},
			"POST /operators/import":                  {fixed("/operators/import"), allow("POST", 422, managers, managers)},         // no file
			"POST /operators/import/confirm":          {fixed("/operators/import/confirm"), allow("POST", 409, managers, managers)}, // no preview
		}
	})
}

// corpNum makes a valid 法人番号 from a 12-digit base.
func corpNum(t *testing.T, base string) string {
	t.Helper()
	d, err := register.CorporateNumberCheckDigit(base)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(d) + base
}

// badCorpNum is base with a wrong check digit.
func badCorpNum(t *testing.T, base string) string {
	good := corpNum(t, base)
	return strconv.Itoa(int(good[0]-'0')%9+1) + base
}

type regEnv struct {
	*servertest.Env
	t *testing.T
}

func (e regEnv) id(sql string, args ...any) int64 {
	e.t.Helper()
	var id int64
	if err := e.DB.Owner.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (e regEnv) str(sql string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.DB.Owner.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func (e regEnv) operator(cn string) int64 {
	return e.id(`SELECT id FROM operators WHERE corporate_number = $1`, cn)
}

// regPost sends a form and returns status, Location and body.
func regPost(t *testing.T, env *servertest.Env, c *http.Client, path string, v url.Values) (int, string, string) {
	t.Helper()
	resp, err := c.PostForm(env.HTTP.URL+path, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), html.UnescapeString(string(b))
}

// regUpload posts a file to the import form.
func regUpload(t *testing.T, env *servertest.Env, c *http.Client, name string, data []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	resp, err := c.Post(env.HTTP.URL+"/operators/import", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b))
}

func wantStatus(t *testing.T, what string, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d\n%.3000s", what, got, want, body)
	}
}

func wantIn(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s: page does not contain %q", what, s)
		}
	}
}

func operatorForm(e regEnv, cn, name string) url.Values {
	scope := e.id(`SELECT id FROM business_scopes WHERE sector_code = 'electricity' ORDER BY id LIMIT 1`)
	return url.Values{
		"corporate_number": {cn}, "name_ja": {name}, "name_en": {"Test Power"}, "sector": {"electricity"},
		"scopes": {strconv.FormatInt(scope, 10)}, "designation": {"ci"}, "designated_since": {"2026-04-01"}, "reason": {"テスト"},
	}
}

// A ministry registers an operator with a mistyped 法人番号: the form comes
// back with the check-digit message and everything typed, nothing saved.
func TestRegisterCreateRefusesBadCorporateNumber(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	bad := badCorpNum(t, "900000000011")
	form := operatorForm(e, bad, "誤番号電力株式会社")
	status, _, body := regPost(t, e.Env, c, "/operators", form)
	wantStatus(t, "bad 法人番号", status, 422, body)
	wantIn(t, "bad 法人番号", body, "法人番号の検査用数字が正しくありません", `value="`+bad+`"`, `value="誤番号電力株式会社"`,
		`value="Test Power"`, `value="2026-04-01"`, `href="#op-corporate_number"`, "checked")
	if n := e.id(`SELECT count(*) FROM operators WHERE name_ja = '誤番号電力株式会社'`); n != 0 {
		t.Errorf("operator saved despite the bad number")
	}
	// A finance sector is not METI's: refused on the field, input kept.
	form = operatorForm(e, corpNum(t, "900000000012"), "他分野銀行")
	form.Set("sector", "finance")
	status, _, body = regPost(t, e.Env, c, "/operators", form)
	wantStatus(t, "foreign sector", status, 422, body)
	wantIn(t, "foreign sector", body, "あなたの所管する分野ではありません", `value="他分野銀行"`)
}

// Create, edit (with a conflict), withdraw and reinstate, each audited.
func TestRegisterOperatorLifecycle(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	cn := corpNum(t, "900000000021")
	status, loc, body := regPost(t, e.Env, c, "/operators", operatorForm(e, cn, "ライフサイクル電力株式会社"))
	wantStatus(t, "create", status, 303, body)
	id := e.operator(cn)
	if want := fmt.Sprintf("/operators/%d?saved=1", id); loc != want {
		t.Fatalf("create redirects to %q, want %q", loc, want)
	}
	if by := e.str(`SELECT coalesce(designated_by, '') FROM operators WHERE id = $1`, id); by != "METI" {
		t.Errorf("designated_by = %q, want METI", by)
	}
	_, body = e.Get(t, c, loc)
	wantIn(t, "record", body, "ライフサイクル電力株式会社", cn, "保存しました")

	// Edit: the form carries the version and the values it started from.
	_, body = e.Get(t, c, fmt.Sprintf("/operators/%d/edit", id))
	wantIn(t, "edit form", body, `name="version" value="1"`, `name="orig_name_ja"`)
	edit := operatorForm(e, "", "ライフサイクル電力ホールディングス")
	edit.Set("version", "1")
	for _, k := range []string{"name_ja", "name_en", "sector", "designation", "designated_since", "reason", "scopes"} {
		edit["orig_"+k] = operatorForm(e, cn, "ライフサイクル電力株式会社")[k]
	}
	status, _, body = regPost(t, e.Env, c, fmt.Sprintf("/operators/%d", id), edit)
	wantStatus(t, "edit", status, 303, body)
	// A second editor still holding version 1: nothing written, the form
	// comes back with what changed and their input.
	stale := operatorForm(e, "", "古い版からの変更")
	stale.Set("version", "1")
	for _, k := range []string{"name_ja", "name_en", "sector", "designation", "designated_since", "reason", "scopes"} {
		stale["orig_"+k] = operatorForm(e, cn, "ライフサイクル電力株式会社")[k]
	}
	status, _, body = regPost(t, e.Env, c, fmt.Sprintf("/operators/%d", id), stale)
	wantStatus(t, "stale edit", status, 409, body)
	wantIn(t, "stale edit", body, `id="conflict-table"`, "ライフサイクル電力ホールディングス", `value="古い版からの変更"`, `name="version" value="2"`)
	if name := e.str(`SELECT name_ja FROM operators WHERE id = $1`, id); name != "ライフサイクル電力ホールディングス" {
		t.Errorf("stale edit overwrote the name: %q", name)
	}

	// Withdraw needs a reason; the record comes back with the error.
	status, _, body = regPost(t, e.Env, c, fmt.Sprintf("/operators/%d/withdraw", id), url.Values{"version": {"2"}, "reason": {" "}})
	wantStatus(t, "withdraw without reason", status, 422, body)
	wantIn(t, "withdraw without reason", body, "理由を入力してください")
	status, _, body = regPost(t, e.Env, c, fmt.Sprintf("/operators/%d/withdraw", id), url.Values{"version": {"2"}, "reason": {"指定解除のため"}})
	wantStatus(t, "withdraw", status, 303, body)
	_, body = e.Get(t, c, fmt.Sprintf("/operators/%d", id))
	wantIn(t, "withdrawn record", body, "指定解除のため", `id="reinstate-form"`)
	status, _, body = regPost(t, e.Env, c, fmt.Sprintf("/operators/%d/reinstate", id), url.Values{"version": {"3"}})
	wantStatus(t, "reinstate", status, 303, body)
	if st := e.str(`SELECT status FROM operators WHERE id = $1`, id); st != "active" {
		t.Errorf("status after reinstate = %q", st)
	}

	rows, err := e.DB.Owner.Query(context.Background(),
		`SELECT action FROM audit_events WHERE operator_id = $1 AND object_type = 'operator' ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	if got, want := strings.Join(actions, ","), "operator.create,operator.update,operator.withdraw,operator.reinstate"; got != want {
		t.Errorf("audit events %s, want %s", got, want)
	}
}

// A METI user neither sees nor edits a finance operator, nor imports a
// finance row.
func TestRegisterMinistryStaysInItsSectors(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	bank := e.operator("4010001000003")
	for _, path := range []string{"/operators/%d", "/operators/%d/edit", "/operators/%d/systems", "/operators/%d/contacts"} {
		if status, _ := e.Get(t, c, fmt.Sprintf(path, bank)); status != 404 {
			t.Errorf("GET %s: %d, want 404", fmt.Sprintf(path, bank), status)
		}
	}
	status, _, _ := regPost(t, e.Env, c, fmt.Sprintf("/operators/%d", bank), url.Values{"version": {"1"}, "name_ja": {"乗っ取り"}})
	if status != 404 {
		t.Errorf("POST edit of a finance operator: %d, want 404", status)
	}
	status, _, _ = regPost(t, e.Env, c, fmt.Sprintf("/operators/%d/withdraw", bank), url.Values{"version": {"1"}, "reason": {"x"}})
	if status != 404 {
		t.Errorf("POST withdraw of a finance operator: %d, want 404", status)
	}
	_, list := e.Get(t, c, "/operators")
	if strings.Contains(list, "4010001000003") {
		t.Error("the register lists a finance operator to METI")
	}

	before := e.id(`SELECT count(*) FROM operators`)
	csv := "法人番号,名称,分野,事業の範囲,指定区分,指定日\n" +
		corpNum(t, "900000000031") + ",よその銀行,金融,銀行,重要インフラ事業者,2026-04-01\n"
	status, body := regUpload(t, e.Env, c, "finance.csv", []byte(csv))
	wantStatus(t, "finance import preview", status, 200, body)
	wantIn(t, "finance import preview", body, "分野「金融」は、あなたの所管する分野ではありません", `id="nothing-to-import"`)
	if strings.Contains(body, `id="confirm-form"`) {
		t.Error("a preview with only refused rows offers to confirm")
	}
	status, _, _ = regPost(t, e.Env, c, "/operators/import/confirm", url.Values{"token": {"guess"}})
	if status != 409 {
		t.Errorf("confirm without a preview: %d, want 409", status)
	}
	if after := e.id(`SELECT count(*) FROM operators`); after != before {
		t.Errorf("operators %d → %d after a refused import", before, after)
	}
}

var tokenField = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

// A Shift_JIS file with good and bad rows: the preview lists every
// problem with its line and writes nothing; confirm writes the good rows.
func TestRegisterImportPreviewThenConfirm(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	good1, good2 := corpNum(t, "900000000041"), corpNum(t, "900000000042")
	bad := badCorpNum(t, "900000000043")
	text := "法人番号,名称,分野,事業の範囲,指定区分,指定日\r\n" +
		good1 + ",取込第一電力株式会社,電力,一般送配電事業,重要インフラ事業者,令和8年4月1日\r\n" +
		bad + ",番号誤り電力,電力,一般送配電事業,重要インフラ事業者,2026-04-01\r\n" +
		good2 + ",取込第二電力株式会社,electricity,一般送配電事業,両方,2026/4/1\r\n" +
		corpNum(t, "900000000044") + ",分野不明電力,宇宙,一般送配電事業,重要インフラ事業者,2026-04-01\r\n" +
		"2010401000001,東都送配電株式会社(デモ),電力,一般送配電事業,両方,2026-04-01\r\n"
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	before := e.id(`SELECT count(*) FROM operators`)
	status, body := regUpload(t, e.Env, c, "台帳.csv", sjis)
	wantStatus(t, "preview", status, 200, body)
	wantIn(t, "preview", body, "文字コード:Shift_JIS", "新規登録 2件、更新 1件、誤りのため取り込まない行 2件",
		`id="line-3"`, "法人番号の検査用数字が正しくありません", `id="line-5"`, "「宇宙」という分野はありません",
		"取込第一電力株式会社", "登録済みの事業者を更新します")
	if after := e.id(`SELECT count(*) FROM operators`); after != before {
		t.Fatalf("the preview wrote to the register: %d → %d", before, after)
	}
	m := tokenField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no confirm token in the preview")
	}
	// Another user's session cannot confirm this preview.
	other := e.SignIn(t, "meti-admin")
	if status, _, _ := regPost(t, e.Env, other, "/operators/import/confirm", url.Values{"token": {m[1]}}); status != 409 {
		t.Errorf("confirm from another session: %d, want 409", status)
	}

	status, loc, body := regPost(t, e.Env, c, "/operators/import/confirm", url.Values{"token": {m[1]}})
	wantStatus(t, "confirm", status, 303, body)
	_, body = e.Get(t, c, loc)
	wantIn(t, "result", body, "新規登録 2件、更新 1件、取り込まなかった行 2件")
	if after := e.id(`SELECT count(*) FROM operators`); after != before+2 {
		t.Errorf("operators %d → %d, want two more", before, after)
	}
	if d := e.str(`SELECT designated_since::text FROM operators WHERE corporate_number = $1`, good1); d != "2026-04-01" {
		t.Errorf("令和8年4月1日 stored as %s", d)
	}
	if n := e.id(`SELECT count(*) FROM audit_events WHERE action = 'operator.import'`); n != 1 {
		t.Errorf("%d operator.import events, want 1", n)
	}
	// The same preview cannot be confirmed twice.
	if status, _, _ := regPost(t, e.Env, c, "/operators/import/confirm", url.Values{"token": {m[1]}}); status != 409 {
		t.Errorf("second confirm: %d, want 409", status)
	}
	_, list := e.Get(t, c, "/operators?q=取込")
	wantIn(t, "register", list, "取込第一電力株式会社", "取込第二電力株式会社")
}

// The export is exactly the filtered list, in the user's sectors, as CSV
// with a BOM (and XLSX).
func TestRegisterExport(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	status, body := e.Get(t, c, "/operators/export?format=csv")
	if status != 200 || !strings.HasPrefix(body, "\uFEFF") {
		t.Fatalf("export: status %d, starts %q", status, body[:min(len(body), 20)])
	}
	wantIn(t, "export", body, "法人番号", "2010401000001", "1010401000002")
	if strings.Contains(body, "4010001000003") || strings.Contains(body, "5000020479993") {
		t.Error("the export holds operators of sectors METI does not oversee")
	}
	_, body = e.Get(t, c, "/operators/export?format=csv&q=1010401")
	if !strings.Contains(body, "1010401000002") || strings.Contains(body, "2010401000001") {
		t.Errorf("export ignores the filter:\n%s", body)
	}
	status, body = e.Get(t, c, "/operators/export?format=xlsx")
	if status != 200 || !strings.HasPrefix(body, "PK") {
		t.Errorf("xlsx export: status %d", status)
	}
	if status, _ := e.Get(t, c, "/operators/export?format=pdf"); status != 404 {
		t.Errorf("unknown format: %d, want 404", status)
	}
}

// An operator's admin proposes new contacts; the ministry accepts; the
// record changes only then. The operator's staff may not propose.
func TestRegisterCorrectionAccepted(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	toto := e.operator("2010401000001")
	admin := e.SignIn(t, "toto-admin")
	path := fmt.Sprintf("/operators/%d/corrections/contacts", toto)
	status, body := e.Get(t, admin, path)
	wantStatus(t, "proposal form", status, 200, body)

	// A bad e-mail address: the form comes back with the row's error.
	proposal := url.Values{"rows": {"1"}, "role_0": {"CSIRT"}, "name_0": {"東都 三郎"}, "email_0": {"not-an-address"}, "note": {"担当交代"}}
	status, _, body = regPost(t, e.Env, admin, path, proposal)
	wantStatus(t, "bad proposal", status, 422, body)
	wantIn(t, "bad proposal", body, "メールアドレスの形式が正しくありません", `value="東都 三郎"`)

	proposal.Set("email_0", "csirt@toto-grid.example.jp")
	status, _, body = regPost(t, e.Env, admin, path, proposal)
	wantStatus(t, "proposal", status, 303, body)
	if n := e.id(`SELECT count(*) FROM operator_contacts WHERE operator_id = $1 AND email = 'csirt@toto-grid.example.jp'`, toto); n != 0 {
		t.Fatal("the proposal changed the record before the ministry decided")
	}

	staff := e.SignIn(t, "toto-staff")
	if status, _, _ := regPost(t, e.Env, staff, path, proposal); status != 404 {
		t.Errorf("operator staff proposing: %d, want 404", status)
	}

	ministry := e.SignIn(t, "meti-staff")
	_, body = e.Get(t, ministry, "/operators/corrections")
	wantIn(t, "pending list", body, "東都送配電株式会社(デモ)", "連絡先の修正")
	_, body = e.Get(t, ministry, fmt.Sprintf("/operators/%d", toto))
	wantIn(t, "record with proposal", body, "csirt@toto-grid.example.jp", "担当交代", `value="accept"`)
	cid := e.id(`SELECT id FROM operator_corrections WHERE operator_id = $1 AND status = 'pending'`, toto)
	// FSA may not decide METI's proposal.
	fsa := e.SignIn(t, "fsa-staff")
	if status, _, _ := regPost(t, e.Env, fsa, fmt.Sprintf("/operators/corrections/%d", cid), url.Values{"decision": {"accept"}}); status != 404 {
		t.Errorf("FSA deciding a METI proposal: %d, want 404", status)
	}
	status, _, body = regPost(t, e.Env, ministry, fmt.Sprintf("/operators/corrections/%d", cid), url.Values{"decision": {"accept"}, "note": {"確認済み"}})
	wantStatus(t, "accept", status, 303, body)
	if n := e.id(`SELECT count(*) FROM operator_contacts WHERE operator_id = $1 AND email = 'csirt@toto-grid.example.jp'`, toto); n != 1 {
		t.Error("the accepted contact is not in the record")
	}
	if n := e.id(`SELECT count(*) FROM audit_events WHERE action = 'operator.correction.accept' AND operator_id = $1`, toto); n != 1 {
		t.Errorf("%d accept events, want 1", n)
	}
	_, body = e.Get(t, admin, fmt.Sprintf("/operators/%d", toto))
	wantIn(t, "operator sees the decision", body, "受理済み", "確認済み")
}

// The ministry edits systems directly: add one, then change and remove.
func TestRegisterSystemsEdit(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	id := e.operator("1010401000002")
	path := fmt.Sprintf("/operators/%d/systems", id)
	status, _, body := regPost(t, e.Env, c, path, url.Values{"rows": {"1"}, "name_0": {"発電制御システム"}, "kind_0": {"ot"}, "closed_0": {"1"}})
	wantStatus(t, "add system", status, 303, body)
	sid := e.id(`SELECT id FROM operator_systems WHERE operator_id = $1 AND name = '発電制御システム'`, id)
	status, _, body = regPost(t, e.Env, c, path, url.Values{"rows": {"1"}, "id_0": {strconv.FormatInt(sid, 10)}, "name_0": {""}, "kind_0": {"ot"}})
	wantStatus(t, "nameless system", status, 422, body)
	wantIn(t, "nameless system", body, "システム名を200文字以内で入力してください")
	status, _, body = regPost(t, e.Env, c, path, url.Values{"rows": {"1"}, "id_0": {strconv.FormatInt(sid, 10)}, "name_0": {"発電制御"}, "kind_0": {"ot"}, "delete_0": {"1"}})
	wantStatus(t, "delete system", status, 303, body)
	if n := e.id(`SELECT count(*) FROM operator_systems WHERE operator_id = $1`, id); n != 0 {
		t.Errorf("%d systems left, want 0", n)
	}
	if n := e.id(`SELECT count(*) FROM audit_events WHERE operator_id = $1 AND action LIKE 'operator.system.%'`, id); n != 2 {
		t.Errorf("%d system audit events, want 2 (create, delete)", n)
	}
}
