// Package oscal holds the OSCAL 1.1 JSON building blocks Kijun shares
// between its interchange formats (catalogs now, profiles and
// assessment-results later), so each mapper speaks the same dialect:
// the same namespace for our own props, the same deterministic UUIDs and
// the same handling of parameter insertions in prose.
package oscal

import (
	"crypto/sha1"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Version is the OSCAL version Kijun writes; exports are validated against
// this version's complete JSON schema in the tests.
const Version = "1.1.3"

// Namespace qualifies the props and parts Kijun adds to OSCAL documents.
// OSCAL reserves unqualified names for NIST's own vocabulary, so anything
// of ours (translations, themes, sectors, …) carries this ns.
const Namespace = "https://kijun.go.jp/ns/oscal"

// Document is the root of an OSCAL JSON file. Exactly one of its fields is
// set; further models (profile, assessment-results) join as they are needed.
type Document struct {
	Catalog *Catalog `json:"catalog,omitempty"`
}

// Catalog is an OSCAL control catalog.
type Catalog struct {
	UUID       string      `json:"uuid"`
	Metadata   Metadata    `json:"metadata"`
	Params     []Parameter `json:"params,omitempty"`
	Controls   []Control   `json:"controls,omitempty"`
	Groups     []Group     `json:"groups,omitempty"`
	BackMatter *BackMatter `json:"back-matter,omitempty"`
}

// Metadata is the document metadata every OSCAL model carries.
type Metadata struct {
	Title        string     `json:"title"`
	Published    string     `json:"published,omitempty"`
	LastModified string     `json:"last-modified"`
	Version      string     `json:"version"`
	OSCALVersion string     `json:"oscal-version"`
	Props        []Property `json:"props,omitempty"`
	Links        []Link     `json:"links,omitempty"`
	Revisions    []Revision `json:"revisions,omitempty"`
	Remarks      string     `json:"remarks,omitempty"`
}

// Revision is one entry of a document's revision history.
type Revision struct {
	Title        string     `json:"title,omitempty"`
	Published    string     `json:"published,omitempty"`
	LastModified string     `json:"last-modified,omitempty"`
	Version      string     `json:"version"`
	OSCALVersion string     `json:"oscal-version,omitempty"`
	Props        []Property `json:"props,omitempty"`
	Remarks      string     `json:"remarks,omitempty"`
}

// Property is a namespace-qualified name/value pair. Value must be a single
// line without surrounding whitespace (OSCAL's string datatype); longer
// text goes into Remarks.
type Property struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid,omitempty"`
	NS      string `json:"ns,omitempty"`
	Value   string `json:"value"`
	Class   string `json:"class,omitempty"`
	Group   string `json:"group,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

// Link points at another document, resource or fragment (#id).
type Link struct {
	Href      string `json:"href"`
	Rel       string `json:"rel,omitempty"`
	MediaType string `json:"media-type,omitempty"`
	Text      string `json:"text,omitempty"`
}

// Group is a group of controls (and of further groups) in a catalog.
type Group struct {
	ID       string      `json:"id,omitempty"`
	Class    string      `json:"class,omitempty"`
	Title    string      `json:"title"`
	Params   []Parameter `json:"params,omitempty"`
	Props    []Property  `json:"props,omitempty"`
	Links    []Link      `json:"links,omitempty"`
	Parts    []Part      `json:"parts,omitempty"`
	Groups   []Group     `json:"groups,omitempty"`
	Controls []Control   `json:"controls,omitempty"`
}

// Control is one control; Controls holds its enhancements or, in NIST's
// CSF catalog, a category's subcategories.
type Control struct {
	ID       string      `json:"id"`
	Class    string      `json:"class,omitempty"`
	Title    string      `json:"title"`
	Params   []Parameter `json:"params,omitempty"`
	Props    []Property  `json:"props,omitempty"`
	Links    []Link      `json:"links,omitempty"`
	Parts    []Part      `json:"parts,omitempty"`
	Controls []Control   `json:"controls,omitempty"`
}

// Part is a piece of a control's text (statement, guidance, …); parts nest,
// as statement items do.
type Part struct {
	ID    string     `json:"id,omitempty"`
	Name  string     `json:"name"`
	NS    string     `json:"ns,omitempty"`
	Class string     `json:"class,omitempty"`
	Title string     `json:"title,omitempty"`
	Props []Property `json:"props,omitempty"`
	Prose string     `json:"prose,omitempty"`
	Parts []Part     `json:"parts,omitempty"`
	Links []Link     `json:"links,omitempty"`
}

// Parameter is a value a control's prose leaves open ("{{ insert: param,
// id }}"), to be set by a profile or an implementation.
type Parameter struct {
	ID         string      `json:"id"`
	Class      string      `json:"class,omitempty"`
	Props      []Property  `json:"props,omitempty"`
	Links      []Link      `json:"links,omitempty"`
	Label      string      `json:"label,omitempty"`
	Usage      string      `json:"usage,omitempty"`
	Guidelines []Guideline `json:"guidelines,omitempty"`
	Values     []string    `json:"values,omitempty"`
	Select     *Selection  `json:"select,omitempty"`
	Remarks    string      `json:"remarks,omitempty"`
}

// Guideline is advice on choosing a parameter's value.
type Guideline struct {
	Prose string `json:"prose"`
}

// Selection is a parameter whose value is chosen from fixed choices.
type Selection struct {
	HowMany string   `json:"how-many,omitempty"` // "one" or "one-or-more"
	Choice  []string `json:"choice,omitempty"`
}

// BackMatter holds the resources a document cites or attaches.
type BackMatter struct {
	Resources []Resource `json:"resources,omitempty"`
}

// Resource is one cited or attached resource (evidence, a reference, …).
type Resource struct {
	UUID        string     `json:"uuid"`
	Title       string     `json:"title,omitempty"`
	Description string     `json:"description,omitempty"`
	Props       []Property `json:"props,omitempty"`
	Rlinks      []Rlink    `json:"rlinks,omitempty"`
	Base64      *Base64    `json:"base64,omitempty"`
	Remarks     string     `json:"remarks,omitempty"`
}

// Rlink is a resource's URL, optionally with its hashes.
type Rlink struct {
	Href      string `json:"href"`
	MediaType string `json:"media-type,omitempty"`
	Hashes    []Hash `json:"hashes,omitempty"`
}

// Hash is a digest of a resource's bytes.
type Hash struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

// Base64 carries a resource's bytes inline.
type Base64 struct {
	Filename  string `json:"filename,omitempty"`
	MediaType string `json:"media-type,omitempty"`
	Value     string `json:"value"`
}

// namespaceUUID is the UUIDv5 namespace for every UUID Kijun derives: the
// RFC 4122 URL namespace applied to our OSCAL namespace URL.
var namespaceUUID = uuidV5(urlNamespace, Namespace)

// urlNamespace is RFC 4122's name space ID for URLs.
var urlNamespace = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// UUID returns a name-based (version 5) UUID for name, so that exporting
// the same object twice gives the same document. Names should say what
// they identify, e.g. "catalog/kijun-baseline/2026.1".
func UUID(name string) string {
	return formatUUID(uuidV5(namespaceUUID, name))
}

func uuidV5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// FormatTime writes t the way OSCAL's date-time-with-timezone wants it.
func FormatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// ParseTime reads an OSCAL date-time (RFC 3339, any fraction).
func ParseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

var tokenRE = regexp.MustCompile(`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`)

// IsToken reports whether s may be used as an OSCAL id, name or class.
func IsToken(s string) bool { return tokenRE.MatchString(s) }

// IsString reports whether s is a valid OSCAL string (a prop value): one
// line, not empty, no leading or trailing whitespace.
func IsString(s string) bool {
	return s != "" && !strings.ContainsAny(s, "\n\r") && strings.TrimSpace(s) == s
}

// Prop returns the value of the first prop called name in namespace ns
// ("" is OSCAL's own namespace), and whether there was one.
func Prop(props []Property, ns, name string) (string, bool) {
	for _, p := range props {
		if p.Name == name && sameNS(p.NS, ns) {
			return p.Value, true
		}
	}
	return "", false
}

// Props returns the values of every prop called name in namespace ns.
func Props(props []Property, ns, name string) []string {
	var vs []string
	for _, p := range props {
		if p.Name == name && sameNS(p.NS, ns) {
			vs = append(vs, p.Value)
		}
	}
	return vs
}

// nistNS is the namespace OSCAL uses when ns is omitted.
const nistNS = "http://csrc.nist.gov/ns/oscal"

func sameNS(a, b string) bool {
	norm := func(s string) string {
		if s == nistNS || s == "https://csrc.nist.gov/ns/oscal" {
			return ""
		}
		return s
	}
	return norm(a) == norm(b)
}

var insertRE = regexp.MustCompile(`\{\{\s*insert:\s*param,\s*([^\s}]+)\s*\}\}`)

// ResolveParams replaces each "{{ insert: param, id }}" in prose with the
// parameter's value, or NIST's bracketed placeholder when none is set
// ("[Assignment: label]", "[Selection (one or more): a; b]"), so the text
// reads as a sentence once it leaves OSCAL. Unknown ids are left as they are.
func ResolveParams(prose string, params map[string]Parameter) string {
	return resolveParams(prose, params, 0)
}

func resolveParams(prose string, params map[string]Parameter, depth int) string {
	if depth > 8 { // choices may insert params; stop runaway cycles
		return prose
	}
	return insertRE.ReplaceAllStringFunc(prose, func(m string) string {
		id := insertRE.FindStringSubmatch(m)[1]
		p, ok := params[id]
		if !ok {
			return m
		}
		switch {
		case len(p.Values) > 0:
			return strings.Join(p.Values, ", ")
		case p.Select != nil:
			choices := make([]string, len(p.Select.Choice))
			for i, c := range p.Select.Choice {
				choices[i] = resolveParams(c, params, depth+1)
			}
			kind := "Selection"
			if p.Select.HowMany == "one-or-more" {
				kind = "Selection (one or more)"
			}
			return "[" + kind + ": " + strings.Join(choices, "; ") + "]"
		case p.Label != "":
			return "[Assignment: " + p.Label + "]"
		default:
			return "[Assignment: " + id + "]"
		}
	})
}
