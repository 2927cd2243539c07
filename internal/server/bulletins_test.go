//go:build dev

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		m := newBulletinMatrix(fx, "")
		return map[string]routeCase{
			"GET /bulletins":                 {fixed("/bulletins"), allow("GET", 200, withGrant, withGrant)},
			"GET /bulletins/new":             {fixed("/bulletins/new"), allow("GET", 200, m.publishers, m.publishers)},
			"POST /bulletins":                {fixed("/bulletins"), allow("POST", 422, m.publishers, m.publishers)}, // empty form: refused with messages
			"GET /bulletins/{id}":            {byID("/bulletins/", m.bulletins, ""), allow("GET", 200, withGrant, ncos)},
			"POST /bulletins/{id}/ack":       {byID("/bulletins/", m.bulletins, "/ack"), allow("POST", 303, m.operators, nil)},
			"GET /bulletins/{id}/report.csv": {byID("/bulletins/", m.bulletins, "/report.csv"), allow("GET", 200, m.publishers, ncos)},
			"GET /inquiries":                 {fixed("/inquiries"), allow("GET", 200, withGrant, withGrant)},
			"POST /inquiries":                {fixed("/inquiries"), allow("POST", 422, m.operators, m.operators)},
			"GET /inquiries/{id}":            {byID("/inquiries/", m.inquiries, ""), allow("GET", 200, withGrant, nil)},
			"POST /inquiries/{id}/messages":  {byID("/inquiries/", m.inquiries, "/messages"), allow("POST", 422, withGrant, nil)}, // empty message
			"POST /inquiries/{id}/escalate":  {m.escalate, allow("POST", 303, m.ministries, nil)},
			"GET /faq":                       {fixed("/faq"), allow("GET", 200, withGrant, withGrant)},
			"POST /faq":                      {fixed("/faq"), allow("POST", 422, m.publishers, m.publishers)},
			"POST /inquiries/{id}/close":     {path: m.close, want: allow("POST", 303, m.closers, nil)},
			// No reason: refused with a message once the policy let it through.
			"POST /faq/{id}/withdraw": {path: byID("/faq/", m.faqs, "/withdraw"), want: allow("POST", 422, m.publishers, ncos)},
		}
	})
}

// bulletinWho are the demo users the bulletin tests sign in: every
// ministry's, the NCO's and every operator's.
var bulletinWho = []string{"nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff", "mlit-staff",
	"toto-admin", "toto-staff", "kitahama-admin", "kitahama-staff", "kakehashi-admin", "minatodai-admin"}

var bulletinPath = func(loc string) int64 {
	var id int64
	fmt.Sscanf(loc, "/bulletins/%d", &id)
	return id
}

// TestBulletinsReachTheirAudience: each kind of audience reaches exactly
// its organisations' users — in the list, on the page and by a
// notification — and nobody else: a user outside it gets 404 and no
// notification. The sender's ministry and the NCO see the report. A
// ministry cannot publish beyond its sectors.
func TestBulletinsReachTheirAudience(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := map[string]*http.Client{}
	for _, who := range bulletinWho {
		c[who] = env.SignIn(t, who)
	}
	runQueue(t, env)
	var seq atomic.Int64
	publish := func(who string, form url.Values) int64 {
		t.Helper()
		form.Set("category", "alert")
		form.Set("title", fmt.Sprintf("周知テスト %d", seq.Add(1)))
		form.Set("body", "本文です。\n二行目です。")
		status, loc, body := postForm(t, env, c[who], "/bulletins", form)
		mustStatus(t, who+" publishes "+form.Encode(), status, http.StatusSeeOther, body)
		return bulletinPath(loc)
	}
	metiOps := []string{"toto-admin", "toto-staff", "kitahama-admin", "kitahama-staff"}
	cases := []struct {
		who  string
		form url.Values
		want []string // who receives it
	}{
		{"nco-admin", url.Values{"audience": {"everyone"}}, []string{"meti-admin", "meti-staff", "fsa-staff", "mlit-staff",
			"toto-admin", "toto-staff", "kitahama-admin", "kitahama-staff", "kakehashi-admin", "minatodai-admin"}},
		{"nco-admin", url.Values{"audience": {"ministries"}, "ministries": {"FSA", "MLIT"}}, []string{"fsa-staff", "mlit-staff"}},
		{"nco-analyst", url.Values{"audience": {"sectors"}, "sectors": {"electricity"}}, metiOps},
		{"nco-admin", url.Values{"audience": {"scope"}, "designation": {"core"}}, []string{"toto-admin", "toto-staff", "kakehashi-admin"}},
		{"meti-staff", url.Values{"audience": {"scope"}, "designation": {"ci"}, "sectors": {"electricity"}}, metiOps},
		{"meti-admin", url.Values{"audience": {"operators"}, "operators": {"1010401000002"}}, []string{"kitahama-admin", "kitahama-staff"}},
		{"fsa-staff", url.Values{"audience": {"sectors"}, "sectors": {"finance"}}, []string{"kakehashi-admin"}},
	}
	ids := make([]int64, len(cases))
	for i, k := range cases {
		ids[i] = publish(k.who, k.form)
	}
	env.DB.Await(t, "the bulletins' fan-out", `SELECT count(*) = $1 FROM river_job WHERE kind = 'notify.bulletin_published' AND state = 'completed'`, len(cases))
	ctx := context.Background()
	for i, k := range cases {
		path := fmt.Sprintf("/bulletins/%d", ids[i])
		senderMinistry := strings.Split(k.who, "-")[0]
		for _, who := range bulletinWho {
			var notes int
			if err := env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM notifications n JOIN identities i ON i.user_id = n.user_id
				WHERE i.subject = $1 AND n.kind = 'bulletin.published' AND n.link = $2`, who, path).Scan(&notes); err != nil {
				t.Fatal(err)
			}
			in := slices.Contains(k.want, who)
			if want := map[bool]int{true: 1, false: 0}[in]; notes != want {
				t.Errorf("%s (%v): %s has %d notices, want %d", path, k.form, who, notes, want)
			}
			status, body := env.Get(t, c[who], path)
			sees := in || strings.HasPrefix(who, "nco-") || strings.HasPrefix(who, senderMinistry+"-") && senderMinistry != "nco"
			if want := map[bool]int{true: 200, false: 404}[sees]; status != want {
				t.Errorf("%s (%v): %s gets %d, want %d", path, k.form, who, status, want)
			}
			_, list := env.Get(t, c[who], "/bulletins")
			if strings.Contains(list, `href="`+path+`"`) != sees {
				t.Errorf("%s: %s's list shows it %v, want %v", path, who, !sees, sees)
			}
			report := strings.Contains(body, `id="report-table"`)
			if wantReport := sees && !in && status == 200; report != wantReport {
				t.Errorf("%s: %s sees the report %v, want %v", path, who, report, wantReport)
			}
		}
	}
	// A ministry beyond its sectors: refused, with the message next to
	// the field and what was typed kept.
	for name, form := range map[string]url.Values{
		"everyone":       {"audience": {"everyone"}},
		"foreign sector": {"audience": {"sectors"}, "sectors": {"finance"}},
		"foreign op":     {"audience": {"operators"}, "operators": {"4010001000003"}},
		"all of a scope": {"audience": {"scope"}, "designation": {"ci"}},
	} {
		form.Set("category", "request")
		form.Set("title", "範囲外の周知")
		form.Set("body", "入力した本文")
		status, _, body := postForm(t, env, c["meti-staff"], "/bulletins", form)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "入力した本文") || !strings.Contains(body, `class="error"`) {
			t.Errorf("%s: %d\n%.2000s", name, status, body)
		}
	}
	var n int
	if err := env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM bulletins WHERE title = '範囲外の周知'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d refused bulletins stored (%v)", n, err)
	}
	// An NCO bulletin to a sector that does not exist, or to a scope no
	// operator of the sector has: refused, nothing stored.
	for name, form := range map[string]url.Values{
		"unknown sector": {"audience": {"sectors"}, "sectors": {"atlantis"}},
		"nobody":         {"audience": {"scope"}, "designation": {"core"}, "sectors": {"government"}},
	} {
		form.Set("category", "alert")
		form.Set("title", "範囲外の周知")
		form.Set("body", "本文")
		if status, _, body := postForm(t, env, c["nco-admin"], "/bulletins", form); status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d\n%.2000s", name, status, body)
		}
	}
	// Bad input: messages next to their fields, input kept, no 500.
	status, _, body := postForm(t, env, c["nco-admin"], "/bulletins", url.Values{"category": {"nope"}, "title": {"一行目\n二行目"},
		"audience": {"operators"}, "operators": {"12345"}, "ack_by": {"2020-01-01"}, "body": {"本文は残ります"}})
	for _, want := range []string{"種別を選択してください", "件名は1行で入力してください", "13桁の法人番号", "本日以降の日付", "本文は残ります", `aria-invalid="true"`} {
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
			t.Errorf("bad input: %d lacks %q", status, want)
		}
	}
	// Every publication is audited.
	if err := env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'bulletin.publish'`).Scan(&n); err != nil || n != len(cases) {
		t.Errorf("%d bulletin.publish events, want %d (%v)", n, len(cases), err)
	}
}

// TestBulletinAcknowledgements: an NCO bulletin to electricity asks for an
// acknowledgement; one operator acknowledges (twice: counted once), the
// other only reads; the NCO's report and its CSV count them right; after
// the date the other is overdue, and the daily job reminds it once, on
// the due date.
func TestBulletinAcknowledgements(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := map[string]*http.Client{}
	for _, who := range []string{"nco-admin", "toto-admin", "toto-staff", "kitahama-admin", "meti-staff", "kakehashi-admin"} {
		c[who] = env.SignIn(t, who)
	}
	due := time.Now().In(kijun.JST).AddDate(0, 0, 7).Format(time.DateOnly)
	status, loc, body := postForm(t, env, c["nco-admin"], "/bulletins", url.Values{"category": {"request"}, "title": {"確認のお願い"},
		"body": {"確認してください。"}, "audience": {"sectors"}, "sectors": {"electricity"}, "ack_by": {due}})
	mustStatus(t, "publish", status, http.StatusSeeOther, body)
	id := bulletinPath(loc)
	path := fmt.Sprintf("/bulletins/%d", id)
	if status, body := env.Get(t, c["toto-staff"], path); status != 200 || !strings.Contains(body, `id="ack-button-`) {
		t.Fatalf("toto-staff: %d\n%.2000s", status, body)
	}
	for _, who := range []string{"toto-admin", "toto-admin", "toto-staff"} {
		status, _, body := postForm(t, env, c[who], path+"/ack", nil)
		mustStatus(t, who+" acknowledges", status, http.StatusSeeOther, body)
	}
	if status, _ := env.Get(t, c["kitahama-admin"], path); status != 200 {
		t.Fatalf("kitahama reads: %d", status)
	}
	// Neither a recipient of another sector nor the sector's ministry.
	for _, who := range []string{"kakehashi-admin", "meti-staff"} {
		if status, _, _ := postForm(t, env, c[who], path+"/ack", nil); status != http.StatusNotFound {
			t.Errorf("%s acknowledges: %d, want 404", who, status)
		}
	}
	_, body = env.Get(t, c["nco-admin"], path)
	for _, want := range []string{"宛先 2 組織のうち、2 組織が既読です。", "確認済み 1 組織、確認期限超過 0 組織です。", "東都送配電 管理 五郎"} {
		if !strings.Contains(body, want) {
			t.Errorf("NCO's report lacks %q\n%.4000s", want, body)
		}
	}
	status, csv := env.Get(t, c["nco-admin"], path+"/report.csv")
	if status != 200 || !strings.Contains(csv, "東都送配電株式会社(デモ)") || !strings.Contains(csv, "北浜発電株式会社(デモ)") || strings.Count(csv, "\n") != 3 {
		t.Errorf("CSV: %d\n%s", status, csv)
	}
	ctx := context.Background()
	var acked, audited int
	if err := env.DB.Owner.QueryRow(ctx, `SELECT count(*) FILTER (WHERE acked_at IS NOT NULL),
		(SELECT count(*) FROM audit_events WHERE action = 'bulletin.acknowledge') FROM bulletin_recipients WHERE bulletin_id = $1`, id).
		Scan(&acked, &audited); err != nil || acked != 1 || audited != 1 {
		t.Errorf("acknowledged %d, audited %d (%v), want 1 and 1", acked, audited, err)
	}
	// The due date's reminder goes to the recipient that has not
	// acknowledged, once.
	sendAckReminders(t, env, due)
	sendAckReminders(t, env, due)
	var kita, toto int
	if err := env.DB.Owner.QueryRow(ctx, `SELECT count(*) FILTER (WHERE i.subject = 'kitahama-admin'), count(*) FILTER (WHERE i.subject LIKE 'toto-%')
		FROM notifications n JOIN identities i ON i.user_id = n.user_id WHERE n.kind = 'bulletin.ack_due'`).Scan(&kita, &toto); err != nil || kita != 1 || toto != 0 {
		t.Errorf("ack_due notices: kitahama %d, toto %d (%v); want 1 and 0", kita, toto, err)
	}
}

// sendAckReminders runs the daily acknowledgement job for the period of
// day (a date in Japan), as the scheduler would: once per period.
func sendAckReminders(t *testing.T, env *servertest.Env, day string) {
	t.Helper()
	d, _ := kijun.ParseDate(day)
	at := d.Time().Add(12 * time.Hour)
	s := &jobs.Scheduler{DB: env.DB.App, Now: func() time.Time { return at }}
	if _, err := s.RunDue(context.Background(), jobs.BulletinAcks()); err != nil {
		t.Fatal(err)
	}
}

// TestInquiryEscalatedAndAnsweredAsFAQ: an operator asks METI; another
// operator, another ministry and (before escalation) the NCO get 404;
// METI answers and escalates; the NCO then sees and answers it; METI
// publishes an FAQ entry from it for electricity, which another operator
// of the sector reads without the asker's identity and an operator of
// another sector does not see. Each step notifies the other side.
func TestInquiryEscalatedAndAnsweredAsFAQ(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := map[string]*http.Client{}
	for _, who := range bulletinWho {
		c[who] = env.SignIn(t, who)
	}
	// Refused input keeps what was typed, with the message at its field.
	status, _, body := postForm(t, env, c["toto-staff"], "/inquiries", url.Values{"ministry": {"METI"}, "subject": {""}, "body": {"入力した内容"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "件名を入力してください") || !strings.Contains(body, "入力した内容") {
		t.Fatalf("empty subject: %d\n%.2000s", status, body)
	}
	status, _, body = postForm(t, env, c["toto-staff"], "/inquiries", url.Values{"ministry": {"FSA"}, "subject": {"件名"}, "body": {"内容"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "所管する省庁を選択してください") {
		t.Fatalf("a ministry not overseeing the sector: %d\n%.2000s", status, body)
	}
	status, loc, body := postForm(t, env, c["toto-staff"], "/inquiries", url.Values{"ministry": {"METI"},
		"subject": {"多要素認証の対象範囲について"}, "body": {"東都送配電です。GV-01 の対象に委託先の端末は含まれますか。"}})
	mustStatus(t, "ask", status, http.StatusSeeOther, body)
	path := strings.Split(loc, "?")[0]
	see := func(step string, who ...string) {
		t.Helper()
		for _, w := range bulletinWho {
			status, _ := env.Get(t, c[w], path)
			if want := map[bool]int{true: 200, false: 404}[slices.Contains(who, w)]; status != want {
				t.Errorf("%s: %s gets %d, want %d", step, w, status, want)
			}
		}
	}
	parties := []string{"toto-admin", "toto-staff", "meti-admin", "meti-staff"}
	see("asked", parties...)
	mustStatus(t, "METI answers", first(postForm(t, env, c["meti-staff"], path+"/messages", url.Values{"body": {"含まれます。詳細は確認中です。"}})), 303, "")
	mustStatus(t, "the NCO cannot escalate", first(postForm(t, env, c["nco-admin"], path+"/escalate", nil)), 404, "")
	mustStatus(t, "FSA cannot write", first(postForm(t, env, c["fsa-staff"], path+"/messages", url.Values{"body": {"x"}})), 404, "")
	mustStatus(t, "METI escalates", first(postForm(t, env, c["meti-admin"], path+"/escalate", nil)), 303, "")
	see("escalated", append(parties, "nco-admin", "nco-analyst")...)
	mustStatus(t, "the NCO answers", first(postForm(t, env, c["nco-analyst"], path+"/messages",
		url.Values{"body": {"委託先の端末も対象です（国家サイバー統括室）。"}})), 303, "")
	_, thread := env.Get(t, c["toto-admin"], path)
	if !strings.Contains(thread, "message--nco") || !strings.Contains(thread, "委託先の端末も対象です") || !strings.Contains(thread, `id="escalated-at"`) {
		t.Errorf("the operator's thread lacks the NCO's answer\n%.4000s", thread)
	}
	// The FAQ form starts from the inquiry's words; METI rewrites the
	// question without the asker and publishes it for electricity.
	_, form := env.Get(t, c["meti-staff"], "/faq?from="+strings.TrimPrefix(path, "/inquiries/"))
	if !strings.Contains(form, "GV-01 の対象に委託先の端末は含まれますか") || !strings.Contains(form, "委託先の端末も対象です") {
		t.Errorf("FAQ form not started from the inquiry\n%.4000s", form)
	}
	status, _, body = postForm(t, env, c["meti-staff"], "/faq", url.Values{"inquiry": {strings.TrimPrefix(path, "/inquiries/")},
		"question": {"GV-01 の対象に委託先の端末は含まれますか。"}, "answer": {"委託先の端末も対象です。"}, "sectors": {"electricity"}})
	mustStatus(t, "publish FAQ", status, http.StatusSeeOther, body)
	mustStatus(t, "FAQ for a foreign sector", first(postForm(t, env, c["meti-staff"], "/faq", url.Values{"question": {"q"}, "answer": {"a"},
		"sectors": {"finance"}})), 422, "")
	_, faq := env.Get(t, c["kitahama-admin"], "/faq")
	if !strings.Contains(faq, "委託先の端末も対象です。") || strings.Contains(faq, "東都") || strings.Contains(faq, path) {
		t.Errorf("kitahama's FAQ\n%.4000s", faq)
	}
	if _, faq := env.Get(t, c["kakehashi-admin"], "/faq"); strings.Contains(faq, "委託先の端末も対象です。") {
		t.Error("an operator of another sector sees the entry")
	}
	if _, faq := env.Get(t, c["meti-staff"], "/faq"); !strings.Contains(faq, `href="`+path+`"`) {
		t.Error("the publisher does not see where the entry came from")
	}
	want := map[string]int{"meti-admin:inquiry.asked": 1, "meti-staff:inquiry.asked": 1,
		"toto-admin:inquiry.answered": 2, "toto-staff:inquiry.answered": 2,
		"nco-admin:inquiry.escalated": 1, "nco-analyst:inquiry.escalated": 1}
	got := countNotices(t, env)
	for k := range got {
		if !strings.Contains(k, ":inquiry.") {
			delete(got, k)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notices:\n got %v\nwant %v", got, want)
	}
	var audited int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action IN
		('inquiry.create', 'inquiry.message', 'inquiry.escalate', 'faq.publish')`).Scan(&audited); err != nil || audited != 5 {
		t.Errorf("%d audit events (%v), want 5", audited, err)
	}
}

// bulletinMatrix is the fixture of the matrix cases of the bulletin,
// inquiry and FAQ routes, the pages' (prefix "") and the API's
// ("/api/v1"): per role its own and another's bulletin, inquiry and FAQ
// entry, fresh inquiries to escalate and close, and who may do what.
type bulletinMatrix struct {
	bulletins, inquiries, faqs                 map[string][2]int64
	escalate, close                            func(role string, own bool) string
	publishers, ministries, operators, closers []string
}

func newBulletinMatrix(fx *tenantFixture, prefix string) bulletinMatrix {
	toto, kakehashi := fx.ids["2010401000001"], fx.ids["4010001000003"]
	author := fx.q(`INSERT INTO users (display_name) VALUES ('bulletin-author') RETURNING id`)
	// A METI bulletin to electricity (toto, kitahama) and an FSA one to
	// finance (kakehashi), both asking for an acknowledgement.
	bulletinOf := func(ministry, sector string) int64 {
		id := fx.q(`INSERT INTO bulletins (ministry_code, category, title, body, audience_kind, audience_sectors, ack_by, published_by)
			VALUES ($1, 'request', 'matrix', 'matrix', 'sectors', ARRAY[$2], current_date + 30, $3) RETURNING id`, ministry, sector, author)
		fx.q(`INSERT INTO bulletin_recipients (bulletin_id, sender_ministry, operator_id, sector_code)
			SELECT $1, $2, id, sector_code FROM operators WHERE sector_code = $3 AND status = 'active' RETURNING $1::bigint`, id, ministry, sector)
		return id
	}
	inquiryOf := func(operator int64, ministry string, escalated bool) int64 {
		id := fx.q(`INSERT INTO inquiries (operator_id, sector_code, ministry_code, subject, created_by)
			SELECT id, sector_code, $2, 'matrix', $3 FROM operators WHERE id = $1 RETURNING id`, operator, ministry, author)
		if escalated {
			fx.q(`UPDATE inquiries SET escalated_at = now(), escalated_by = $2 WHERE id = $1 RETURNING id`, id, author)
		}
		return id
	}
	// FAQ entries of METI, FSA and the NCO: a ministry's own and another's;
	// the NCO withdraws any.
	faqOf := func(ministry any, sector string) int64 {
		return fx.q(`INSERT INTO faqs (ministry_code, sectors, question, answer, published_by)
			VALUES ($1, ARRAY[$2], 'matrix', 'matrix', $3) RETURNING id`, ministry, sector, author)
	}
	bM, bF := bulletinOf("METI", "electricity"), bulletinOf("FSA", "finance")
	// The NCO's own inquiry is the escalated one; the other is not yet its.
	qT, qK := inquiryOf(toto, "METI", false), inquiryOf(kakehashi, "FSA", true)
	fM, fF, fN := faqOf("METI", "electricity"), faqOf("FSA", "finance"), faqOf(nil, "gas")
	ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
	return bulletinMatrix{
		bulletins: map[string][2]int64{"meti-admin": {bM, bF}, "meti-staff": {bM, bF}, "fsa-staff": {bF, bM},
			"toto-admin": {bM, bF}, "toto-staff": {bM, bF}, "toto-reviewer": {bM, bF}},
		inquiries: map[string][2]int64{"nco-admin": {qK, qT}, "nco-analyst": {qK, qT}, "meti-admin": {qT, qK}, "meti-staff": {qT, qK},
			"fsa-staff": {qK, qT}, "toto-admin": {qT, qK}, "toto-staff": {qT, qK}, "toto-reviewer": {qT, qK}},
		faqs: map[string][2]int64{"nco-admin": {fN, fM}, "nco-analyst": {fN, fM}, "meti-admin": {fM, fF}, "meti-staff": {fM, fF},
			"fsa-staff": {fF, fM}},
		// A fresh inquiry per escalation, of the role's ministry or another.
		escalate: func(role string, own bool) string {
			operator, ministry := toto, "METI"
			if (role == "fsa-staff") == own {
				operator, ministry = kakehashi, "FSA"
			}
			return fmt.Sprintf("%s/inquiries/%d/escalate", prefix, inquiryOf(operator, ministry, false))
		},
		// A fresh inquiry per closure: the role's own (the NCO's: an
		// escalated one) or another's (the NCO's: not escalated).
		close: func(role string, own bool) string {
			var id int64
			switch {
			case slices.Contains(ncos, role) && own:
				id = inquiryOf(kakehashi, "FSA", true)
			case (role == "fsa-staff") == own && !slices.Contains(ncos, role):
				id = inquiryOf(kakehashi, "FSA", false)
			default:
				id = inquiryOf(toto, "METI", false)
			}
			return fmt.Sprintf("%s/inquiries/%d/close", prefix, id)
		},
		publishers: append(slices.Clone(ministries), ncos...),
		ministries: ministries,
		operators:  []string{"toto-admin", "toto-staff", "toto-reviewer"},
		closers:    append(slices.Clone(ministries), ncos...),
	}
}
