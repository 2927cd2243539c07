//go:build dev

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// An import row whose name is longer than the register holds is shown as
// bad in the preview, with the limit, and confirm writes only the good row.
func TestRegisterImportPreviewRefusesLongName(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	good, long := corpNum(t, "900000000051"), corpNum(t, "900000000052")
	text := "法人番号,名称,分野,事業の範囲,指定区分,指定日,指定理由\r\n" +
		good + ",長名試験電力株式会社,電力,一般送配電事業,重要インフラ事業者,2026-04-01,\r\n" +
		long + "," + strings.Repeat("長", 1000) + ",電力,一般送配電事業,重要インフラ事業者,2026-04-01,\r\n" +
		corpNum(t, "900000000053") + ",向き反転電力,電力,一般送配電事業,重要インフラ事業者,2026-04-01,理由\u202Eexe.txt\r\n"
	before := e.id(`SELECT count(*) FROM operators`)
	status, body := regUpload(t, e.Env, c, "long.csv", []byte(text))
	wantStatus(t, "preview", status, 200, body)
	wantIn(t, "preview", body, "新規登録 1件、更新 0件、誤りのため取り込まない行 2件", `id="line-3"`,
		"名称は200文字以内で入力してください", `id="line-4"`, "制御文字や文字の向きを変える文字")
	m := tokenField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no confirm token in the preview")
	}
	status, _, body = regPost(t, e.Env, c, "/operators/import/confirm", url.Values{"token": {m[1]}})
	wantStatus(t, "confirm", status, 303, body)
	if after := e.id(`SELECT count(*) FROM operators`); after != before+1 {
		t.Errorf("operators %d → %d, want one more", before, after)
	}
}

// U+202E and control characters in an operator's name or reason are
// refused next to the field, with everything typed kept; nothing is saved.
func TestOperatorFormRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	for _, name := range []string{"反転\u202Egpj.exe電力", "ベル\a電力", "エスケープ\x1b[31m電力"} {
		form := operatorForm(e, corpNum(t, "900000000061"), name)
		form.Set("reason", "理由\u2066です")
		status, _, body := regPost(t, e.Env, c, "/operators", form)
		wantStatus(t, "control characters "+name, status, 422, body)
		wantIn(t, "control characters "+name, body, "制御文字や文字の向きを変える文字", `href="#op-name_ja"`, `href="#op-reason"`,
			`value="Test Power"`, `value="2026-04-01"`)
		if n := e.id(`SELECT count(*) FROM operators WHERE name_ja = $1`, name); n != 0 {
			t.Errorf("operator %q saved", name)
		}
	}
	// Tabs and line breaks in the reason are text.
	form := operatorForm(e, corpNum(t, "900000000062"), "改行理由電力")
	form.Set("reason", "一行目\r\n二行目\tタブ")
	status, _, body := regPost(t, e.Env, c, "/operators", form)
	wantStatus(t, "line breaks", status, 303, body)
}

// A NUL byte or invalid UTF-8 in a form is refused with 400 and a message
// page in the user's language, before any handler sees it.
func TestFormRefusesInvalidText(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	for _, bad := range []string{"a\x00b", "\xff\xfe"} {
		form := operatorForm(e, corpNum(t, "900000000071"), bad)
		status, _, body := regPost(t, e.Env, c, "/operators", form)
		wantStatus(t, "invalid text", status, 400, body)
		wantIn(t, "invalid text", body, "送信された内容を読み取れません")
	}
	status, body := e.Get(t, c, "/operators?q=%00", "Accept-Language", "en")
	wantStatus(t, "NUL in query", status, 400, body)
	wantIn(t, "NUL in query", body, "What was sent cannot be read")
	if status, body := e.Get(t, c, "/assessments?cycle=99999999999999999999"); status != 404 {
		t.Errorf("cycle out of range: %d, want 404\n%.2000s", status, body)
	}
}

// U+202E and control characters in a KPI's or a milestone's label are
// refused next to that label, with the form kept; nothing is saved.
func TestPlanEditRefusesControlCharactersInLabels(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	meti := env.SignIn(t, "meti-staff")
	id := f.plan("METI", "electricity", "draft")
	var end int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT period_end FROM plans WHERE id = $1`, id).Scan(&end); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"edits": {"1"}, "title_ja": {"電力分野 実施計画"}, "period_end": {fmt.Sprint(end)}, "scope_mode": {"all"},
		"coverage_target": {"80"},
		"kpi_label_0":     {"反転\u202Egpj.exe"}, "kpi_metric_0": {"submitted"}, "kpi_target_0": {"90"}, "kpi_due_0": {"2031-03-31"},
		"milestone_label_0": {"ベル\a手順"}, "milestone_due_0": {"2031-03-31"}}
	status, _, body := postForm(t, env, meti, fmt.Sprintf("/plans/%d/edit", id), form)
	mustStatus(t, "control characters in labels", status, 422, body)
	for _, want := range []string{`id="err-kpi_0_label"`, `id="err-milestone_0_label"`, "制御文字や文字の向きを変える文字", `value="電力分野 実施計画"`, `value="2031-03-31"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused form lacks %q\n%.3000s", want, body)
		}
	}
	var kpis, milestones string
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT kpis::text, milestones::text FROM plan_versions WHERE plan_id = $1`, id).Scan(&kpis, &milestones); err != nil {
		t.Fatal(err)
	}
	if kpis != "[]" || milestones != "[]" {
		t.Errorf("saved: kpis %s, milestones %s", kpis, milestones)
	}
}

// U+202E and control characters in an invited address are refused next
// to it, with the form kept; no invitation is made.
func TestGrantFormRefusesControlCharactersInTheAddress(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.SignIn(t, "meti-admin")
	for _, email := range []string{"evil\u202Egpj@example.jp", "bell\a@example.jp"} {
		status, _, body := post(t, admin, env.HTTP.URL+"/grants",
			url.Values{"email": {email}, "role": {"ministry_staff"}, "ministry": {"METI"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="grant-email-error"`) ||
			!strings.Contains(body, "制御文字や文字の向きを変える文字") {
			t.Errorf("address %q: %d, want 422 with the message at the address\n%.3000s", email, status, body)
		}
		var n int
		if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM invitations WHERE email LIKE '%example.jp' AND (email LIKE 'evil%' OR email LIKE 'bell%')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("address %q: %d invitations made", email, n)
		}
	}
}

// U+202E and control characters in a withdrawal's reason are refused
// next to the reason, with the reason kept; the operator stays active.
func TestWithdrawRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	c := e.SignIn(t, "meti-staff")
	status, _, body := regPost(t, e.Env, c, "/operators", operatorForm(e, corpNum(t, "900000000081"), "撤回試験電力"))
	wantStatus(t, "create", status, 303, body)
	id := e.id(`SELECT id FROM operators WHERE name_ja = '撤回試験電力'`)
	for _, reason := range []string{"理由\u202Eexe", "理由\x1b[31m"} {
		status, _, body := regPost(t, e.Env, c, fmt.Sprintf("/operators/%d/withdraw", id), url.Values{"version": {"1"}, "reason": {reason}})
		wantStatus(t, "withdraw "+reason, status, 422, body)
		wantIn(t, "withdraw "+reason, body, `id="withdraw-reason-error"`, "制御文字や文字の向きを変える文字", "理由")
		if st := e.str(`SELECT status FROM operators WHERE id = $1`, id); st != "active" {
			t.Errorf("status after a refused withdrawal = %q", st)
		}
	}
}

// U+202E and control characters in a ministry's response to an evaluation
// are refused next to the response, with it kept; nothing is saved.
func TestEvaluationResponseRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	newPlanFix(t, env)
	nco, meti := env.SignIn(t, "nco-admin"), env.SignIn(t, "meti-staff")
	status, loc, body := postForm(t, env, nco, "/evaluations", url.Values{"target": {"METI/electricity"}, "fiscal_year": {"2027"},
		"findings": {"所見"}, "good_practices": {""}, "improvement_requests": {""}, "rating": {"B"}})
	mustStatus(t, "create evaluation", status, 303, body)
	mustStatus(t, "publish", first(postForm(t, env, nco, loc+"/publish", nil)), 303, "")
	for _, response := range []string{"回答\u202Eexe", "回答\x1b[31m"} {
		status, _, body = postForm(t, env, meti, loc+"/response", url.Values{"response": {response}})
		mustStatus(t, "response "+response, status, 422, body)
		if !strings.Contains(body, "制御文字や文字の向きを変える文字") || !strings.Contains(body, "回答") {
			t.Errorf("response %q: the message or the text is missing\n%.3000s", response, body)
		}
	}
	var n int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM plan_evaluations WHERE response <> ''`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d responses saved", n)
	}
}

// U+202E and control characters in a correction proposal's note are
// refused next to the note, with the rows kept; nothing is proposed.
func TestProposalNoteRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	toto := e.operator("2010401000001")
	admin := e.SignIn(t, "toto-admin")
	path := fmt.Sprintf("/operators/%d/corrections/contacts", toto)
	for _, note := range []string{"担当\u202Eexe", "担当\a交代"} {
		proposal := url.Values{"rows": {"1"}, "role_0": {"CSIRT"}, "name_0": {"東都 三郎"}, "email_0": {"csirt@toto-grid.example.jp"}, "note": {note}}
		status, _, body := regPost(t, e.Env, admin, path, proposal)
		wantStatus(t, "note "+note, status, 422, body)
		wantIn(t, "note "+note, body, `id="proposal-note-error"`, "制御文字や文字の向きを変える文字", `value="東都 三郎"`)
	}
	if n := e.id(`SELECT count(*) FROM operator_corrections WHERE operator_id = $1`, toto); n != 0 {
		t.Errorf("%d proposals recorded", n)
	}
}

// U+202E and control characters in the note of a decision on a proposal
// are refused next to that note, with it kept; the proposal stays pending.
func TestDecisionNoteRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	toto := e.operator("2010401000001")
	admin, ministry := e.SignIn(t, "toto-admin"), e.SignIn(t, "meti-staff")
	proposal := url.Values{"rows": {"1"}, "role_0": {"CSIRT"}, "name_0": {"東都 三郎"}, "email_0": {"csirt@toto-grid.example.jp"}, "note": {"担当交代"}}
	status, _, body := regPost(t, e.Env, admin, fmt.Sprintf("/operators/%d/corrections/contacts", toto), proposal)
	wantStatus(t, "proposal", status, 303, body)
	cid := e.id(`SELECT id FROM operator_corrections WHERE operator_id = $1 AND status = 'pending'`, toto)
	for _, note := range []string{"承認\u202Eexe", "承認\x1b[31m"} {
		status, _, body := regPost(t, e.Env, ministry, fmt.Sprintf("/operators/corrections/%d", cid), url.Values{"decision": {"accept"}, "note": {note}})
		wantStatus(t, "decision "+note, status, 422, body)
		wantIn(t, "decision "+note, body, fmt.Sprintf(`id="decision-note-%d-error"`, cid), "制御文字や文字の向きを変える文字", "承認")
		if st := e.str(`SELECT status FROM operator_corrections WHERE id = $1`, cid); st != "pending" {
			t.Errorf("status after a refused decision = %q", st)
		}
	}
}
