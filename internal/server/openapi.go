package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kijun-portal/kijun/internal/server/api"
	"github.com/kijun-portal/kijun/web/pages/apiref"
)

// openAPIJSON is the API's OpenAPI document (api/openapi.yaml, the single
// description of the API) as JSON, converted once at start: it is the
// same for every caller.
var openAPIJSON = func() []byte {
	var doc any
	if err := yaml.Unmarshal(api.Document, &doc); err != nil {
		panic("api/openapi.yaml: " + err.Error())
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("api/openapi.yaml: " + err.Error())
	}
	return b
}()

// OpenAPIDocument returns the document as JSON (for tests and tools).
func OpenAPIDocument() []byte { return openAPIJSON }

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, err := w.Write(openAPIJSON)
	return err
}

// apiReference is the reference page's view of the document, built once.
var apiReference = func() apiref.View {
	var doc map[string]any
	if err := yaml.Unmarshal(api.Document, &doc); err != nil {
		panic("api/openapi.yaml: " + err.Error())
	}
	return buildReference(doc)
}()

func (s *Server) handleAPIReference(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, apiref.Index(apiReference))
}

// buildReference walks the document into the page's view: operations by
// tag in the document's order of paths, then the schemas.
func buildReference(doc map[string]any) apiref.View {
	m := func(v any) map[string]any { x, _ := v.(map[string]any); return x }
	str := func(v any) string { x, _ := v.(string); return x }
	info := m(doc["info"])
	v := apiref.View{Title: str(info["title"]), Version: str(info["version"]), Description: str(info["description"])}
	// deref follows a local $ref ("#/components/kind/name").
	deref := func(x map[string]any) (map[string]any, string) {
		ref := str(x["$ref"])
		if ref == "" {
			return x, ""
		}
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		node := doc
		for _, p := range parts {
			node = m(node[p])
		}
		return node, parts[len(parts)-1]
	}
	var typeOf func(x map[string]any) string
	typeOf = func(x map[string]any) string {
		if _, name := deref(x); name != "" {
			return name
		}
		switch t := str(x["type"]); t {
		case "array":
			return "array of " + typeOf(m(x["items"]))
		case "":
			if all, ok := x["allOf"].([]any); ok && len(all) > 0 {
				return typeOf(m(all[0])) + " +"
			}
			return "any"
		default:
			if f := str(x["format"]); f != "" {
				return t + " (" + f + ")"
			}
			return t
		}
	}
	groups := map[string]*apiref.Group{}
	for _, t := range doc["tags"].([]any) {
		tag := m(t)
		g := &apiref.Group{Name: str(tag["name"]), Description: str(tag["description"])}
		groups[g.Name] = g
		v.Groups = append(v.Groups, apiref.Group{})
	}
	paths := m(doc["paths"])
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, path := range keys {
		for _, method := range []string{"get", "post", "put", "patch", "delete"} {
			op := m(m(paths[path])[method])
			if op == nil {
				continue
			}
			o := apiref.Operation{ID: str(op["operationId"]), Method: strings.ToUpper(method), Path: apiPrefix + path,
				Summary: str(op["summary"])}
			if sec, ok := op["security"].([]any); ok {
				o.Public = len(sec) == 0
				for _, s := range sec {
					o.Public = o.Public || len(m(s)) == 0
				}
			}
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				pm, _ := deref(m(p))
				req, _ := pm["required"].(bool)
				o.Parameters = append(o.Parameters, apiref.Parameter{Name: str(pm["name"]), In: str(pm["in"]),
					Type: typeOf(m(pm["schema"])), Description: str(pm["description"]), Required: req})
			}
			if body := m(op["requestBody"]); body != nil {
				o.Body = typeOf(m(m(m(m(body["content"])["application/json"]))["schema"]))
			}
			resps := m(op["responses"])
			codes := make([]string, 0, len(resps))
			for c := range resps {
				codes = append(codes, c)
			}
			slices.Sort(codes)
			for _, c := range codes {
				rm, _ := deref(m(resps[c]))
				resp := apiref.Response{Status: c, Description: str(rm["description"])}
				for _, ct := range m(rm["content"]) {
					if sc := m(m(ct)["schema"]); sc != nil {
						if _, name := deref(sc); name != "" {
							resp.Schema = name
						}
					}
				}
				o.Responses = append(o.Responses, resp)
			}
			tags, _ := op["tags"].([]any)
			if len(tags) > 0 && groups[str(tags[0])] != nil {
				g := groups[str(tags[0])]
				g.Operations = append(g.Operations, o)
			}
		}
	}
	for i, t := range doc["tags"].([]any) {
		v.Groups[i] = *groups[str(m(t)["name"])]
	}
	schemas := m(m(doc["components"])["schemas"])
	names := make([]string, 0, len(schemas))
	for n := range schemas {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		sc := m(schemas[n])
		out := apiref.Schema{Name: n, Description: str(sc["description"])}
		parts := []map[string]any{sc}
		if all, ok := sc["allOf"].([]any); ok {
			parts = nil
			for _, a := range all {
				x, _ := deref(m(a))
				parts = append(parts, x)
			}
		}
		for _, part := range parts {
			required := map[string]bool{}
			if rs, ok := part["required"].([]any); ok {
				for _, r := range rs {
					required[str(r)] = true
				}
			}
			props := m(part["properties"])
			pn := make([]string, 0, len(props))
			for p := range props {
				pn = append(pn, p)
			}
			slices.Sort(pn)
			for _, p := range pn {
				pm := m(props[p])
				out.Properties = append(out.Properties, apiref.Property{Name: p, Type: typeOf(pm),
					Description: str(pm["description"]), Required: required[p]})
			}
		}
		v.Schemas = append(v.Schemas, out)
	}
	return v
}
