package catalog_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/kijun"
)

func TestDiffExact(t *testing.T) {
	t.Parallel()
	kept := catalog.Control{
		Ref: "GV-01", Section: "GV",
		Title:     kijun.Text{Ja: "組織の状況", En: "Context"},
		Statement: kijun.Text{Ja: "把握すること。", En: "Understand it."},
		Themes:    []string{"resilience"}, CSF: []string{"GV.OC"},
	}
	edited := catalog.Control{
		Ref: "PR-01", Section: "PR",
		Title:            kijun.Text{Ja: "バックアップ", En: "Backups"},
		Statement:        kijun.Text{Ja: "取得すること。", En: "Take them."},
		Guidance:         kijun.Text{Ja: "週次。", En: "Weekly."},
		Themes:           []string{"resilience", "supply-chain"},
		CSF:              []string{"PR.DS", "RC.RP"},
		EvidenceExpected: false,
		Sectors:          nil,
		Version:          3,
	}
	gone := catalog.Control{Ref: "DE-01", Section: "DE", Title: kijun.Text{Ja: "監視", En: "Monitoring"}}
	reordered := catalog.Control{Ref: "ID-01", Section: "ID", Title: kijun.Text{Ja: "資産", En: "Assets"},
		CSF: []string{"ID.AM", "GV.OC"}, Version: 1}
	old := &catalog.Catalog{
		Code: "kijun-baseline", Version: "1", Title: kijun.Text{Ja: "基準", En: "Baseline"},
		Controls: []catalog.Control{kept, edited, gone, reordered},
	}

	editedNew := edited
	editedNew.Title = kijun.Text{Ja: "オフラインバックアップ", En: "Backups"}
	editedNew.Guidance = kijun.Text{Ja: "週次。", En: "Every week."}
	editedNew.Themes = []string{"supply-chain", "resilience", "closed-network"}
	editedNew.CSF = []string{"PR.DS"}
	editedNew.EvidenceExpected = true
	editedNew.Sectors = []string{"electricity", "gas"}
	editedNew.Version = 1 // a new draft restarts edit versions: not a change
	reorderedNew := reordered
	reorderedNew.CSF = []string{"GV.OC", "ID.AM"} // same codes, other order: not a change
	reorderedNew.Version = 7
	keptNew := kept
	keptNew.Themes = []string{"resilience"}
	added := catalog.Control{Ref: "TT-09", Section: "TT", Title: kijun.Text{Ja: "生成AI", En: "Generative AI"}}
	moved := catalog.Control{Ref: "DE-01", Section: "RR", Title: kijun.Text{Ja: "監視", En: "Monitoring"}}
	moved.Ref = "DE-02" // a ref that changes is a removal plus an addition
	newer := &catalog.Catalog{
		Code: "kijun-baseline", Version: "2", Title: kijun.Text{Ja: "基準", En: "Baseline measures"},
		Note:     kijun.Text{Ja: "改定", En: ""},
		Controls: []catalog.Control{added, editedNew, keptNew, reorderedNew, moved},
	}

	got := catalog.Diff(old, newer)
	want := catalog.Changes{
		Catalog: []catalog.FieldChange{
			{Field: "title.en", Old: "Baseline", New: "Baseline measures",
				Words: []catalog.Segment{{Op: catalog.Same, Text: "Baseline"}, {Op: catalog.Inserted, Text: " measures"}}},
			{Field: "note.ja", Old: "", New: "改定", Words: []catalog.Segment{{Op: catalog.Inserted, Text: "改定"}}},
		},
		Added:   []catalog.Control{added, moved},
		Removed: []catalog.Control{gone},
		Changed: []catalog.ControlChange{{
			Ref: "PR-01", Old: edited, New: editedNew,
			Fields: []catalog.FieldChange{
				{Field: "title.ja", Old: "バックアップ", New: "オフラインバックアップ",
					Words: []catalog.Segment{{Op: catalog.Inserted, Text: "オフライン"}, {Op: catalog.Same, Text: "バックアップ"}}},
				{Field: "guidance.en", Old: "Weekly.", New: "Every week.",
					Words: []catalog.Segment{{Op: catalog.Deleted, Text: "Weekly"}, {Op: catalog.Inserted, Text: "Every week"}, {Op: catalog.Same, Text: "."}}},
				{Field: "themes", Old: "resilience, supply-chain", New: "supply-chain, resilience, closed-network",
					Added: []string{"closed-network"}},
				{Field: "csf", Old: "PR.DS, RC.RP", New: "PR.DS", Removed: []string{"RC.RP"}},
				{Field: "evidence_expected", Old: "false", New: "true"},
				{Field: "sectors", Old: "", New: "electricity, gas", Added: []string{"electricity", "gas"}},
			},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff:\nhave %+v\nwant %+v", got, want)
	}
	if got.Empty() {
		t.Error("Empty() on a real diff")
	}
}

func TestDiffSectionAndBothLanguages(t *testing.T) {
	t.Parallel()
	o := catalog.Control{Ref: "X-01", Section: "GV", Title: kijun.Text{Ja: "a", En: "b"},
		Statement: kijun.Text{Ja: "c", En: "d"}, Guidance: kijun.Text{Ja: "e", En: "f"}}
	n := catalog.Control{Ref: "X-01", Section: "PR", Title: kijun.Text{Ja: "A", En: "B"},
		Statement: kijun.Text{Ja: "C", En: "D"}, Guidance: kijun.Text{Ja: "E", En: "F"}}
	got := catalog.Diff(&catalog.Catalog{Controls: []catalog.Control{o}}, &catalog.Catalog{Controls: []catalog.Control{n}})
	var fields []string
	for _, f := range got.Changed[0].Fields {
		fields = append(fields, f.Field+":"+f.Old+">"+f.New)
	}
	want := []string{"section:GV>PR", "title.ja:a>A", "title.en:b>B", "statement.ja:c>C", "statement.en:d>D",
		"guidance.ja:e>E", "guidance.en:f>F"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("fields\nhave %v\nwant %v", fields, want)
	}
}

func TestDiffIdenticalAndNil(t *testing.T) {
	t.Parallel()
	c := &catalog.Catalog{Title: kijun.Text{Ja: "t", En: "t"}, Controls: []catalog.Control{
		{Ref: "GV-01", Section: "GV", Themes: []string{}, Sectors: nil, Version: 1},
	}}
	d := &catalog.Catalog{Title: kijun.Text{Ja: "t", En: "t"}, Controls: []catalog.Control{
		{Ref: "GV-01", Section: "GV", Themes: nil, Sectors: []string{}, Version: 9},
	}}
	if ch := catalog.Diff(c, d); !ch.Empty() {
		t.Errorf("identical content: %+v", ch)
	}
	ch := catalog.Diff(nil, c)
	if len(ch.Added) != 1 || len(ch.Removed) != 0 || len(ch.Catalog) != 2 {
		t.Errorf("from nil: %+v", ch)
	}
}

// Changed texts are diffed word by word; Japanese words are runs of one
// script, so a changed kanji compound or okurigana shows as that run only.
func TestWordDiff(t *testing.T) {
	show := func(segs []catalog.Segment) string {
		var b strings.Builder
		for _, s := range segs {
			switch s.Op {
			case catalog.Inserted:
				b.WriteString("[+" + s.Text + "]")
			case catalog.Deleted:
				b.WriteString("[-" + s.Text + "]")
			default:
				b.WriteString(s.Text)
			}
		}
		return b.String()
	}
	for _, c := range []struct{ old, new, want string }{
		{"重要インフラサービスと依存関係を把握すること。", "重要インフラサービスと外部依存関係を定期的に把握すること。",
			"重要インフラサービスと[+外部]依存関係を[+定期的に]把握すること。"},
		{"Understand the services and their dependencies.", "Understand the critical services and their dependencies.",
			"Understand the [+critical ]services and their dependencies."},
		{"バックアップを取得する。", "バックアップを毎日取得する。", "バックアップを[+毎日]取得する。"},
		{"同じ", "同じ", "同じ"},
		// Words with little in common stay whole.
		{"管理策を定める。", "対策項目を定める。", "[-管理策][+対策項目]を定める。"},
		{"", "新しい文", "[+新しい文]"},
	} {
		if got := show(catalog.WordDiff(c.old, c.new)); got != c.want {
			t.Errorf("WordDiff(%q, %q)\n got %s\nwant %s", c.old, c.new, got, c.want)
		}
	}
	// Both sides are rebuilt exactly from the segments.
	old, new := "対策項目GV-01の本文。", "対策項目GV-02の新しい本文。"
	var o, n strings.Builder
	for _, s := range catalog.WordDiff(old, new) {
		if s.Op != catalog.Inserted {
			o.WriteString(s.Text)
		}
		if s.Op != catalog.Deleted {
			n.WriteString(s.Text)
		}
	}
	if o.String() != old || n.String() != new {
		t.Errorf("segments rebuild %q / %q", o.String(), n.String())
	}
}
