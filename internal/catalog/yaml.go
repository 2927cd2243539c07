package catalog

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// FormatV1 is the value of the format key of a Kijun YAML catalog; a
// future incompatible format gets a new value instead of guessing.
const FormatV1 = "kijun-catalog/v1"

// ParseYAML reads a catalog in Kijun's YAML format and validates it. It
// walks the YAML node tree instead of decoding into structs so that every
// problem (typos in keys, wrong types, bad codes) is reported at once with
// its line. The catalog is nil only when the YAML cannot be read at all.
func ParseYAML(data []byte, ref Reference) (*Catalog, []Problem) {
	if ps := checkImportSize(data); ps != nil {
		return nil, ps
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, []Problem{yamlSyntaxProblem(err)}
	}
	p := &yamlParser{v: &validator{ref: ref, lines: map[string]int{}, bad: map[string]bool{}}}
	c := &Catalog{}
	if len(doc.Content) == 0 {
		p.problem(1, -1, "", "", msgExpectedMapping, nil)
		return nil, p.v.problems
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.problem(root.Line, -1, "", "", msgExpectedMapping, nil)
		return nil, p.v.problems
	}
	p.catalog(root, c)
	p.v.catalog(c)
	sortProblems(p.v.problems)
	return c, p.v.problems
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlSyntaxProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return Problem{Level: Error, Line: line, ID: msgYAMLSyntax, Args: map[string]any{"Detail": msg}}
}

type yamlParser struct {
	v *validator // shares its problem list, line index and bad-field set
}

func (p *yamlParser) problem(line, i int, ref, field, id string, args map[string]any) {
	p.v.problems = addProblem(p.v.problems, Problem{Level: Error, Line: line, Path: pathOf(i, ref, field), ID: id, Args: args})
}

// entries iterates a mapping's key/value pairs, reporting unknown and
// repeated keys and recording each value's line.
func (p *yamlParser) entries(m *yaml.Node, i int, ref, prefix string, known []string, f func(key string, val *yaml.Node)) {
	seen := map[string]bool{}
	for k := 0; k+1 < len(m.Content); k += 2 {
		key, val := m.Content[k], m.Content[k+1]
		field := prefix + key.Value
		switch {
		case !contains(known, key.Value):
			p.problem(key.Line, i, ref, field, msgUnknownKey, map[string]any{"Key": key.Value})
		case seen[key.Value]:
			p.problem(key.Line, i, ref, field, msgDuplicateKey, map[string]any{"Key": key.Value})
		default:
			seen[key.Value] = true
			p.v.lines[locKey(i, field)] = val.Line
			f(key.Value, val)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// str reads a scalar as written (so version: 2026.10 stays "2026.10").
func (p *yamlParser) str(n *yaml.Node, i int, ref, field string) string {
	if isNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		p.fail(n, i, ref, field, msgExpectedString)
		return ""
	}
	return n.Value
}

func (p *yamlParser) fail(n *yaml.Node, i int, ref, field, id string) {
	p.problem(n.Line, i, ref, field, id, nil)
	p.v.bad[locKey(i, field)] = true
}

func (p *yamlParser) text(n *yaml.Node, i int, ref, field string) kijun.Text {
	var t kijun.Text
	if isNull(n) {
		return t
	}
	if n.Kind != yaml.MappingNode {
		p.fail(n, i, ref, field, msgExpectedMapping)
		return t
	}
	p.entries(n, i, ref, field+".", []string{"ja", "en"}, func(key string, val *yaml.Node) {
		s := p.str(val, i, ref, field+"."+key)
		if key == "ja" {
			t.Ja = s
		} else {
			t.En = s
		}
	})
	return t
}

func (p *yamlParser) list(n *yaml.Node, i int, ref, field string) []string {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, i, ref, field, msgExpectedList)
		return nil
	}
	var out []string
	for j, item := range n.Content {
		f := field + "[" + strconv.Itoa(j) + "]"
		p.v.lines[locKey(i, f)] = item.Line
		if s := p.str(item, i, ref, f); s != "" {
			out = append(out, s)
		}
	}
	return out
}

var (
	catalogKeys = []string{"format", "code", "version", "title", "note", "controls", "revision_reasons"}
	controlKeys = []string{"ref", "section", "title", "statement", "guidance", "themes", "csf", "evidence_expected", "sectors"}
)

func (p *yamlParser) catalog(root *yaml.Node, c *Catalog) {
	format := ""
	p.entries(root, -1, "", "", catalogKeys, func(key string, val *yaml.Node) {
		switch key {
		case "format":
			format = p.str(val, -1, "", key)
			if format != FormatV1 && !p.v.bad[locKey(-1, key)] {
				p.problem(val.Line, -1, "", key, msgUnsupportedFormat, map[string]any{"Format": format, "Want": FormatV1})
			}
			p.v.bad[locKey(-1, key)] = true
		case "code":
			c.Code = p.str(val, -1, "", key)
		case "version":
			c.Version = p.str(val, -1, "", key)
		case "title":
			c.Title = p.text(val, -1, "", key)
		case "note":
			c.Note = p.text(val, -1, "", key)
		case "revision_reasons":
			c.Reasons = p.reasons(val)
		case "controls":
			if isNull(val) {
				return
			}
			if val.Kind != yaml.SequenceNode {
				p.fail(val, -1, "", key, msgExpectedList)
				return
			}
			for i, n := range val.Content {
				c.Controls = append(c.Controls, p.control(n, i))
			}
		}
	})
	if !p.v.bad[locKey(-1, "format")] {
		p.problem(root.Line, -1, "", "format", msgMissingFormat, map[string]any{"Want": FormatV1})
	}
}

// reasons reads revision_reasons: a mapping from ref to its 改定理由.
func (p *yamlParser) reasons(n *yaml.Node) map[string]string {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.fail(n, -1, "", "revision_reasons", msgExpectedMapping)
		return nil
	}
	out := map[string]string{}
	for k := 0; k+1 < len(n.Content); k += 2 {
		key, val := n.Content[k], n.Content[k+1]
		field := "revision_reasons." + key.Value
		if _, dup := out[key.Value]; dup {
			p.problem(key.Line, -1, "", field, msgDuplicateKey, map[string]any{"Key": key.Value})
			continue
		}
		p.v.lines[locKey(-1, field)] = val.Line
		if s := strings.TrimSpace(p.str(val, -1, "", field)); s != "" {
			out[key.Value] = s
		} else if !p.v.bad[locKey(-1, field)] {
			p.problem(val.Line, -1, "", field, msgRequired, nil)
		}
	}
	return out
}

func (p *yamlParser) control(n *yaml.Node, i int) Control {
	var c Control
	p.v.lines[locKey(i, "")] = n.Line
	if n.Kind != yaml.MappingNode {
		p.fail(n, i, "", "", msgExpectedMapping)
		p.v.bad[locKey(i, "ref")] = true // do not also call it missing
		return c
	}
	// Read the ref first so that every problem in this control names it.
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == "ref" && n.Content[k+1].Kind == yaml.ScalarNode {
			c.Ref = n.Content[k+1].Value
		}
	}
	ref := c.Ref
	p.entries(n, i, ref, "", controlKeys, func(key string, val *yaml.Node) {
		switch key {
		case "ref":
			c.Ref = p.str(val, i, ref, key)
		case "section":
			c.Section = p.str(val, i, ref, key)
		case "title":
			c.Title = p.text(val, i, ref, key)
		case "statement":
			c.Statement = p.text(val, i, ref, key)
		case "guidance":
			c.Guidance = p.text(val, i, ref, key)
		case "themes":
			c.Themes = p.list(val, i, ref, key)
		case "csf":
			c.CSF = p.list(val, i, ref, key)
		case "sectors":
			c.Sectors = p.list(val, i, ref, key)
		case "evidence_expected":
			if isNull(val) {
				return
			}
			if val.Kind != yaml.ScalarNode || val.Decode(&c.EvidenceExpected) != nil {
				p.fail(val, i, ref, key, msgExpectedBool)
			}
		}
	})
	return c
}

// WriteYAML writes c in Kijun's YAML format, in the key order of the
// format description, so that files diff well between versions. Short
// texts and code lists are written inline, long texts as literal blocks.
func WriteYAML(w io.Writer, c *Catalog) error {
	root := mapping(false)
	add(root, "format", str(FormatV1))
	add(root, "code", str(c.Code))
	add(root, "version", str(c.Version))
	add(root, "title", text(c.Title))
	if c.Note != (kijun.Text{}) {
		add(root, "note", text(c.Note))
	}
	controls := &yaml.Node{Kind: yaml.SequenceNode}
	for _, ctl := range c.Controls {
		m := mapping(false)
		add(m, "ref", str(ctl.Ref))
		add(m, "section", str(ctl.Section))
		add(m, "title", text(ctl.Title))
		add(m, "statement", text(ctl.Statement))
		if ctl.Guidance != (kijun.Text{}) {
			add(m, "guidance", text(ctl.Guidance))
		}
		add(m, "themes", strs(ctl.Themes))
		add(m, "csf", strs(ctl.CSF))
		add(m, "evidence_expected", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(ctl.EvidenceExpected)})
		add(m, "sectors", strs(ctl.Sectors))
		controls.Content = append(controls.Content, m)
	}
	add(root, "controls", controls)
	if refs := sortedRefs(c.Reasons); len(refs) > 0 {
		m := mapping(false)
		for _, ref := range refs {
			add(m, ref, str(c.Reasons[ref]))
		}
		add(root, "revision_reasons", m)
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func add(m *yaml.Node, key string, val *yaml.Node) {
	m.Content = append(m.Content, str(key), val)
}

func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func text(t kijun.Text) *yaml.Node {
	multi := strings.Contains(t.Ja, "\n") || strings.Contains(t.En, "\n")
	m := mapping(!multi)
	add(m, "ja", str(t.Ja))
	add(m, "en", str(t.En))
	return m
}

func strs(list []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{}}
	for _, s := range list {
		n.Content = append(n.Content, str(s))
	}
	return n
}
