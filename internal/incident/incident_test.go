package incident

import (
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// starter reads the starting template from its migration, so the test
// checks what the database holds.
func starter(t *testing.T) Template {
	t.Helper()
	b, err := os.ReadFile("../../migrations/000016_incidents.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\$tpl\$(.*)\$tpl\$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no starting template in the migration")
	}
	tpl, err := ParseTemplate(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestStarterTemplate(t *testing.T) {
	tpl := starter(t)
	for _, key := range []string{"title", "occurred_at", "noticed_at", "kind", "systems", "impact_service", "impact_people", "cause", "measures", "status", "contact", "controls"} {
		if _, ok := tpl.Field(key); !ok {
			t.Errorf("starting template lacks %s", key)
		}
	}
	if tpl.Due.FinalDays <= 0 {
		t.Error("no final report due")
	}
	for _, f := range tpl.Fields {
		if f.Label.En == "" {
			t.Errorf("%s: no English label", f.Key)
		}
	}
}

func TestCheckStages(t *testing.T) {
	tpl := starter(t)
	// A first report needs few fields; the final report its cause and measures.
	first := Values{"title": "障害", "occurred_at": "2026-12-01T09:30", "noticed_at": "2026-12-01T10:00",
		"kind": "malware", "impact_service": "一部停止", "status": "investigating", "contact": "情報システム部"}
	if _, p := tpl.Check(First, first, nil); len(p) != 0 {
		t.Errorf("first report: %v", p)
	}
	if _, p := tpl.Check(Final, first, nil); p["cause"] == "" || p["measures"] == "" {
		t.Errorf("final report without cause and measures: %v", p)
	}
	bad := Values{"title": "a\nb", "occurred_at": "yesterday", "kind": "aliens", "systems": "other system",
		"controls": "GV-01, drop table", "contact": "x\u202e"}
	_, p := tpl.Check(Update, bad, []string{"制御システム"})
	for key, want := range map[string]string{"title": "incident.error.one_line", "occurred_at": "incident.error.datetime",
		"kind": "incident.error.choice", "systems": "incident.error.system", "controls": "incident.error.control",
		"contact": kijun.MsgTextControl, "status": "incident.error.required"} {
		if p[key] != want {
			t.Errorf("%s: %q, want %q", key, p[key], want)
		}
	}
	clean, _ := tpl.Check(Update, Values{"controls": "gv-01、DE-02 gv-01", "unknown": "x"}, nil)
	if clean["controls"] != "GV-01, DE-02" || clean["unknown"] != "" {
		t.Errorf("cleaned: %v", clean)
	}
	if got := tpl.Controls(clean); len(got) != 2 || got[0] != "GV-01" {
		t.Errorf("controls: %v", got)
	}
}

func TestLifeAndDues(t *testing.T) {
	if !CanAdd(Open, 0, First) || CanAdd(Open, 1, First) || CanAdd(Open, 0, Update) || CanAdd(Closed, 2, Update) || CanAdd(Closed, 2, Final) || !CanAdd(Open, 1, Final) {
		t.Error("stage order")
	}
	tpl := starter(t)
	filed := time.Date(2026, 12, 1, 23, 30, 0, 0, kijun.JST)
	final, update := tpl.Dues(filed, filed, false)
	if final.Format("2006-01-02") != "2026-12-31" || update.Format("2006-01-02") != "2026-12-08" {
		t.Errorf("dues %v %v", final, update)
	}
	r := Report{Status: Open}
	if r.Overdue(final, time.Date(2026, 12, 31, 23, 59, 0, 0, kijun.JST)) || !r.Overdue(final, time.Date(2027, 1, 1, 0, 0, 0, 0, kijun.JST)) {
		t.Error("overdue from the next day")
	}
	if d := r.DaysOverdue(final, time.Date(2027, 1, 2, 8, 0, 0, 0, kijun.JST)); d != 2 {
		t.Errorf("days overdue %d", d)
	}
	r.Status = Closed
	if r.Overdue(final, time.Date(2027, 3, 1, 0, 0, 0, 0, kijun.JST)) {
		t.Error("a closed report is never overdue")
	}
}

func TestTLP(t *testing.T) {
	if Red.Rank() != 4 || Clear.Rank() != 0 || AmberStrict.Label() != "TLP:AMBER+STRICT" {
		t.Error("ranks or labels")
	}
	if CanRelabel(false, Amber, Green) || !CanRelabel(false, Amber, Red) || !CanRelabel(true, Red, Clear) || CanRelabel(true, Red, "pink") {
		t.Error("the recipients may only narrow; the operator chooses")
	}
	if Amber.Community() || !Green.Community() || !Clear.Community() || Red.Community() {
		t.Error("community sharing")
	}
}

func TestSummaryLeaks(t *testing.T) {
	id := Identity{Names: []string{"東都電力株式会社", "Toto Electric"}, CorporateNumber: "2010401000001", People: []string{"山田 太郎"}}
	for _, body := range []string{"東都電力株式会社で障害", "toto  electric had", "法人番号2010401000001", "担当 山田太郎"} {
		if p := SummaryProblems("t", body, id); p["body"] != "incident.error.identifies" {
			t.Errorf("%q: %v", body, p)
		}
	}
	if p := SummaryProblems("電力分野でのマルウェア感染", "ある事業者で制御系に影響", id); len(p) != 0 {
		t.Errorf("clean summary refused: %v", p)
	}
}
