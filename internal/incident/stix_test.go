package incident

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// stixSchemas compiles OASIS's STIX 2.1 schemas from testdata (every file
// loaded under its $id, as the schemas refer to each other by it): the
// bundle's and, by type, the objects' own.
func stixSchemas(t *testing.T) (bundle *jsonschema.Schema, byType map[string]*jsonschema.Schema) {
	t.Helper()
	c := jsonschema.NewCompiler()
	ids := map[string]string{}
	err := filepath.WalkDir("testdata/stix/schemas", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return err
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		ids[strings.TrimSuffix(filepath.Base(path), ".json")] = id
		return c.AddResource(id, doc)
	})
	if err != nil {
		t.Fatal(err)
	}
	byType = map[string]*jsonschema.Schema{}
	for _, name := range []string{"bundle", "identity", "marking-definition", "incident", "report"} {
		s, err := c.Compile(ids[name])
		if err != nil {
			t.Fatal(err)
		}
		byType[name] = s
	}
	return byType["bundle"], byType
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// TestSTIXBundleValidates: a summary's bundle (identity, TLP 2.0 marking,
// incident, report) is valid against the OASIS STIX 2.1 schemas, for
// every label a summary may carry: every object against its own type's
// schema, and the bundle against bundle.json. The released bundle.json
// does not list `incident` among its objects and its custom-object branch
// matches an incident twice (core and cyber-observable-core under oneOf),
// so it refuses every incident: the bundle is checked with its incident
// taken out, the incident against sdos/incident.json (docs/incidents.md).
// A broken object is refused, so the check can fail.
func TestSTIXBundleValidates(t *testing.T) {
	schema, byType := stixSchemas(t)
	for _, tlp := range []TLP{Green, Clear} {
		s := Summary{ID: 7, TLP: tlp, Title: "電力分野でのマルウェア感染", Body: "保守用端末を経由した感染が報告されました。",
			Kind: "malware", PublishedAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
		b, err := STIXBundle(s, "重要インフラ統一基準ポータル", "マルウェア感染")
		if err != nil {
			t.Fatal(err)
		}
		var bundle map[string]any
		if err := json.Unmarshal(b, &bundle); err != nil {
			t.Fatal(err)
		}
		types := map[string]bool{}
		var listed []any
		for _, x := range bundle["objects"].([]any) {
			o := x.(map[string]any)
			one, _ := json.Marshal(o)
			if err := validate(t, byType[o["type"].(string)], one); err != nil {
				t.Errorf("%s: %s not valid STIX 2.1: %v\n%s", tlp, o["type"], err, one)
			}
			if o["type"] != "incident" {
				listed = append(listed, o)
			}
			types[o["type"].(string)] = true
			if o["type"] == "marking-definition" && o["name"] != tlp.Label() {
				t.Errorf("marking %v", o["name"])
			}
		}
		bundle["objects"] = listed
		envelope, _ := json.Marshal(bundle)
		if err := validate(t, schema, envelope); err != nil {
			t.Errorf("%s: bundle not valid STIX 2.1: %v\n%s", tlp, err, envelope)
		}
		for _, want := range []string{"identity", "marking-definition", "incident", "report"} {
			if !types[want] {
				t.Errorf("bundle lacks %s", want)
			}
		}
		again, _ := STIXBundle(s, "重要インフラ統一基準ポータル", "マルウェア感染")
		if !bytes.Equal(b, again) {
			t.Error("ids are not stable")
		}
	}
	if validate(t, byType["incident"], []byte(`{"type": "incident", "spec_version": "2.1", "id": "incident--x"}`)) == nil {
		t.Error("a broken incident validates")
	}
	if validate(t, schema, []byte(`{"type": "bundle", "id": "bundle--x", "objects": [{"type": "report", "spec_version": "2.1"}]}`)) == nil {
		t.Error("a broken bundle validates")
	}
}
