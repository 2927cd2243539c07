//go:build dev

package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// multipartBody is a form with one file field.
func multipartBody(t testing.TB, field, name string, data []byte) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary("kijun-test-boundary") // a retry sends the same bytes
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

// upload posts a file to path as multipart field "file".
func (c apiCaller) upload(path, name string, data []byte, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	body, ct := multipartBody(c.t, "file", name, data)
	return c.do("POST", path, body, append([]string{"Content-Type", ct}, header...)...)
}

// minimalPDF is a file the evidence checks accept as a PDF.
var minimalPDF = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

// TestAPIRegisterImport: a ministry's system uploads its register; a file
// with any bad row is refused with every problem and changes nothing; a
// clean one is kept until confirmed, applied once with the page's checks
// and audit, and is the uploading token's alone.
func TestAPIRegisterImport(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	contract := newContract(t, env)
	meti := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0)}
	other := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0), lang: "en"}
	count := func() (n int) {
		env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM operators`).Scan(&n)
		return n
	}
	before := count()
	good1, good2 := corpNum(t, "900000000141"), corpNum(t, "900000000142")
	bad := "法人番号,名称,分野,事業の範囲,指定区分,指定日\r\n" +
		good1 + ",API第一電力株式会社,電力,一般送配電事業,重要インフラ事業者,2026-04-01\r\n" +
		badCorpNum(t, "900000000143") + ",番号誤り電力,電力,一般送配電事業,重要インフラ事業者,2026-04-01\r\n" +
		corpNum(t, "900000000144") + ",よその銀行,金融,銀行,重要インフラ事業者,2026-04-01\r\n"
	resp, body := meti.upload("/api/v1/operators/imports", "register.csv", []byte(bad))
	p := want(t, resp, body, 422)
	fields := map[string]bool{}
	for _, e := range p["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	if !fields["rows[3].corporate_number"] || !fields["rows[4].sector"] || fields["rows[2].corporate_number"] {
		t.Errorf("problems of the bad file: %s", body)
	}
	if !strings.Contains(string(body), "法人番号の検査用数字が正しくありません") {
		t.Errorf("the problem's detail is not the page's message: %s", body)
	}
	if count() != before {
		t.Fatal("a refused import wrote to the register")
	}
	// Not a file at all, or no file.
	resp, body = meti.upload("/api/v1/operators/imports", "x.csv", []byte("\x00\x01\x02"))
	want(t, resp, body, 422)
	resp, body = meti.do("POST", "/api/v1/operators/imports", "{}")
	if p := want(t, resp, body, 422); p["errors"] == nil {
		t.Errorf("no file: %s", body)
	}

	// A clean file: checked, kept, nothing written yet.
	clean := "法人番号,名称,分野,事業の範囲,指定区分,指定日\r\n" +
		good1 + ",API第一電力株式会社,電力,一般送配電事業,重要インフラ事業者,2026-04-01\r\n" +
		good2 + ",API第二電力株式会社,electricity,一般送配電事業,両方,2026/4/1\r\n" +
		"2010401000001,東都送配電株式会社(デモ),電力,一般送配電事業,両方,2026-04-01\r\n"
	resp, body = meti.upload("/api/v1/operators/imports", "register.csv", []byte(clean), "Idempotency-Key", "import-1")
	imp := want(t, resp, body, 201)
	if imp["create"] != 2.0 || imp["update"] != 1.0 || imp["status"] != "pending" || resp.Header.Get("Location") == "" {
		t.Fatalf("the checked import: %s", body)
	}
	// A retry of the upload gets the same import.
	resp, body2 := meti.upload("/api/v1/operators/imports", "register.csv", []byte(clean), "Idempotency-Key", "import-1")
	if want(t, resp, body2, 201); resp.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(body, body2) {
		t.Error("the replayed upload is not the first response")
	}
	if count() != before {
		t.Fatal("an upload wrote to the register before confirmation")
	}
	path := fmt.Sprintf("/api/v1/operators/imports/%d", int64(imp["id"].(float64)))
	// Another token (of the same ministry) does not see it.
	resp, body = other.do("GET", path, nil)
	want(t, resp, body, 404)
	resp, body = other.do("POST", path+"/confirm", nil)
	want(t, resp, body, 404)
	resp, body = meti.do("GET", path, nil)
	want(t, resp, body, 200)

	resp, body = meti.do("POST", path+"/confirm", nil)
	done := want(t, resp, body, 200)
	if res := done["result"].(map[string]any); res["created"] != 2.0 || res["updated"] != 1.0 || done["status"] != "confirmed" {
		t.Fatalf("confirmed: %s", body)
	}
	if count() != before+2 {
		t.Fatalf("operators %d → %d, want 2 more", before, count())
	}
	var audited int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'operator.import'`).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d operator.import audit events, want 1", audited)
	}
	// Once only.
	resp, body = meti.do("POST", path+"/confirm", nil)
	if p := want(t, resp, body, 409); p["code"] != "registerui.import.expired" {
		t.Errorf("a second confirmation: %s", body)
	}
	// An expired import is refused.
	resp, body = meti.upload("/api/v1/operators/imports", "again.csv", []byte(clean))
	again := want(t, resp, body, 201)
	env.DB.Owner.Exec(ctx, `UPDATE api_operator_imports SET created_at = created_at - interval '1 hour', expires_at = created_at - interval '1 hour' + interval '1 minute' WHERE id = $1`, int64(again["id"].(float64)))
	resp, body = meti.do("POST", fmt.Sprintf("/api/v1/operators/imports/%d/confirm", int64(again["id"].(float64))), nil)
	want(t, resp, body, 409)
	// An operator's token cannot import.
	var toto int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	op := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleOperatorAdmin, "", toto)}
	resp, body = op.upload("/api/v1/operators/imports", "register.csv", []byte(clean))
	want(t, resp, body, 404)
}

// TestAPIEvidence: an operator's tool attaches a file to an answer with
// the page's checks, lists, downloads and removes it (audited); another
// operator sees none of it; a submitted assessment's files stay.
func TestAPIEvidence(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	contract := newContract(t, env)
	var toto, kita int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '1010401000002'`).Scan(&kita)
	asms := xlOpenCycle(t, env, xlSmallCatalog(t, env, "api-evidence"), 2034)
	op := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleOperatorStaff, "", toto)}
	stranger := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleOperatorStaff, "", kita)}
	ministry := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0)}
	base := fmt.Sprintf("/api/v1/assessments/%d/answers/GV-01/evidence", asms[toto])

	resp, body := op.upload(base, "規程.pdf", minimalPDF, "Idempotency-Key", "ev-1")
	ev := want(t, resp, body, 201)
	if ev["content_type"] != "application/pdf" || ev["file_name"] != "規程.pdf" || ev["size"] != float64(len(minimalPDF)) {
		t.Fatalf("stored evidence: %s", body)
	}
	resp, _ = op.upload(base, "規程.pdf", minimalPDF, "Idempotency-Key", "ev-1")
	if resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("a retried upload was stored twice")
	}
	file := fmt.Sprintf("/api/v1/evidence/%d", int64(ev["id"].(float64)))
	// A file larger than a JSON body may be, with an Idempotency-Key
	// (read whole before the handler): the route's own limit applies.
	big := append(append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("% padding\n"), 300_000)...), "%%EOF\n"...)
	resp, body = op.upload(base, "large.pdf", big, "Idempotency-Key", "ev-big")
	if e := want(t, resp, body, 201); e["size"] != float64(len(big)) {
		t.Errorf("a 3 MB file: %s", body)
	}
	resp, body = op.do("DELETE", fmt.Sprintf("/api/v1/evidence/%d", int64(want(t, resp, body, 201)["id"].(float64))), nil)
	want(t, resp, body, 204)
	// The page's checks: a file whose content is not its type, an empty one.
	resp, body = op.upload(base, "virus.pdf", []byte("MZ\x90\x00 not a pdf"))
	if p := want(t, resp, body, 422); p["errors"].([]any)[0].(map[string]any)["field"] != "file" {
		t.Errorf("a disguised file: %s", body)
	}
	resp, body = op.upload(base, "empty.pdf", nil)
	want(t, resp, body, 422)
	resp, body = op.upload(fmt.Sprintf("/api/v1/assessments/%d/answers/NO-SUCH/evidence", asms[toto]), "a.pdf", minimalPDF)
	want(t, resp, body, 404)

	for who, c := range map[string]apiCaller{"operator": op, "ministry": ministry} {
		resp, body = c.do("GET", base, nil)
		if list := want(t, resp, body, 200); len(list["items"].([]any)) != 1 {
			t.Errorf("%s lists %s", who, body)
		}
		resp, body = c.do("GET", file, nil)
		if resp.StatusCode != 200 || !bytes.Equal(body, minimalPDF) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s downloads: %d %q", who, resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
	}
	// Another operator: not found, whatever it tries.
	for _, call := range [][2]string{{"GET", base}, {"GET", file}, {"DELETE", file}} {
		resp, body = stranger.do(call[0], call[1], nil)
		want(t, resp, body, 404)
	}
	resp, body = stranger.upload(base, "a.pdf", minimalPDF)
	want(t, resp, body, 404)
	// The ministry reads but does not remove.
	resp, body = ministry.do("DELETE", file, nil)
	want(t, resp, body, 404)

	resp, body = op.do("DELETE", file, nil)
	want(t, resp, body, 204)
	resp, body = op.do("GET", file, nil)
	want(t, resp, body, 404)
	var audited int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action IN ('assessment.evidence.add', 'assessment.evidence.delete')
		AND object_id = $1`, fmt.Sprintf("%d/GV-01", asms[toto])).Scan(&audited)
	if audited != 4 {
		t.Errorf("%d evidence audit events, want two adds and two deletes", audited)
	}
	// A submitted assessment's files are locked.
	resp, body = op.upload(base, "b.pdf", minimalPDF)
	kept := want(t, resp, body, 201)
	tx, err := env.DB.Owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE assessments SET status = 'submitted', submitted_at = now() WHERE id = $1`, asms[toto]); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	resp, body = op.do("DELETE", fmt.Sprintf("/api/v1/evidence/%d", int64(kept["id"].(float64))), nil)
	want(t, resp, body, 409)
	resp, body = op.upload(base, "c.pdf", minimalPDF)
	want(t, resp, body, 409)
}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		env := fx.env
		ctx := context.Background()
		toto, kita, bank := fx.ids["2010401000001"], fx.ids["1010401000002"], fx.ids["4010001000003"]
		ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
		managers := append([]string{"nco-admin"}, ministries...)
		operators := []string{"toto-admin", "toto-staff", "toto-reviewer"}
		// The paths are built when the matrix runs, after every set: the
		// tokens and the API matrix's cycle exist by then.
		userOf := func(role string) int64 {
			var id int64
			env.DB.Owner.QueryRow(ctx, `SELECT user_id FROM api_tokens WHERE hash = $1`, identity.HashToken(fx.apiToken[role])).Scan(&id)
			return id
		}
		// A fresh import of the role's token (own) or of another token.
		importOf := func(suffix string) func(string, bool) string {
			return func(role string, own bool) string {
				owner := userOf("meti-admin")
				if own && fx.apiToken[role] != "" {
					owner = userOf(role)
				} else if !own && role == "meti-admin" {
					owner = userOf("meti-staff")
				}
				return fmt.Sprintf("/api/v1/operators/imports/%d%s", fx.q(`INSERT INTO api_operator_imports
					(user_id, file_name, file_sha256, rows, created_at, expires_at)
					VALUES ($1, 'm.csv', '', '[]', now(), now() + interval '30 minutes') RETURNING id`, owner), suffix)
			}
		}
		latest := func(operator int64) int64 {
			return fx.q(`SELECT id FROM assessments WHERE operator_id = $1 ORDER BY id DESC LIMIT 1`, operator)
		}
		// The assessment of the role's own tenant, or of another.
		asmOf := func(role string, own bool) int64 {
			switch {
			case strings.HasPrefix(role, "toto") && !own:
				return latest(kita)
			case role == "fsa-staff":
				return map[bool]int64{true: latest(bank), false: latest(toto)}[own]
			case !own:
				return latest(bank)
			}
			return latest(toto)
		}
		// A fresh file on that assessment.
		fileOf := func(role string, own bool) string {
			return fmt.Sprintf("/api/v1/evidence/%d", fx.q(`INSERT INTO evidence (assessment_id, ref, operator_id, sector_code,
				file_name, content_type, size, sha256, bytes, uploaded_by_name)
				SELECT id, 'GV-01', operator_id, sector_code, 'm.pdf', 'application/pdf', 4, sha256('%PDF'::bytea), '%PDF', 'matrix'
				FROM assessments WHERE id = $1 RETURNING id`, asmOf(role, own)))
		}
		answerPath := func(role string, own bool) string {
			return fmt.Sprintf("/api/v1/assessments/%d/answers/GV-01/evidence", asmOf(role, own))
		}
		return map[string]routeCase{
			// No file: refused as a field error once the policy let it through.
			"POST /api/v1/operators/imports":                      {path: fixed("/api/v1/operators/imports"), want: apiAllow(422, managers, managers)},
			"GET /api/v1/operators/imports/{id}":                  {path: importOf(""), want: apiAllow(200, managers, nil)},
			"POST /api/v1/operators/imports/{id}/confirm":         {path: importOf("/confirm"), want: apiAllow(200, managers, nil)},
			"GET /api/v1/assessments/{id}/answers/{ref}/evidence": {path: answerPath, want: apiAllow(200, withGrant, ncos)},
			// No file: a field error, for the operator's own assessment only.
			"POST /api/v1/assessments/{id}/answers/{ref}/evidence": {path: answerPath, want: apiAllow(422, operators, nil)},
			"GET /api/v1/evidence/{id}":                            {path: fileOf, want: apiAllow(200, withGrant, ncos)},
			"DELETE /api/v1/evidence/{id}":                         {path: fileOf, want: apiAllow(204, operators, nil)},
		}
	})
}

var _ = io.EOF

// TestAPIHostileUploads sends hostile files (random bytes, a file that
// says it is a spreadsheet, hostile names, a broken multipart body) to
// the API's upload routes as a ministry and an operator: every answer is
// problem+json below 500 and matches the document.
func TestAPIHostileUploads(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	contract := newContract(t, env)
	var toto int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	asms := env.SmallCycle(t, "api-hostile-up", 2031)
	callers := map[string]apiCaller{
		"/api/v1/operators/imports": {t: t, env: env, contract: contract, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0)},
		fmt.Sprintf("/api/v1/assessments/%d/answers/GV-01/evidence", asms["2010401000001"]): {t: t, env: env, contract: contract,
			token: env.Token(t, identity.RoleOperatorStaff, "", toto)},
	}
	rng := rand.New(rand.NewPCG(19, 23))
	for path, c := range callers {
		for i := range 24 {
			name := hostileValues[rng.IntN(len(hostileValues))]
			data := make([]byte, rng.IntN(4096))
			for j := range data {
				data[j] = byte(rng.IntN(256))
			}
			switch i % 4 {
			case 1:
				data = append([]byte("PK\x03\x04"), data...) // looks like XLSX or DOCX
			case 2:
				data = append([]byte("%PDF-1.4\n"), data...)
			case 3:
				data = []byte("法人番号,名称\n" + name + "," + name + "\n")
			}
			resp, body := c.upload(path, name+".csv", data)
			if resp.StatusCode >= 500 || (resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json") {
				t.Errorf("%s with %q: %d %s", path, name, resp.StatusCode, body)
			}
		}
		resp, body := c.do("POST", path, "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc",
			"Content-Type", "multipart/form-data; boundary=x")
		if resp.StatusCode >= 500 {
			t.Errorf("%s with a broken body: %d %s", path, resp.StatusCode, body)
		}
	}
}
