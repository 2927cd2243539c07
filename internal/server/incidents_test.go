//go:build dev

package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		// A TLP:GREEN report with one stage and a file, for each operator of the matrix.
		report := func(op int64) int64 {
			id := fx.q(`INSERT INTO incidents (operator_id, sector_code, template_id, tlp, title, stages)
				SELECT id, sector_code, (SELECT max(id) FROM incident_templates), 'green', 'matrix report', 1 FROM operators WHERE id = $1 RETURNING id`, op)
			user := fx.q(`SELECT min(id) FROM users`)
			stage := fx.q(`INSERT INTO incident_stages (incident_id, operator_id, sector_code, seq, stage, template_id, fields, submitted_by)
				SELECT id, operator_id, sector_code, 1, 'first', template_id, '{"title": "matrix report"}', $2 FROM incidents WHERE id = $1 RETURNING id`, id, user)
			fx.q(`INSERT INTO incident_attachments (stage_id, incident_id, operator_id, sector_code, file_name, content_type, size, sha256, bytes, uploaded_by)
				SELECT $1, incident_id, operator_id, sector_code, 'log.txt', 'text/plain; charset=utf-8', 2, sha256('ok'::bytea), 'ok'::bytea, $2
				FROM incident_stages WHERE id = $1 RETURNING id`, stage, user)
			return id
		}
		reports, files := map[string][2]int64{}, map[string][2]int64{}
		byOp := map[int64]int64{}
		for role, pair := range fx.operator {
			var r [2]int64
			for i, op := range pair {
				if byOp[op] == 0 {
					byOp[op] = report(op)
				}
				r[i] = byOp[op]
			}
			reports[role] = r
			files[role] = [2]int64{fx.q(`SELECT id FROM incident_attachments WHERE incident_id = $1`, r[0]),
				fx.q(`SELECT id FROM incident_attachments WHERE incident_id = $1`, r[1])}
		}
		summary := fx.q(`INSERT INTO incident_summaries (tlp, title, body) VALUES ('green', 'matrix summary', 'body') RETURNING id`)
		operators := []string{"toto-admin", "toto-staff", "toto-reviewer"}
		recipients := []string{"nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff"}
		return map[string]routeCase{
			"GET /incidents":                    {fixed("/incidents"), allow("GET", 200, withGrant, withGrant)},
			"GET /incident-summaries":           {fixed("/incident-summaries"), allow("GET", 200, withGrant, withGrant)},
			"GET /incidents/new":                {fixed("/incidents/new"), allow("GET", 200, operators, operators)},
			"GET /incidents/export":             {fixed("/incidents/export?format=csv"), allow("GET", 200, recipients, recipients)},
			"GET /incidents/templates":          {fixed("/incidents/templates"), allow("GET", 200, []string{"nco-admin"}, []string{"nco-admin"})},
			"POST /incidents/templates":         {fixed("/incidents/templates"), allow("POST", 422, []string{"nco-admin"}, []string{"nco-admin"})}, // empty form: refused with messages
			"GET /incidents/templates/download": {fixed("/incidents/templates/download"), allow("GET", 200, []string{"nco-admin"}, []string{"nco-admin"})},
			"POST /incidents/templates/import":  {fixed("/incidents/templates/import"), allow("POST", 422, []string{"nco-admin"}, []string{"nco-admin"})}, // no file
			"GET /incident-summaries/{id}/stix": {fixed(fmt.Sprintf("/incident-summaries/%d/stix", summary)), allow("GET", 200, withGrant, withGrant)},
			"POST /incidents":                   {fixed("/incidents"), allow("POST", 422, operators, operators)}, // empty form: refused with messages
			"GET /incidents/{id}":               {byID("/incidents/", reports, ""), allow("GET", 200, withGrant, ncos)},
			"GET /incidents/files/{id}":         {byID("/incidents/files/", files, ""), allow("GET", 200, withGrant, ncos)},
			// Empty forms: refused with messages in the own tenant, 404 elsewhere.
			"POST /incidents/{id}/stages":    {byID("/incidents/", reports, "/stages"), allow("POST", 422, operators, nil)},
			"POST /incidents/{id}/messages":  {byID("/incidents/", reports, "/messages"), allow("POST", 422, recipients, ncos)},
			"POST /incidents/{id}/tlp":       {byID("/incidents/", reports, "/tlp"), allow("POST", 422, withGrant, ncos)},
			"POST /incidents/{id}/summaries": {byID("/incidents/", reports, "/summaries"), allow("POST", 422, recipients, ncos)},
		}
	})
}

var incidentPath = regexp.MustCompile(`^/incidents/(\d+)`)

// TestIncidentPages: an operator files a first report in the form (a
// refused one comes back with what was typed); its ministry and the NCO
// see it, another operator and another ministry get 404; the ministry
// asks, the operator answers; the ministry cannot widen the label; the
// operator closes the report with a final report, after which the form
// is gone.
func TestIncidentPages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	toto, meti, nco := env.SignIn(t, "toto-admin"), env.SignIn(t, "meti-staff"), env.SignIn(t, "nco-analyst")
	kita, fsa := env.SignIn(t, "kitahama-admin"), env.SignIn(t, "fsa-staff")
	var op string
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT id::text FROM operators WHERE corporate_number = '2010401000001'`).Scan(&op); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"operator": {op}, "tlp": {"amber"}, "field.title": {"配電監視システムの停止"}, "field.occurred_at": {"2026-12-01T09:30"},
		"field.kind": {"malware"}, "field.impact_service": {"監視の一部停止"}, "field.status": {"investigating"}, "field.contact": {"システム部"}}
	status, _, body := postForm(t, env, toto, "/incidents", form)
	mustStatus(t, "first report without noticed_at", status, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="f-noticed_at-error"`) || !strings.Contains(body, `value="配電監視システムの停止"`) {
		t.Errorf("refused first report:\n%.4000s", body)
	}
	form.Set("field.noticed_at", "2026-12-01T10:00")
	status, loc, body := postForm(t, env, toto, "/incidents", form)
	mustStatus(t, "first report", status, http.StatusSeeOther, body)
	m := incidentPath.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("redirect to %q", loc)
	}
	path := "/incidents/" + m[1]
	for name, c := range map[string]*http.Client{"operator": toto, "ministry": meti, "NCO": nco} {
		if status, page := env.Get(t, c, path); status != http.StatusOK || !strings.Contains(page, "配電監視システムの停止") || !strings.Contains(page, "TLP:AMBER") {
			t.Errorf("%s: %d\n%.2000s", name, status, page)
		}
		if _, page := env.Get(t, c, "/incidents"); !strings.Contains(page, "IR-"+m[1]) {
			t.Errorf("%s's list lacks the report", name)
		}
	}
	for name, c := range map[string]*http.Client{"another operator": kita, "another ministry": fsa} {
		if status, _ := env.Get(t, c, path); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", name, status)
		}
		if _, page := env.Get(t, c, "/incidents"); strings.Contains(page, "IR-"+m[1]) {
			t.Errorf("%s lists the report", name)
		}
	}
	// Each incident kind is named on the notification settings, in both languages.
	for _, lang := range []string{"ja", "en"} {
		_, settings := env.Get(t, toto, "/notifications/settings", "Cookie", "kijun_lang="+lang)
		if strings.Contains(settings, "notify.kindname.incident") || !strings.Contains(settings, map[string]string{"ja": "インシデント報告への質問", "en": "Question on an incident report"}[lang]) {
			t.Errorf("settings (%s) lack the incident kinds", lang)
		}
	}
	// The ministry asks; the operator answers.
	status, _, body = postForm(t, env, meti, path+"/messages", url.Values{"body": {"復旧の見込みを教えてください。"}})
	mustStatus(t, "question", status, http.StatusSeeOther, body)
	var q string
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT id::text FROM incident_messages WHERE incident_id = $1`, m[1]).Scan(&q); err != nil {
		t.Fatal(err)
	}
	status, _, body = postForm(t, env, toto, path+"/messages", url.Values{"parent": {q}, "body": {"明日中の見込みです。"}})
	mustStatus(t, "answer", status, http.StatusSeeOther, body)
	if _, page := env.Get(t, meti, path); !strings.Contains(page, "明日中の見込みです。") {
		t.Errorf("the ministry does not read the answer")
	}
	// The ministry cannot widen the label.
	status, _, body = postForm(t, env, meti, path+"/tlp", url.Values{"tlp": {"clear"}})
	mustStatus(t, "ministry widens", status, http.StatusUnprocessableEntity, body)
	// The final report closes it.
	final := url.Values{"stage": {"final"}, "field.title": {"配電監視システムの停止（最終報告）"}, "field.status": {"recovered"},
		"field.cause": {"保守端末経由の感染"}, "field.measures": {"端末の再構築"}, "field.controls": {"GV-01"}}
	status, _, body = postForm(t, env, toto, path+"/stages", final)
	mustStatus(t, "final report", status, http.StatusSeeOther, body)
	_, page := env.Get(t, toto, path)
	if !strings.Contains(page, "完了") || strings.Contains(page, `id="stage-form"`) || !strings.Contains(page, "GV-01") {
		t.Errorf("after the final report:\n%.5000s", page)
	}
	status, _, body = postForm(t, env, toto, path+"/stages", final)
	if status != http.StatusConflict && status != http.StatusUnprocessableEntity {
		t.Errorf("a stage after the final report: %d\n%.2000s", status, body)
	}
}

// TestIncidentSharing: a TLP:GREEN report's anonymised summary reaches
// another operator of the sector, in the page and as STIX, with nothing of
// the reporting operator (its name, 法人番号, the users' names); a summary
// naming the operator is refused next to its field. A TLP:RED report is
// in no export, gives no summary, and its notices and mails carry only its
// number.
func TestIncidentSharing(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	toto, meti, kita := env.SignIn(t, "toto-admin"), env.SignIn(t, "meti-staff"), env.SignIn(t, "kitahama-admin")
	var op, name, corp string
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT id::text, name_ja, corporate_number FROM operators WHERE corporate_number = '2010401000001'`).Scan(&op, &name, &corp); err != nil {
		t.Fatal(err)
	}
	file := func(tlp, title string) string {
		form := url.Values{"operator": {op}, "tlp": {tlp}, "field.title": {title}, "field.occurred_at": {"2026-12-01T09:30"},
			"field.noticed_at": {"2026-12-01T10:00"}, "field.kind": {"malware"}, "field.impact_service": {"監視の一部停止"},
			"field.status": {"investigating"}, "field.contact": {"システム部 東都 五郎"}}
		status, loc, body := postForm(t, env, toto, "/incidents", form)
		mustStatus(t, "first report "+tlp, status, http.StatusSeeOther, body)
		return incidentPath.FindStringSubmatch(loc)[1]
	}
	green, red := file("green", "緑の報告の件名"), file("red", "赤の報告の秘密の件名")

	// A summary naming the operator is refused; a clean one is published.
	status, _, body := postForm(t, env, meti, "/incidents/"+green+"/summaries", url.Values{"sector": {"electricity"},
		"title": {"電力分野での感染"}, "body": {name + "で感染がありました。"}})
	mustStatus(t, "summary naming the operator", status, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="f-body-error"`) {
		t.Errorf("refusal not next to the field:\n%.3000s", body)
	}
	status, _, body = postForm(t, env, meti, "/incidents/"+green+"/summaries", url.Values{"sector": {"electricity"},
		"title": {"電力分野での感染"}, "body": {"保守用端末を経由した感染が報告されました。"}})
	mustStatus(t, "summary", status, http.StatusSeeOther, body)
	status, _, body = postForm(t, env, meti, "/incidents/"+red+"/summaries", url.Values{"sector": {"electricity"},
		"title": {"電力分野での感染"}, "body": {"保守用端末"}})
	mustStatus(t, "summary of a TLP:RED report", status, http.StatusUnprocessableEntity, body)

	_, page := env.Get(t, kita, "/incident-summaries")
	if !strings.Contains(page, "保守用端末を経由した感染") {
		t.Fatalf("another operator of the sector does not read the summary:\n%.3000s", page)
	}
	var sid string
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT max(id)::text FROM incident_summaries`).Scan(&sid); err != nil {
		t.Fatal(err)
	}
	status, stix := env.Get(t, kita, "/incident-summaries/"+sid+"/stix")
	if status != http.StatusOK || !strings.Contains(stix, `"type": "incident"`) || !strings.Contains(stix, "TLP:GREEN") {
		t.Errorf("STIX: %d\n%s", status, stix)
	}
	people := []string{"東都送配電 管理 五郎", "東都 五郎"}
	for _, doc := range []string{page, stix} {
		for _, term := range append([]string{name, corp, "緑の報告の件名"}, people...) {
			if strings.Contains(doc, term) {
				t.Errorf("the summary carries %q", term)
			}
		}
	}
	if status, _ := env.Get(t, kita, "/incidents/"+green); status != http.StatusNotFound {
		t.Errorf("another operator reads the report: %d", status)
	}

	// TLP:RED: in no export; notices carry the number only.
	_, csv := env.Get(t, meti, "/incidents/export?format=csv")
	if !strings.Contains(csv, "緑の報告の件名") || strings.Contains(csv, "赤の報告") {
		t.Errorf("export:\n%s", csv)
	}
	// Dashboards: the counts, under the small-group rule (2 reports < 5),
	// for the NCO and the ministry; the operator's scorecard lists its own.
	nco := env.SignIn(t, "nco-analyst")
	for name, c := range map[string]*http.Client{"national": nco, "ministry": meti} {
		_, dash := env.Get(t, c, "/dashboards/"+name)
		if !strings.Contains(dash, "インシデント報告の件数") || !strings.Contains(dash, "5 件未満") {
			t.Errorf("%s dashboard lacks the suppressed incident count:\n%.2000s", name, dash)
		}
		// The kind is named by the current report form's label.
		if !strings.Contains(dash, "<td>マルウェア感染</td>") || strings.Contains(dash, "<td>malware</td>") {
			t.Errorf("%s dashboard does not name the kind of event by its label", name)
		}
		_, fig := env.Get(t, c, "/dashboards/"+name+"/download?figure=incidents&format=csv")
		if !strings.Contains(fig, "5 件未満") || strings.Contains(fig, ",2\r\n") {
			t.Errorf("%s download:\n%s", name, fig)
		}
	}
	env.SmallCycle(t, "incident-scorecard", 2031)
	if _, card := env.Get(t, toto, "/dashboards/scorecard"); !strings.Contains(card, "IR-"+green) || !strings.Contains(card, "IR-"+red) ||
		!strings.Contains(card, "<td>マルウェア感染</td>") {
		t.Errorf("the scorecard lacks the operator's reports, their kind named by its label:\n%.3000s", card)
	}
	if _, card := env.Get(t, kita, "/dashboards/scorecard"); strings.Contains(card, "IR-"+green) {
		t.Error("another operator's scorecard lists the reports")
	}

	var leaked int
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT count(*) FROM notifications WHERE kind LIKE 'incident.%' AND
		(params::text LIKE '%赤の報告%' OR params::text LIKE '%' || $1 || '%')`, name).Scan(&leaked); err != nil || leaked != 0 {
		t.Errorf("notices carry details: %d %v", leaked, err)
	}
}
