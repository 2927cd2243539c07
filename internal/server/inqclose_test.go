//go:build dev

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// homeWaiting reads the home page's count of inquiries waiting for the
// reader's answer (0 when the line is absent).
func homeWaiting(t *testing.T, env *servertest.Env, c *http.Client) int {
	t.Helper()
	_, body := env.Get(t, c, "/")
	m := regexp.MustCompile(`回答を待っている問い合わせが(\d+)件`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestInquiryClosedAndReopened: only the ministry asked (the NCO once
// escalated) closes a thread, with a last message; the operator is told;
// the lists filter open and closed; the home page counts only open
// threads the operator wrote last; the operator's message reopens it.
func TestInquiryClosedAndReopened(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := map[string]*http.Client{}
	for _, who := range bulletinWho {
		c[who] = env.SignIn(t, who)
	}
	before := homeWaiting(t, env, c["meti-staff"])
	status, loc, body := postForm(t, env, c["toto-staff"], "/inquiries", url.Values{"ministry": {"METI"},
		"subject": {"解決テストの件名"}, "body": {"ログの保存期間を教えてください。"}})
	mustStatus(t, "ask", status, http.StatusSeeOther, body)
	path := strings.Split(loc, "?")[0]
	if got := homeWaiting(t, env, c["meti-staff"]); got != before+1 {
		t.Errorf("METI's home: %d waiting, want %d", got, before+1)
	}
	_, page := env.Get(t, c["meti-staff"], path)
	if !strings.Contains(page, `id="close"`) {
		t.Errorf("METI is not offered to close\n%.3000s", page)
	}
	if _, page := env.Get(t, c["toto-staff"], path); strings.Contains(page, `id="close"`) {
		t.Error("the operator is offered to close")
	}
	for _, who := range []string{"toto-staff", "fsa-staff", "nco-admin"} {
		mustStatus(t, who+" closes", first(postForm(t, env, c[who], path+"/close", nil)), 404, "")
	}
	// A last message too long: refused, kept.
	long := strings.Repeat("あ", 10001)
	status, _, body = postForm(t, env, c["meti-staff"], path+"/close", url.Values{"body": {long}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, long) || !strings.Contains(body, "10,000文字以内") {
		t.Fatalf("a long last message: %d\n%.1000s", status, body)
	}
	status, loc, body = postForm(t, env, c["meti-staff"], path+"/close", url.Values{"body": {"保存期間は1年です。これで解決済みとします。"}})
	mustStatus(t, "METI closes", status, http.StatusSeeOther, body)
	if !strings.Contains(loc, "done=closed") {
		t.Errorf("closed: redirected to %s", loc)
	}
	mustStatus(t, "a second close changes nothing", first(postForm(t, env, c["meti-staff"], path+"/close", nil)), 303, "")
	_, page = env.Get(t, c["toto-staff"], path)
	if !strings.Contains(page, "保存期間は1年です") || !strings.Contains(page, "解決済み（所管省庁") || !strings.Contains(page, `id="reopen-lead"`) {
		t.Errorf("the operator's closed thread\n%.4000s", page)
	}
	if got := homeWaiting(t, env, c["meti-staff"]); got != before {
		t.Errorf("METI's home after closing: %d waiting, want %d", got, before)
	}
	// The lists: open by default, closed and all on request.
	list := func(q string) string {
		_, b := env.Get(t, c["toto-staff"], "/inquiries"+q)
		return b
	}
	if strings.Contains(list(""), path+`"`) || !strings.Contains(list("?status=closed"), path+`"`) ||
		!strings.Contains(list("?status=all"), path+`"`) || strings.Contains(list("?status=open"), path+`"`) {
		t.Error("the lists do not filter a closed inquiry by status")
	}
	// The operator writes again: open again, waiting for METI.
	status, loc, body = postForm(t, env, c["toto-staff"], path+"/messages", url.Values{"body": {"追加で質問があります。"}})
	mustStatus(t, "the operator writes", status, http.StatusSeeOther, body)
	if !strings.Contains(loc, "done=reopened") {
		t.Errorf("reopened: redirected to %s", loc)
	}
	if got := homeWaiting(t, env, c["meti-staff"]); got != before+1 {
		t.Errorf("METI's home after reopening: %d waiting, want %d", got, before+1)
	}
	if !strings.Contains(list(""), path+`"`) {
		t.Error("the reopened inquiry is not in the open list")
	}
	// Escalated, the NCO closes it.
	mustStatus(t, "METI escalates", first(postForm(t, env, c["meti-admin"], path+"/escalate", nil)), 303, "")
	mustStatus(t, "the NCO closes", first(postForm(t, env, c["nco-analyst"], path+"/close", nil)), 303, "")
	if _, page := env.Get(t, c["toto-admin"], path); !strings.Contains(page, "解決済み（国家サイバー統括室") {
		t.Errorf("closed by the NCO\n%.4000s", page)
	}
	got := countNotices(t, env)
	if got["toto-staff:inquiry.closed"] != 2 || got["toto-admin:inquiry.closed"] != 2 || got["meti-staff:inquiry.closed"] != 0 {
		t.Errorf("closure notices: %v", got)
	}
	var closes, reopens int
	env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE action = 'inquiry.close'),
		count(*) FILTER (WHERE action = 'inquiry.reopen') FROM audit_events WHERE object_type = 'inquiry' AND object_id = $1`,
		strings.TrimPrefix(path, "/inquiries/")).Scan(&closes, &reopens)
	if closes != 2 || reopens != 1 {
		t.Errorf("audited %d closures and %d reopenings, want 2 and 1", closes, reopens)
	}
}

// TestFAQWithdrawnAndCorrected: the publishing ministry corrects an entry
// (the readers see the new text only; the publisher both, the old one
// marked) and withdraws one with a reason (gone for readers, marked for
// the publisher); another ministry and an operator cannot.
func TestFAQWithdrawnAndCorrected(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := map[string]*http.Client{}
	for _, who := range bulletinWho {
		c[who] = env.SignIn(t, who)
	}
	status, _, body := postForm(t, env, c["meti-staff"], "/faq", url.Values{"question": {"ログは何年保存しますか。"},
		"answer": {"旧い回答：半年です。"}, "sectors": {"electricity"}})
	mustStatus(t, "publish", status, http.StatusSeeOther, body)
	var old int64
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM faqs WHERE answer = '旧い回答：半年です。'`).Scan(&old); err != nil {
		t.Fatal(err)
	}
	oldPath := fmt.Sprintf("/faq/%d/withdraw", old)
	mustStatus(t, "FSA withdraws", first(postForm(t, env, c["fsa-staff"], oldPath, url.Values{"reason": {"x"}})), 404, "")
	mustStatus(t, "an operator withdraws", first(postForm(t, env, c["toto-staff"], oldPath, url.Values{"reason": {"x"}})), 404, "")
	if status, _ := env.Get(t, c["fsa-staff"], fmt.Sprintf("/faq?correct=%d", old)); status != 404 {
		t.Errorf("FSA opens the correction form: %d", status)
	}
	status, _, body = postForm(t, env, c["meti-staff"], oldPath, url.Values{"reason": {"  "}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "取り下げる理由を入力してください") {
		t.Fatalf("no reason: %d\n%.1000s", status, body)
	}
	// Correct it: the form starts from the entry.
	_, form := env.Get(t, c["meti-staff"], fmt.Sprintf("/faq?correct=%d", old))
	if !strings.Contains(form, `name="corrects" value="`+strconv.FormatInt(old, 10)+`"`) || !strings.Contains(form, "旧い回答：半年です。") {
		t.Fatalf("the correction form\n%.4000s", form)
	}
	status, _, body = postForm(t, env, c["meti-staff"], "/faq", url.Values{"question": {"ログは何年保存しますか。"},
		"answer": {"新しい回答：1年です。"}, "sectors": {"electricity"}, "corrects": {strconv.FormatInt(old, 10)}})
	mustStatus(t, "correct", status, http.StatusSeeOther, body)
	_, reader := env.Get(t, c["kitahama-admin"], "/faq")
	if !strings.Contains(reader, "新しい回答：1年です。") || strings.Contains(reader, "旧い回答") {
		t.Errorf("the reader's FAQ after the correction\n%.4000s", reader)
	}
	_, mine := env.Get(t, c["meti-staff"], "/faq")
	if !strings.Contains(mine, "旧い回答") || !strings.Contains(mine, fmt.Sprintf(`id="faq-corrected-%d"`, old)) {
		t.Errorf("the publisher's FAQ lacks the corrected entry, marked\n%.4000s", mine)
	}
	// A corrected entry is not corrected again.
	status, _, body = postForm(t, env, c["meti-staff"], "/faq", url.Values{"question": {"q"}, "answer": {"a"}, "sectors": {"electricity"},
		"corrects": {strconv.FormatInt(old, 10)}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "訂正できません") {
		t.Errorf("correcting twice: %d\n%.1000s", status, body)
	}
	// Withdraw the new one.
	var cur int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM faqs WHERE corrects = $1`, old).Scan(&cur)
	status, loc, body := postForm(t, env, c["meti-staff"], fmt.Sprintf("/faq/%d/withdraw", cur), url.Values{"reason": {"制度改正で不要になりました。"}})
	mustStatus(t, "withdraw", status, http.StatusSeeOther, body)
	if !strings.Contains(loc, "done=withdrawn") {
		t.Errorf("withdrawn: redirected to %s", loc)
	}
	if _, reader := env.Get(t, c["kitahama-admin"], "/faq"); strings.Contains(reader, "新しい回答") {
		t.Error("the reader still sees the withdrawn entry")
	}
	for _, who := range []string{"meti-staff", "nco-admin"} {
		if _, page := env.Get(t, c[who], "/faq"); !strings.Contains(page, fmt.Sprintf(`id="faq-withdrawn-%d"`, cur)) ||
			!strings.Contains(page, "制度改正で不要になりました。") {
			t.Errorf("%s does not see the withdrawn entry marked", who)
		}
	}
	var audited int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'faq.withdraw' AND object_id = $1`, fmt.Sprint(cur)).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d withdrawals audited, want 1", audited)
	}
}

// TestAPIInquiryCloseAndFAQWithdraw: the API closes an inquiry through
// the page's path (the ministry with a last message; the operator and
// another ministry not found), filters by status= (a bad one is 422) and
// reopens on a message; it withdraws an FAQ entry, which leaves the list.
func TestAPIInquiryCloseAndFAQWithdraw(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := newContract(t, env)
	var toto int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	meti := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0)}
	fsa := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "FSA", 0)}
	op := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorStaff, "", toto)}

	resp, body := op.do("POST", "/api/v1/inquiries", map[string]any{"ministry": "METI", "subject": "解決API", "body": "質問です。"})
	id := int64(want(t, resp, body, 201)["id"].(float64))
	path := fmt.Sprintf("/api/v1/inquiries/%d", id)
	for _, who := range []apiCaller{op, fsa} {
		resp, body = who.do("POST", path+"/close", nil)
		want(t, resp, body, 404)
	}
	resp, body = meti.do("POST", path+"/close", map[string]any{"body": strings.Repeat("あ", 10001)})
	if got := fieldCodes(want(t, resp, body, 422)); got["body"] != "inquiry.error.body_long" {
		t.Errorf("a long last message: %v", got)
	}
	for range 2 { // the second changes nothing
		resp, body = meti.do("POST", path+"/close", map[string]any{"body": "回答済みのため解決済みとします。"})
		q := want(t, resp, body, 200)
		if q["status"] != "closed" || q["closed_side"] != "ministry" || len(q["messages"].([]any)) != 2 {
			t.Fatalf("closed: %s", body)
		}
	}
	count := func(query string) int {
		resp, body := op.do("GET", "/api/v1/inquiries"+query, nil)
		return len(want(t, resp, body, 200)["items"].([]any))
	}
	if count("") != 0 || count("?status=open") != 0 || count("?status=closed") != 1 || count("?status=all") != 1 {
		t.Errorf("status filter: default %d, open %d, closed %d, all %d", count(""), count("?status=open"), count("?status=closed"), count("?status=all"))
	}
	resp, body = op.do("GET", "/api/v1/inquiries?status=done", nil)
	if got := fieldCodes(want(t, resp, body, 422)); got["status"] != "api.error.bad_query" {
		t.Errorf("a bad status: %v", got)
	}
	resp, body = op.do("POST", path+"/messages", map[string]any{"body": "もう一点あります。"})
	if q := want(t, resp, body, 201); q["status"] != "open" || q["closed_at"] != nil {
		t.Errorf("the operator's message did not reopen it: %s", body)
	}

	// FAQ: METI's entry for electricity, withdrawn by METI only.
	var author, faq int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM users ORDER BY id LIMIT 1`).Scan(&author)
	if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO faqs (ministry_code, sectors, question, answer, published_by)
		VALUES ('METI', ARRAY['electricity'], 'API取り下げ', 'A', $1) RETURNING id`, author).Scan(&faq); err != nil {
		t.Fatal(err)
	}
	listed := func() bool {
		resp, body := op.do("GET", "/api/v1/faq", nil)
		return strings.Contains(string(body), "API取り下げ") && resp.StatusCode == 200
	}
	if !listed() {
		t.Fatal("the entry is not listed")
	}
	wpath := fmt.Sprintf("/api/v1/faq/%d/withdraw", faq)
	resp, body = fsa.do("POST", wpath, map[string]any{"reason": "x"})
	want(t, resp, body, 404)
	resp, body = meti.do("POST", wpath, map[string]any{"reason": " "})
	if got := fieldCodes(want(t, resp, body, 422)); got["reason"] != "faq.error.reason_required" {
		t.Errorf("no reason: %v", got)
	}
	for range 2 {
		resp, body = meti.do("POST", wpath, map[string]any{"reason": "誤りがありました。"})
		want(t, resp, body, 204)
	}
	if listed() {
		t.Error("a withdrawn entry is still listed")
	}
}
