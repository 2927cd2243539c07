//go:build dev

package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/server/servertest"
	"github.com/kijun-portal/kijun/web/pages/incidents"
)

// templateForm is the editor's form of draft d, as the page sends it.
func templateForm(d incidents.TemplateDraft, action string) url.Values {
	f := url.Values{"action": {action}, "base": {strconv.Itoa(d.Base)}, "rows": {strconv.Itoa(len(d.Rows))},
		"title_ja": {d.TitleJa}, "title_en": {d.TitleEn}, "final_days": {d.FinalDays}, "update_days": {d.UpdateDays}, "reason": {d.Reason}}
	for i, r := range d.Rows {
		at := func(part string) string { return "row." + strconv.Itoa(i) + "." + part }
		f.Set(at("key"), r.Key)
		f.Set(at("type"), r.Type)
		f.Set(at("label_ja"), r.LabelJa)
		f.Set(at("label_en"), r.LabelEn)
		f.Set(at("help_ja"), r.HelpJa)
		f.Set(at("help_en"), r.HelpEn)
		f.Set(at("max"), r.Max)
		f.Set(at("choices"), r.Choices)
		f[at("required")] = r.Required
	}
	return f
}

func rowOf(d incidents.TemplateDraft, key string) int {
	for i, r := range d.Rows {
		if r.Key == key {
			return i
		}
	}
	return -1
}

func templateUpload(t *testing.T, env *servertest.Env, c *http.Client, data []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "template.json")
	fw.Write(data)
	mw.Close()
	resp, err := c.Post(env.HTTP.URL+"/incidents/templates/import", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestIncidentTemplateEditor: NCO admins edit the report template field
// by field. A refused form comes back with every value typed and each
// problem next to its row and part, nothing stored; rows are added,
// moved and removed by the server; a checked draft shows the preview and
// the changes; publishing needs a reason, is audited with it, refuses a
// kept key of another type and a draft of an outdated version; the
// filing form then uses the new version. The JSON goes out and comes
// back in through the same checks. Nobody else reaches the pages.
func TestIncidentTemplateEditor(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	nco, toto := env.SignIn(t, "nco-admin"), env.SignIn(t, "toto-admin")
	status, page := env.Get(t, nco, "/incidents/templates")
	mustStatus(t, "editor", status, http.StatusOK, page)
	if !strings.Contains(page, `name="row.0.key" value="title"`) || !strings.Contains(page, `id="template-preview"`) {
		t.Errorf("editor lacks the rows or the preview:\n%.3000s", page)
	}
	for _, c := range []*http.Client{env.SignIn(t, "nco-analyst"), env.SignIn(t, "meti-admin"), toto} {
		for _, path := range []string{"/incidents/templates", "/incidents/templates/download"} {
			if status, _ := env.Get(t, c, path); status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, status)
			}
		}
	}
	versions := func() int {
		var n int
		if err := env.DB.Owner.QueryRow(t.Context(), `SELECT count(*) FROM incident_templates`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var def string
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT definition::text FROM incident_templates WHERE version = 1`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	v1, err := incident.ParseTemplate([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	v1.Version = 1
	good := incidents.DraftOf(v1)

	// Bad input: every typed value comes back, each problem at its row.
	bad := incidents.DraftOf(v1)
	bad.Rows = append(bad.Rows[:len(bad.Rows):len(bad.Rows)], incidents.TemplateRow{Key: "Bad Key", Type: "text", LabelJa: "新しい項目", HelpJa: "入力途中の説明文"})
	kind := rowOf(bad, "kind")
	bad.Rows[kind].Choices += "\nmalware | 重複した選択肢 | Duplicate"
	bad.Rows[2].LabelJa = ""
	bad.FinalDays = "三十"
	bad.Reason = "法令の報告事項に合わせるため"
	last := strconv.Itoa(len(bad.Rows) - 1)
	status, _, body := postForm(t, env, nco, "/incidents/templates", templateForm(bad, "publish"))
	mustStatus(t, "bad template", status, http.StatusUnprocessableEntity, body)
	for _, want := range []string{`id="row-` + last + `-key-error"`, `value="Bad Key"`, "入力途中の説明文", `value="新しい項目"`,
		`id="row-2-label-ja-error"`, `id="row-` + strconv.Itoa(kind) + `-choices-error"`, "重複した選択肢", `id="tpl-final-days-error"`,
		`value="三十"`, "法令の報告事項に合わせるため", `href="#row-` + last + `-key"`, "キーは半角英小文字で始め"} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %s", want)
		}
	}
	if strings.Contains(body, `id="preview-heading"`) {
		t.Error("a refused draft is previewed")
	}
	if n := versions(); n != 1 {
		t.Fatalf("a refused draft was stored: %d versions", n)
	}

	// Add, move, remove: the server re-renders the rows, nothing stored.
	n := len(good.Rows)
	status, _, body = postForm(t, env, nco, "/incidents/templates", templateForm(good, "add"))
	mustStatus(t, "add", status, http.StatusOK, body)
	if !strings.Contains(body, `name="row.`+strconv.Itoa(n)+`.key" value=""`) || !strings.Contains(body, `name="rows" value="`+strconv.Itoa(n+1)+`"`) {
		t.Errorf("no row added:\n%.2000s", body)
	}
	status, _, body = postForm(t, env, nco, "/incidents/templates", templateForm(good, "up-1"))
	mustStatus(t, "up", status, http.StatusOK, body)
	if !strings.Contains(body, `name="row.0.key" value="`+good.Rows[1].Key+`"`) || !strings.Contains(body, `name="row.1.key" value="title"`) {
		t.Error("row 2 not moved up")
	}
	status, _, body = postForm(t, env, nco, "/incidents/templates", templateForm(good, "remove-"+strconv.Itoa(n-1)))
	mustStatus(t, "remove", status, http.StatusOK, body)
	if strings.Contains(body, `.key" value="`+good.Rows[n-1].Key+`"`) || !strings.Contains(body, `name="rows" value="`+strconv.Itoa(n-1)+`"`) {
		t.Error("row not removed")
	}

	// Unchanged: nothing to publish.
	good.Reason = "変更なし"
	status, _, body = postForm(t, env, nco, "/incidents/templates", templateForm(good, "publish"))
	mustStatus(t, "unchanged", status, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, "現在の版から変更がありません") {
		t.Error("an unchanged version is not refused")
	}

	// A kept key keeps its type.
	next := incidents.DraftOf(v1)
	noticed := rowOf(next, "noticed_at")
	next.Rows[noticed].Type = incident.TypeText
	next.Reason = "種類の変更"
	status, _, body = postForm(t, env, nco, "/incidents/templates", templateForm(next, "publish"))
	mustStatus(t, "type changed", status, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="row-`+strconv.Itoa(noticed)+`-type-error"`) {
		t.Errorf("type change not refused at its row:\n%.3000s", body)
	}

	// A good draft: preview and changes, then publish with a reason.
	next.Rows[noticed].Type = incident.TypeDateTime
	next.Rows[noticed].LabelJa = "認知した日時（第2版）"
	next.Rows = append(next.Rows, incidents.TemplateRow{Key: "reported_to", Type: incident.TypeChoice, LabelJa: "報告先", LabelEn: "Reported to",
		Required: []string{"first"}, Choices: "police | 警察 | Police\nnone｜なし"})
	next.Reason = ""
	status, _, body = postForm(t, env, nco, "/incidents/templates", templateForm(next, "preview"))
	mustStatus(t, "preview", status, http.StatusOK, body)
	for _, want := range []string{`id="preview-heading"`, `id="f-reported_to"`, "項目「報告先」（reported_to）を追加します。", "項目「認知した日時（第2版）」（noticed_at）の項目名を変更します。"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %s", want)
		}
	}
	status, _, body = postForm(t, env, nco, "/incidents/templates", templateForm(next, "publish"))
	mustStatus(t, "publish without reason", status, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="tpl-reason-error"`) || versions() != 1 {
		t.Error("published without a reason")
	}
	if !strings.Contains(body, `id="preview-heading"`) {
		t.Error("a draft refused only for its reason loses its preview")
	}
	next.Reason = "報告先の項目を追加するため"
	status, loc, body := postForm(t, env, nco, "/incidents/templates", templateForm(next, "publish"))
	mustStatus(t, "publish", status, http.StatusSeeOther, body)
	if loc != "/incidents/templates?published=2" {
		t.Errorf("redirect to %q", loc)
	}
	if _, page := env.Get(t, nco, loc); !strings.Contains(page, "報告様式の第 2 版を公開しました。") {
		t.Error("no notice of the new version")
	}
	if _, form := env.Get(t, toto, "/incidents/new"); !strings.Contains(form, "認知した日時（第2版）") || !strings.Contains(form, "警察") {
		t.Error("the filing form does not use version 2")
	}
	var reason string
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT after->>'reason' FROM audit_events WHERE action = 'incident.template.publish' AND object_id = '2'`).Scan(&reason); err != nil || reason != next.Reason {
		t.Errorf("audited reason %q %v", reason, err)
	}
	// The draft of version 1 is now outdated.
	stale := incidents.DraftOf(v1)
	stale.TitleJa += "（改）"
	stale.Reason = "古い版からの編集"
	status, _, body = postForm(t, env, nco, "/incidents/templates", templateForm(stale, "publish"))
	mustStatus(t, "stale", status, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="tpl-base-error"`) || versions() != 2 {
		t.Error("an outdated draft was published")
	}

	// JSON: export, import (into the editor, not stored), broken import.
	resp, err := nco.Get(env.HTTP.URL + "/incidents/templates/download")
	if err != nil {
		t.Fatal(err)
	}
	exported, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "incident-template-v2.json") {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	var v2 incident.Template
	if err := json.Unmarshal(exported, &v2); err != nil || v2.Validate() != nil {
		t.Fatalf("exported JSON: %v %v", err, v2.Validate())
	}
	if f, ok := v2.Field("reported_to"); !ok || len(f.Choices) != 2 || f.Choices[1].Label.Ja != "なし" {
		t.Errorf("exported %+v", f)
	}
	status, body = templateUpload(t, env, nco, bytes.Replace(exported, []byte("報告先"), []byte("報告した先"), 1))
	mustStatus(t, "import", status, http.StatusOK, body)
	if !strings.Contains(body, `value="報告した先"`) || !strings.Contains(body, `id="preview-heading"`) || versions() != 2 {
		t.Error("import not shown in the editor, or stored")
	}
	status, body = templateUpload(t, env, nco, []byte(`{"title": {"ja": "x"}, "fields": [{"key": "title", "essay": 1}]}`))
	mustStatus(t, "broken import", status, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="tpl-file-error"`) {
		t.Error("broken import not refused at the file")
	}
	status, body = templateUpload(t, env, nco, bytes.Replace(exported, []byte(`"type": "datetime"`), []byte(`"type": "essay"`), 1))
	mustStatus(t, "invalid import", status, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `-type-error"`) {
		t.Error("invalid import not refused at its row")
	}
}
