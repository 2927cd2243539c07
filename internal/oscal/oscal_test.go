package oscal_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/oscal"
	"github.com/kijun-portal/kijun/internal/oscal/oscaltest"
)

func TestUUIDIsStableVersion5(t *testing.T) {
	a, b := oscal.UUID("catalog/x/1"), oscal.UUID("catalog/x/1")
	if a != b {
		t.Fatalf("UUID not deterministic: %s %s", a, b)
	}
	if a == oscal.UUID("catalog/x/2") {
		t.Fatal("different names gave the same UUID")
	}
	if len(a) != 36 || a[14] != '5' || !strings.ContainsRune("89ab", rune(a[19])) {
		t.Fatalf("not an RFC 4122 version 5 UUID: %s", a)
	}
}

func TestResolveParams(t *testing.T) {
	params := map[string]oscal.Parameter{
		"p1": {ID: "p1", Label: "organization-defined frequency"},
		"p2": {ID: "p2", Select: &oscal.Selection{HowMany: "one-or-more", Choice: []string{"daily", "{{ insert: param, p1 }}"}}},
		"p3": {ID: "p3", Values: []string{"30 days"}},
	}
	got := oscal.ResolveParams("Review {{ insert: param, p1 }}; notify {{insert: param, p2}} within {{ insert: param, p3 }} {{ insert: param, nope }}.", params)
	want := "Review [Assignment: organization-defined frequency]; notify [Selection (one or more): daily; [Assignment: organization-defined frequency]] within 30 days {{ insert: param, nope }}."
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSchemaRejectsBrokenDocument(t *testing.T) {
	doc := oscal.Document{Catalog: &oscal.Catalog{
		UUID:     oscal.UUID("x"),
		Metadata: oscal.Metadata{Title: "t", LastModified: "2026-04-21T00:00:00Z", Version: "1", OSCALVersion: oscal.Version},
		Controls: []oscal.Control{{ID: "c-1", Title: "c", Props: []oscal.Property{{Name: "label", Value: " padded "}}}},
	}}
	data, _ := json.Marshal(doc)
	if err := oscaltest.Check(data); err == nil {
		t.Fatal("a prop value with surrounding spaces passed the schema")
	}
	doc.Catalog.Controls[0].Props[0].Value = "C-1"
	data, _ = json.Marshal(doc)
	oscaltest.Validate(t, data)
}
