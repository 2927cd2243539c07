package incident

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// STIX 2.1 export of an anonymised summary (docs/incidents.md,
// "Interchange"): a bundle with the portal's identity, the TLP 2.0 marking
// definition of the summary's label, an incident and a report that
// refers to it. Nothing of the operator is in it: the summary holds none.

// tlpMarkings are the TLP 2.0 marking definitions as FIRST publishes them
// for STIX 2.1 (fixed ids, the extension definition below).
var tlpMarkings = map[TLP]string{
	Clear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	Green:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	Amber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	AmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	Red:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

const (
	tlpExtension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
	tlpCreatedBy = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"
	tlpCreated   = "2022-10-01T00:00:00.000Z"
	// stixNamespace makes the ids of exported objects stable (UUIDv5).
	stixNamespace = "kijun-portal:incident-summary"
)

// stixID is a deterministic STIX id (a UUIDv5 of name).
func stixID(kind, name string) string {
	h := sha1.Sum([]byte(stixNamespace + ":" + kind + ":" + name))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	s := hex.EncodeToString(h[:16])
	return fmt.Sprintf("%s--%s-%s-%s-%s-%s", kind, s[0:8], s[8:12], s[12:16], s[16:20], s[20:32])
}

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// STIXBundle writes summary s as a STIX 2.1 bundle. publisher names the
// identity that creates the objects (the portal), kindLabel the kind of
// event in words; now is the bundle's time.
func STIXBundle(s Summary, publisher, kindLabel string) ([]byte, error) {
	marking, ok := tlpMarkings[s.TLP]
	if !ok {
		return nil, fmt.Errorf("incident: no TLP marking for %q", s.TLP)
	}
	id := fmt.Sprint(s.ID)
	identity := stixID("identity", "portal")
	incidentID := stixID("incident", id)
	ts := stixTime(s.PublishedAt)
	var labels []string
	if s.Kind != "" {
		labels = []string{s.Kind}
	}
	objects := []map[string]any{
		{
			"type": "identity", "spec_version": "2.1", "id": identity, "created": ts, "modified": ts,
			"name": publisher, "identity_class": "system",
		},
		{
			"type": "marking-definition", "spec_version": "2.1", "id": marking, "created": tlpCreated,
			"created_by_ref": tlpCreatedBy, "name": s.TLP.Label(),
			"extensions": map[string]any{tlpExtension: map[string]any{"extension_type": "property-extension", "tlp_2_0": string(s.TLP)}},
		},
		omitEmpty(map[string]any{
			"type": "incident", "spec_version": "2.1", "id": incidentID, "created": ts, "modified": ts,
			"created_by_ref": identity, "name": s.Title, "description": s.Body, "object_marking_refs": []string{marking},
			"labels": labels,
		}),
		omitEmpty(map[string]any{
			"type": "report", "spec_version": "2.1", "id": stixID("report", id), "created": ts, "modified": ts,
			"created_by_ref": identity, "name": s.Title, "description": kindLabel, "published": ts,
			"report_types": []string{"threat-report"}, "object_refs": []string{incidentID}, "object_marking_refs": []string{marking},
		}),
	}
	return json.MarshalIndent(map[string]any{"type": "bundle", "id": stixID("bundle", id), "objects": objects}, "", "  ")
}

// omitEmpty drops empty strings and nil lists (STIX forbids empty
// optional properties).
func omitEmpty(m map[string]any) map[string]any {
	for k, v := range m {
		switch x := v.(type) {
		case string:
			if x == "" {
				delete(m, k)
			}
		case []string:
			if len(x) == 0 {
				delete(m, k)
			}
		}
	}
	return m
}
