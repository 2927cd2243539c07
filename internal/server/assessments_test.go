//go:build dev

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// asmWorld is a server with the published baseline and an open FY2027
// cycle, and the assessments of toto and kakehashi.
type asmWorld struct {
	env            *servertest.Env
	toto, bank     int64 // assessment ids
	sections       []string
	refsBySection  map[string][]string
	totoOp, bankOp int64
}

func newAsmWorld(t *testing.T) *asmWorld {
	t.Helper()
	env := servertest.New(t)
	published, _ := catalogFixture(t, env)
	asms := xlOpenCycle(t, env, published, 2027)
	w := &asmWorld{env: env, refsBySection: map[string][]string{}}
	ctx := context.Background()
	q := func(corp string) int64 {
		var id int64
		if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = $1`, corp).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	w.totoOp, w.bankOp = q("2010401000001"), q("4010001000003")
	w.toto, w.bank = asms[w.totoOp], asms[w.bankOp]
	rows, err := env.DB.Owner.Query(ctx, `SELECT section_code, ref FROM assessment_controls WHERE assessment_id = $1 ORDER BY sort_order`, w.toto)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s, ref string
		if err := rows.Scan(&s, &ref); err != nil {
			t.Fatal(err)
		}
		if len(w.refsBySection[s]) == 0 {
			w.sections = append(w.sections, s)
		}
		w.refsBySection[s] = append(w.refsBySection[s], ref)
	}
	rows.Close()
	return w
}

func (w *asmWorld) url(id int64, rest string) string {
	return fmt.Sprintf("%s/assessments/%d%s", w.env.HTTP.URL, id, rest)
}

// implemented answers a control as implemented.
func implemented(ref string, version int) url.Values {
	return url.Values{"status-" + ref: {"implemented"}, "how-" + ref: {"運用手順書に基づき実施 " + ref}, "version-" + ref: {fmt.Sprint(version)}}
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (int, string, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), readAll(resp)
}

func TestAssessmentAnswerSubmitReturnAccept(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	op := w.env.SignIn(t, "toto-staff")
	first := w.sections[0]
	ref := w.refsBySection[first][0]

	// The operator sees its own assessment in its list.
	status, body := w.env.Get(t, op, "/assessments")
	if status != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`href="/assessments/%d"`, w.toto)) ||
		strings.Contains(body, fmt.Sprintf(`href="/assessments/%d"`, w.bank)) {
		t.Fatalf("operator's list %d must show its own assessment only", status)
	}

	// Nothing to carry forward in the first cycle: the assessment's page
	// says so, not an error page.
	status, _, body = post(t, op, w.url(w.toto, "/carry-forward"), nil)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="refused">引き継ぐことができる前回の評価サイクルの回答がありません。`) ||
		!strings.Contains(body, `id="assessment-status"`) {
		t.Fatalf("carry forward with nothing to carry: %d\n%.2000s", status, body)
	}

	// The section page without JavaScript: one POST saves the section.
	status, body = w.env.Get(t, op, fmt.Sprintf("/assessments/%d/sections/%s", w.toto, first))
	if status != http.StatusOK || !strings.Contains(body, `id="ctl-`+ref+`"`) || !strings.Contains(body, `data-autosave=`) {
		t.Fatalf("section page %d lacks the control or the autosave form", status)
	}
	// The control's guidance (解説) is beside it.
	var guidance string
	if err := w.env.DB.Owner.QueryRow(context.Background(), `SELECT c.guidance_ja FROM controls c
		JOIN assessment_controls i ON i.catalog_id = c.catalog_id AND i.ref = c.ref
		WHERE i.assessment_id = $1 AND i.ref = $2`, w.toto, ref).Scan(&guidance); err != nil {
		t.Fatal(err)
	}
	if guidance == "" || !strings.Contains(body, `id="guidance-`+ref+`"`) || !strings.Contains(body, html.EscapeString(guidance)) {
		t.Errorf("the section page does not show %s's guidance %q", ref, guidance)
	}
	status, loc, _ := post(t, op, w.url(w.toto, "/sections/"+first), implemented(ref, 0))
	if status != http.StatusSeeOther || !strings.Contains(loc, "saved=1") {
		t.Fatalf("section save: %d %q", status, loc)
	}
	_, body = w.env.Get(t, op, fmt.Sprintf("/assessments/%d/sections/%s", w.toto, first))
	if !strings.Contains(body, "運用手順書に基づき実施 "+ref) {
		t.Fatal("the saved answer is not on the page after reload")
	}

	// A text too long comes back in its field, which names its limit, and
	// the summary says which control and field.
	tooLong := implemented(ref, currentVersion(t, w, ref))
	tooLong.Set("how-"+ref, strings.Repeat("長", assessment.MaxHowLen+1))
	status, _, body = post(t, op, w.url(w.toto, "/sections/"+first), tooLong)
	if status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, fmt.Sprintf(`id="err-how-%s">%d文字以内で入力してください。`, ref, assessment.MaxHowLen)) ||
		!strings.Contains(body, `aria-describedby="err-how-`+ref+`"`) || !strings.Contains(body, ref+" 実施内容</a>") ||
		strings.Contains(body, "no value") {
		t.Fatalf("a text too long: %d\n%.3000s", status, body)
	}

	// Autosave of one answer returns the new version as JSON …
	second := w.refsBySection[first][1]
	req, _ := http.NewRequest(http.MethodPost, w.url(w.toto, "/answers/"+second), strings.NewReader(implemented(second, 0).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := op.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var reply struct {
		Version  int
		Conflict bool
		Message  string
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || reply.Version != 1 || !strings.Contains(reply.Message, "保存しました") {
		t.Fatalf("autosave: %d %+v", resp.StatusCode, reply)
	}
	// … and a save from a stale version is a conflict, not an overwrite.
	stale := implemented(second, 0)
	stale.Set("how-"+second, "古い画面からの入力")
	req, _ = http.NewRequest(http.MethodPost, w.url(w.toto, "/answers/"+second), strings.NewReader(stale.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = op.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale autosave: %d, want 409", resp.StatusCode)
	}
	// The whole-form save of the same stale input shows both versions and
	// keeps what was typed.
	status, _, body = post(t, op, w.url(w.toto, "/sections/"+first), stale)
	if status != http.StatusConflict || !strings.Contains(body, `id="conflict-`+second+`"`) ||
		!strings.Contains(body, "古い画面からの入力") || !strings.Contains(body, "運用手順書に基づき実施 "+second) {
		t.Fatalf("stale section save: %d; want both versions on the page:\n%.3000s", status, body)
	}
	// The conflict names the control, who saved and the versions.
	if !strings.Contains(body, "対策項目 "+second+" の回答は") || !strings.Contains(body, "(版 0 → 1)") || strings.Contains(body, "no value") {
		t.Errorf("the conflict message lacks its details:\n%.5000s", body)
	}

	// Submitting an incomplete assessment lists every gap.
	status, _, body = post(t, op, w.url(w.toto, "/submit"), nil)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="submit-problems"`) {
		t.Fatalf("incomplete submit: %d", status)
	}
	if n := strings.Count(body, "<li><a href=\"/assessments/"); n < 5 {
		t.Errorf("only %d gaps listed", n)
	}

	// Answer everything, section by section, and submit.
	for _, s := range w.sections {
		form := url.Values{}
		for _, r := range w.refsBySection[s] {
			for k, v := range implemented(r, currentVersion(t, w, r)) {
				form[k] = v
			}
		}
		if status, _, body := post(t, op, w.url(w.toto, "/sections/"+s), form); status != http.StatusSeeOther {
			t.Fatalf("saving section %s: %d\n%.2000s", s, status, body)
		}
	}
	// Complete, but not confirmed by the internal check: refused, saying why.
	status, _, body = post(t, op, w.url(w.toto, "/submit"), nil)
	if status != http.StatusConflict || !strings.Contains(body, `id="refused">社内確認済みになっていないため、提出できません。`) {
		t.Fatalf("unconfirmed submit: %d\n%.2000s", status, body)
	}
	admin := w.env.SignIn(t, "toto-admin")
	if status, loc, body := post(t, admin, w.url(w.toto, "/signoff"), url.Values{"decision": {"confirmed"}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=confirmed") {
		t.Fatalf("internal check: %d %q\n%.2000s", status, loc, body)
	}
	if status, loc, body := post(t, op, w.url(w.toto, "/submit"), nil); status != http.StatusSeeOther || !strings.Contains(loc, "done=submitted") {
		t.Fatalf("submit: %d %q\n%.2000s", status, loc, body)
	}
	// Submitted answers are locked: the page offers no form to change them.
	_, body = w.env.Get(t, op, fmt.Sprintf("/assessments/%d/sections/%s", w.toto, first))
	if strings.Contains(body, "data-autosave") {
		t.Error("a submitted assessment still offers autosave")
	}

	// A return without any reason comes back on the assessment's page,
	// with the reason next to the note; a note too long keeps what was
	// typed and says how long it may be.
	meti := w.env.SignIn(t, "meti-staff")
	status, _, body = post(t, meti, w.url(w.toto, "/review"), url.Values{"decision": {"return"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `aria-describedby="review-note-error"`) ||
		!strings.Contains(body, `id="review-note-error">差戻しの理由又は回答へのコメントを入力してください。`) {
		t.Fatalf("return without a reason: %d\n%.3000s", status, body)
	}
	long := strings.Repeat("長", 5001)
	status, _, body = post(t, meti, w.url(w.toto, "/review"), url.Values{"decision": {"accept"}, "note": {long}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, long+"</textarea>") || !strings.Contains(body, "5000文字以内") {
		t.Fatalf("accept with a note too long: %d", status)
	}
	// A comment too long comes back in its field, with the limit next to it.
	status, _, body = post(t, meti, w.url(w.toto, "/sections/"+first), url.Values{"comment": {ref}, "comment-" + ref: {long}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, long+"</textarea>") ||
		!strings.Contains(body, `id="err-comment-`+ref+`">コメントは5000文字以内で入力してください。`) {
		t.Fatalf("a comment too long: %d", status)
	}
	// The ministry comments on one answer and returns the assessment
	// without an overall note: the comment is the reason.
	status, _, _ = post(t, meti, w.url(w.toto, "/sections/"+first), url.Values{"comment": {ref}, "comment-" + ref: {"証跡として手順書の写しを添付してください。"}})
	if status != http.StatusSeeOther {
		t.Fatalf("ministry comment: %d", status)
	}
	// FSA does not oversee electricity: neither review nor comment.
	fsa := w.env.SignIn(t, "fsa-staff")
	if status, _, _ := post(t, fsa, w.url(w.toto, "/review"), url.Values{"decision": {"return"}, "note": {"x"}}); status != http.StatusNotFound {
		t.Fatalf("FSA reviewing a METI sector: %d, want 404", status)
	}
	if status, loc, body := post(t, meti, w.url(w.toto, "/review"), url.Values{"decision": {"return"}, "note": {""}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=return") {
		t.Fatalf("return with a comment on an answer only: %d %q\n%.3000s", status, loc, body)
	}

	// The operator sees the comment and the returned status, can answer
	// again, and resubmits; the ministry accepts.
	_, body = w.env.Get(t, op, fmt.Sprintf("/assessments/%d", w.toto))
	if !strings.Contains(body, "証跡として手順書の写しを添付してください。") || !strings.Contains(body, "差戻し") {
		t.Fatalf("operator does not see the comment or the returned status:\n%.3000s", body)
	}
	// The return voided the confirmation: a new internal check first.
	if status, _, _ := post(t, op, w.url(w.toto, "/submit"), nil); status != http.StatusConflict {
		t.Fatalf("resubmit without a new internal check: %d, want 409", status)
	}
	if status, _, body := post(t, admin, w.url(w.toto, "/signoff"), url.Values{"decision": {"confirmed"}}); status != http.StatusSeeOther {
		t.Fatalf("internal check again: %d\n%.2000s", status, body)
	}
	if status, _, body := post(t, op, w.url(w.toto, "/submit"), nil); status != http.StatusSeeOther {
		t.Fatalf("resubmit: %d\n%.2000s", status, body)
	}
	if status, loc, _ := post(t, meti, w.url(w.toto, "/review"), url.Values{"decision": {"accept"}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=accept") {
		t.Fatalf("accept: %d %q", status, loc)
	}
	_, body = w.env.Get(t, op, fmt.Sprintf("/assessments/%d", w.toto))
	if !strings.Contains(body, "受理") || !strings.Contains(body, "100.0%") {
		t.Errorf("accepted assessment shows no status or score")
	}
	var events int
	if err := w.env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_events
		WHERE action IN ('assessment.submit', 'assessment.resubmit', 'assessment.return', 'assessment.accept')`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 4 {
		t.Errorf("%d status events audited, want 4", events)
	}
}

// autosave posts one answer as the page's script does; it returns the
// status and the version in the reply.
func autosave(t *testing.T, c *http.Client, u string, form url.Values) (int, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply struct{ Version int }
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, reply.Version
}

// TestAutosaveAsksThePolicy: the autosave asks the policy on the
// assessment's tenant as the save reads it: another operator's user is
// turned away, and after a sector move the save happens in the new sector.
func TestAutosaveAsksThePolicy(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	op := w.env.SignIn(t, "toto-staff")
	ref := w.refsBySection[w.sections[0]][0]
	u := w.url(w.toto, "/answers/"+ref)
	if status, v := autosave(t, op, u, implemented(ref, 0)); status != http.StatusOK || v != 1 {
		t.Fatalf("first autosave: %d, version %d", status, v)
	}
	if status, _ := autosave(t, w.env.SignIn(t, "kitahama-staff"), u, implemented(ref, 1)); status != http.StatusNotFound {
		t.Fatalf("another operator's autosave: %d, want 404", status)
	}
	if _, err := w.env.DB.Owner.Exec(context.Background(), `UPDATE operators SET sector_code = 'gas' WHERE id = $1`, w.totoOp); err != nil {
		t.Fatal(err)
	}
	if status, v := autosave(t, op, u, implemented(ref, 1)); status != http.StatusOK || v != 2 {
		t.Fatalf("autosave after the sector move: %d, version %d", status, v)
	}
	var sector string
	if err := w.env.DB.Owner.QueryRow(context.Background(), `SELECT sector_code FROM audit_events
		WHERE action = 'assessment.answer.save' AND object_id = $1 ORDER BY id DESC LIMIT 1`, fmt.Sprintf("%d/%s", w.toto, ref)).Scan(&sector); err != nil || sector != "gas" {
		t.Fatalf("the save after the move was audited in sector %q (%v), want gas", sector, err)
	}
}

// TestRevokedGrantEndsOnTheNextRequest: nothing of a session's principal
// outlives the request that read it. A grant revoked while the session
// is in use stops working on the session's very next request, an
// autosave as much as any page, and nothing is saved.
func TestRevokedGrantEndsOnTheNextRequest(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	ctx := context.Background()
	op := w.env.SignIn(t, "toto-staff")
	ref := w.refsBySection[w.sections[0]][0]
	u := w.url(w.toto, "/answers/"+ref)
	for v := range 2 {
		if status, got := autosave(t, op, u, implemented(ref, v)); status != http.StatusOK || got != v+1 {
			t.Fatalf("autosave %d: %d, version %d", v+1, status, got)
		}
	}
	if _, err := w.env.DB.Owner.Exec(ctx, `UPDATE role_grants SET revoked_at = now()
		WHERE user_id = (SELECT user_id FROM identities WHERE subject = 'toto-staff')`); err != nil {
		t.Fatal(err)
	}
	if status, loc, _ := post(t, op, u, implemented(ref, 2)); status != http.StatusSeeOther || loc != "/pending" {
		t.Errorf("autosave after the revocation: %d to %q, want the access-pending page", status, loc)
	}
	if v := currentVersion(t, w, ref); v != 2 {
		t.Errorf("the autosave after the revocation saved: version %d", v)
	}
	if status, _ := w.env.Get(t, op, fmt.Sprintf("/assessments/%d", w.toto)); status == http.StatusOK {
		t.Error("the assessment page was served after the revocation")
	}
}

// TestDeletedSessionSignsOut: a session whose row is gone (signed out on
// another instance, or expired and cleaned up) signs the very next
// request out: the autosave is refused and saves nothing.
func TestDeletedSessionSignsOut(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	op := w.env.SignIn(t, "toto-staff")
	ref := w.refsBySection[w.sections[0]][0]
	u := w.url(w.toto, "/answers/"+ref)
	if status, got := autosave(t, op, u, implemented(ref, 0)); status != http.StatusOK || got != 1 {
		t.Fatalf("autosave: %d, version %d", status, got)
	}
	if _, err := w.env.DB.Owner.Exec(context.Background(), `DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := post(t, op, u, implemented(ref, 1)); status != http.StatusUnauthorized {
		t.Errorf("autosave on the deleted session: %d, want 401", status)
	}
	if v := currentVersion(t, w, ref); v != 1 {
		t.Errorf("the autosave on the deleted session saved: version %d", v)
	}
	if status, _ := w.env.Get(t, op, fmt.Sprintf("/assessments/%d", w.toto)); status == http.StatusOK {
		t.Error("the assessment page was served on the deleted session")
	}
}

func currentVersion(t *testing.T, w *asmWorld, ref string) int {
	t.Helper()
	var v int
	err := w.env.DB.Owner.QueryRow(context.Background(), `SELECT coalesce((SELECT version FROM answers WHERE assessment_id = $1 AND ref = $2), 0)`, w.toto, ref).Scan(&v)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEvidenceUploadAndDownload(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	op := w.env.SignIn(t, "toto-staff")
	section := w.sections[0]
	ref := w.refsBySection[section][0]
	upload := func(name string, data []byte) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("upload", ref)
		fw, _ := mw.CreateFormFile("evidence-"+ref, name)
		_, _ = fw.Write(data)
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, w.url(w.toto, "/sections/"+section), &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := op.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readAll(resp)
	}
	pdf := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	if status, body := upload("手順書.pdf", pdf); status != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%.2000s", status, body)
	}
	// A program renamed to .pdf is refused with a message that names the
	// file, next to the file field, and the form comes back.
	if status, body := upload("report.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 200)...)); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `<p class="error" id="err-evidence-`+ref+`">ファイル report.pdf は`) ||
		!strings.Contains(body, `aria-describedby="evidence-hint-`+ref+` err-evidence-`+ref+`"`) || strings.Contains(body, "no value") {
		t.Fatalf("disguised file: %d\n%s", status, body)
	}
	_, body := w.env.Get(t, op, fmt.Sprintf("/assessments/%d/sections/%s", w.toto, section))
	m := regexp.MustCompile(`href="/evidence/(\d+)">手順書.pdf`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("uploaded evidence not listed")
	}
	resp, err := op.Get(w.env.HTTP.URL + "/evidence/" + m[1])
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(resp)
	if resp.StatusCode != http.StatusOK || got != string(pdf) || resp.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	// The overseeing ministry may read it; another operator and another
	// ministry get 404.
	for who, want := range map[string]int{"meti-staff": 200, "kakehashi-staff": 404, "fsa-staff": 404} {
		if status, _ := w.env.Get(t, w.env.SignIn(t, who), "/evidence/"+m[1]); status != want {
			t.Errorf("%s downloading toto's evidence: %d, want %d", who, status, want)
		}
	}
}

// TestEvidenceTempFilesRemoved: a file over the 1 MB kept in memory is
// spooled to the temporary directory, which is empty again after the
// request whether the file was stored, refused, or over the limit. Not
// parallel: it points TMPDIR at a directory of its own.
func TestEvidenceTempFilesRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	w := newAsmWorld(t)
	op := w.env.SignIn(t, "toto-staff")
	section := w.sections[0]
	ref := w.refsBySection[section][0]
	pad := func(head string, n int) []byte {
		return append([]byte(head), bytes.Repeat([]byte("%\n"), n/2)...)
	}
	cases := []struct {
		name string
		data []byte
		want int
	}{
		{"stored.pdf", pad("%PDF-1.7\n", 2<<20), http.StatusSeeOther},
		{"disguised.pdf", pad("MZ\x90\x00\x03\x00\x00\x00", 2<<20), http.StatusUnprocessableEntity},
		{"huge.pdf", pad("%PDF-1.7\n", 21<<20), http.StatusUnprocessableEntity},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("upload", ref)
		fw, _ := mw.CreateFormFile("evidence-"+ref, c.name)
		_, _ = fw.Write(c.data)
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, w.url(w.toto, "/sections/"+section), &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := op.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(resp); resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d\n%.500s", c.name, resp.StatusCode, c.want, body)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("%s: %d files left in the temporary directory: %v", c.name, len(left), left[0].Name())
		}
	}
}

func TestOpenCycleForm(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	published, _ := catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	status, _, body := post(t, nco, env.HTTP.URL+"/cycles", url.Values{"fiscal_year": {"2028"}, "catalog": {fmt.Sprint(published)},
		"opens_on": {"2028-04-01"}, "due_on": {"2028-03-01"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `value="2028-03-01"`) || !strings.Contains(body, "提出期限は開始日より後") {
		t.Fatalf("bad dates: %d, want 422 with the typed date and a message", status)
	}
	status, loc, _ := post(t, nco, env.HTTP.URL+"/cycles", url.Values{"fiscal_year": {"2028"}, "catalog": {fmt.Sprint(published)},
		"opens_on": {"2028-04-01"}, "due_on": {"2028-09-30"}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "opened=4") {
		t.Fatalf("open: %d %q, want 4 assessments (the demo operators)", status, loc)
	}
	status, _, body = post(t, nco, env.HTTP.URL+"/cycles", url.Values{"fiscal_year": {"2028"}, "catalog": {fmt.Sprint(published)},
		"opens_on": {"2028-04-01"}, "due_on": {"2028-09-30"}})
	if status == http.StatusSeeOther {
		t.Fatalf("a second open cycle for one fiscal year was accepted:\n%.1000s", body)
	}
}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		t, env := fx.t, fx.env
		// A small catalog of its own: the catalog cases publish the baseline.
		asms := xlOpenCycle(t, env, xlSmallCatalog(t, env, "asm-matrix"), 2031)
		toto, kita, bank := asms[fx.ids["2010401000001"]], asms[fx.ids["1010401000002"]], asms[fx.ids["4010001000003"]]
		pairs := map[string][2]int64{
			"meti-admin": {toto, bank}, "meti-staff": {toto, bank}, "fsa-staff": {bank, toto},
			"toto-admin": {toto, kita}, "toto-staff": {toto, kita}, "toto-reviewer": {toto, kita}, "nco-admin": {toto, bank}, "nco-analyst": {toto, bank},
		}
		var section string
		if err := env.DB.Owner.QueryRow(context.Background(), `SELECT section_code FROM assessment_controls WHERE assessment_id = $1 ORDER BY sort_order LIMIT 1`, toto).Scan(&section); err != nil {
			t.Fatal(err)
		}
		operators := []string{"toto-admin", "toto-staff", "toto-reviewer"}
		refs := []string{"GV-01", "GV-02", "PR-01", "PR-02", "DE-01"}
		calls := 0
		ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
		viewers := append(append(append([]string{}, ncos...), ministries...), operators...)
		return map[string]routeCase{
			"GET /cycles":           {fixed("/cycles"), allow("GET", 200, []string{"nco-admin"}, []string{"nco-admin"})},
			"POST /cycles":          {fixed("/cycles"), allow("POST", 422, []string{"nco-admin"}, []string{"nco-admin"})}, // empty form
			"GET /assessments":      {fixed("/assessments"), allow("GET", 200, viewers, viewers)},
			"GET /assessments/{id}": {byID("/assessments/", pairs, ""), allow("GET", 200, viewers, ncos)},
			"GET /assessments/{id}/sections/{section}": {byID("/assessments/", pairs, "/sections/"+section), allow("GET", 200, viewers, ncos)},
			// An empty form saves nothing and comes back to the page.
			"POST /assessments/{id}/sections/{section}": {byID("/assessments/", pairs, "/sections/"+section), allow("POST", 303, viewers, ncos)},
			// An empty draft answer saves; each request takes another
			// control, so that none conflicts with an earlier one.
			"POST /assessments/{id}/answers/{ref}": {func(role string, own bool) string {
				calls++
				return byID("/assessments/", pairs, "/answers/"+refs[calls%len(refs)])(role, own)
			}, allow("POST", 200, operators, nil)},
			// Nothing to carry forward: the first cycle.
			"POST /assessments/{id}/carry-forward": {byID("/assessments/", pairs, "/carry-forward"), allow("POST", 422, operators, nil)},
			"POST /assessments/{id}/submit":        {byID("/assessments/", pairs, "/submit"), allow("POST", 422, operators, nil)},  // incomplete
			"POST /assessments/{id}/review":        {byID("/assessments/", pairs, "/review"), allow("POST", 422, ministries, nil)}, // not submitted
			"POST /assessments/{id}/extend":        {byID("/assessments/", pairs, "/extend"), allow("POST", 422, ministries, nil)}, // no date
			"GET /evidence/{id}": {func(role string, own bool) string {
				pair, ok := pairs[role]
				if !ok {
					pair = pairs["meti-admin"]
				}
				id := pair[1]
				if own {
					id = pair[0]
				}
				var ev int64
				if err := env.DB.Owner.QueryRow(context.Background(), `INSERT INTO evidence (assessment_id, ref, operator_id, sector_code, file_name, content_type, size, sha256, bytes)
					SELECT a.id, c.ref, a.operator_id, a.sector_code, 'x.txt', 'text/plain; charset=utf-8', 2, sha256('ok'), 'ok'
					FROM assessments a JOIN assessment_controls c ON c.assessment_id = a.id WHERE a.id = $1 LIMIT 1 RETURNING id`, id).Scan(&ev); err != nil {
					t.Fatal(err)
				}
				return fmt.Sprintf("/evidence/%d", ev)
			}, allow("GET", 200, viewers, ncos)},
		}
	})
}

// TestConfirmSectionInOneAction: the section page confirms every carried
// answer of the section with one button, at the versions the page showed:
// an answer changed since stays marked and is named on the page.
func TestConfirmSectionInOneAction(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	op := w.env.SignIn(t, "toto-staff")
	section := w.sections[0]
	refs := w.refsBySection[section]
	if len(refs) < 2 {
		t.Fatalf("section %s has %d controls; the test needs two", section, len(refs))
	}
	form := url.Values{}
	for _, ref := range refs {
		for k, v := range implemented(ref, 0) {
			form[k] = v
		}
	}
	if status, _, body := post(t, op, w.url(w.toto, "/sections/"+section), form); status != http.StatusSeeOther {
		t.Fatalf("saving the section: %d\n%.2000s", status, body)
	}
	// As carried forward from last year (what CarryForward writes).
	if _, err := w.env.DB.Owner.Exec(context.Background(), `UPDATE answers SET carried_forward = true WHERE assessment_id = $1`, w.toto); err != nil {
		t.Fatal(err)
	}
	_, body := w.env.Get(t, op, fmt.Sprintf("/assessments/%d/sections/%s", w.toto, section))
	if !strings.Contains(body, `id="confirm-all"`) || !strings.Contains(body, fmt.Sprintf("確認していない回答が%d件", len(refs))) {
		t.Fatalf("the section page offers no confirmation of its %d carried answers", len(refs))
	}
	// The page as it was shown, but the first answer changed meanwhile.
	form = url.Values{"confirm_all": {section}}
	for _, ref := range refs {
		for k, v := range implemented(ref, currentVersion(t, w, ref)) {
			form[k] = v
		}
	}
	if _, err := w.env.DB.Owner.Exec(context.Background(), `UPDATE answers SET version = version + 1 WHERE assessment_id = $1 AND ref = $2`, w.toto, refs[0]); err != nil {
		t.Fatal(err)
	}
	status, _, body := post(t, op, w.url(w.toto, "/sections/"+section), form)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="note-`+refs[0]+`">この回答は画面を開いた後に変更されたため`) {
		t.Fatalf("confirming with one answer changed: %d\n%.3000s", status, body)
	}
	var marked []string
	rows, err := w.env.DB.Owner.Query(context.Background(), `SELECT ref FROM answers WHERE assessment_id = $1 AND carried_forward ORDER BY ref`, w.toto)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ref string
		_ = rows.Scan(&ref)
		marked = append(marked, ref)
	}
	rows.Close()
	if len(marked) != 1 || marked[0] != refs[0] {
		t.Errorf("still marked %v, want only %s", marked, refs[0])
	}
	var events int
	if err := w.env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'assessment.answer.confirm'`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 1 {
		t.Errorf("%d confirm events, want one for the whole section", events)
	}
}
