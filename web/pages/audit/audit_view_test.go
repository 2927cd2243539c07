package audit

import (
	"context"
	"encoding/json"
	"testing"

	kaudit "github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Every recorded action has a name in both languages: the log never shows
// a raw key such as assessment.answer.save.
func TestEveryActionIsNamed(t *testing.T) {
	for _, lang := range []kijun.Lang{kijun.Ja, kijun.En} {
		ctx := i18n.WithLocalizer(context.Background(), i18n.New(lang))
		for _, a := range kaudit.Actions {
			if got := ActionLabel(ctx, a); got == a || got == "" {
				t.Errorf("%s: action %s has no name", lang, a)
			}
		}
	}
}

// Before/after JSON reads as the fields that changed, named, with values
// as text: bilingual texts, lists, yes/no.
func TestChangesAreReadable(t *testing.T) {
	ctx := i18n.WithLocalizer(context.Background(), i18n.New(kijun.Ja))
	e := kaudit.Event{
		Before: json.RawMessage(`{"status":"submitted","Title":{"Ja":"方針","En":"Policy"},"Themes":["resilience"],"EvidenceExpected":false,"Version":2}`),
		After:  json.RawMessage(`{"status":"accepted","Title":{"Ja":"方針","En":"Policy"},"Themes":["resilience","supply-chain"],"EvidenceExpected":true,"Version":2}`),
	}
	got := Changes(ctx, e)
	want := []Change{
		{Field: "証跡の要否", Before: "いいえ", After: "はい"},
		{Field: "テーマ", Before: "resilience", After: "resilience、supply-chain"},
		{Field: "状態", Before: "提出済み", After: "受理済み"},
	}
	if len(got) != len(want) {
		t.Fatalf("changes %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	created := Changes(ctx, kaudit.Event{After: json.RawMessage(`{"name_ja":"東都送配電"}`)})
	if len(created) != 1 || created[0] != (Change{Field: "名称(日本語)", After: "東都送配電"}) {
		t.Errorf("creation: %+v", created)
	}
}
