package i18n_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// dataArgs are arguments that travel with an error for the code that
// handles it, not for its message: the stored answer of a conflict, the
// problems of a form, the codes of the states involved.
var dataArgs = map[string]bool{
	"Current": true, "Problems": true, "Fields": true,
	"Status": true, "From": true, "To": true, "Version": true, "ID": true, "Size": true,
}

// placeholder finds {{.Name}} (and .Name inside any action) in a message.
var placeholder = regexp.MustCompile(`\{\{[^}]*?\.([A-Z][A-Za-z0-9]*)[^}]*\}\}`)

// messageTexts reads every message of lang: id → its texts (one, or one
// per plural form).
func messageTexts(t *testing.T, lang kijun.Lang) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("locales", "*."+string(lang)+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		for id, v := range m {
			switch v := v.(type) {
			case string:
				out[id] = []string{v}
			case map[string]any:
				for _, form := range v {
					if s, ok := form.(string); ok {
						out[id] = append(out[id], s)
					}
				}
			}
		}
	}
	return out
}

func placeholders(texts []string) map[string]bool {
	ph := map[string]bool{}
	for _, s := range texts {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			ph[m[1]] = true
		}
	}
	return ph
}

// use is one place where the code names a message: the argument names it
// passes (nil: none), or unknown when they are computed.
type use struct {
	pos     string
	keys    map[string]bool
	unknown bool
}

// messageUses parses the portal's Go sources (the generated templ code
// included, tests excluded) and returns, for each message id, every place
// that names it — i18n.T(ctx, id, args), l.T(id, args), kijun.Errorf(code,
// id, args), a composite literal with MessageID (and Args) — with the
// argument names it passes. It also returns the places that render a
// computed id without any arguments (they would drop an error's
// arguments) and the prefixes of label families ("asmui.status."+s).
func messageUses(t *testing.T, ids map[string]bool) (uses map[string][]use, dropped []string, families map[string][]use) {
	t.Helper()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	type file struct {
		f   *ast.File
		pkg string
	}
	var files []file
	consts := map[string]string{} // pkg.Name → string value
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, file{f, f.Name.Name})
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || (gd.Tok != token.CONST && gd.Tok != token.VAR) {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := stringLit(vs.Values[i]); ok {
							consts[f.Name.Name+"."+name.Name] = s
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	uses = map[string][]use{}
	families = map[string][]use{}
	for _, fl := range files {
		resolve := func(e ast.Expr) (string, bool) {
			if s, ok := stringLit(e); ok {
				return s, true
			}
			switch e := e.(type) {
			case *ast.Ident:
				s, ok := consts[fl.pkg+"."+e.Name]
				return s, ok
			case *ast.SelectorExpr:
				if x, ok := e.X.(*ast.Ident); ok {
					s, ok := consts[x.Name+"."+e.Sel.Name]
					return s, ok
				}
			}
			return "", false
		}
		record := func(node ast.Node, idExpr ast.Expr, args ast.Expr, hasArgs bool) {
			pos := fset.Position(node.Pos()).String()
			u := use{pos: pos}
			if hasArgs {
				u.keys, u.unknown = argKeys(args)
			}
			if id, ok := resolve(idExpr); ok {
				if ids[id] {
					uses[id] = append(uses[id], u)
				}
				return
			}
			if b, ok := idExpr.(*ast.BinaryExpr); ok && b.Op == token.ADD {
				if prefix, ok := resolve(b.X); ok {
					families[prefix] = append(families[prefix], u)
					return
				}
			}
		}
		dropped = append(dropped, droppedArgs(fset, fl.f)...)
		ast.Inspect(fl.f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name, recv := callName(n.Fun)
				switch {
				case name == "T" && recv == "i18n" && len(n.Args) >= 2:
					record(n, n.Args[1], argAt(n.Args, 2), len(n.Args) > 2)
				case name == "T" && recv != "i18n" && recv != "" && len(n.Args) >= 1:
					record(n, n.Args[0], argAt(n.Args, 1), len(n.Args) > 1)
				case name == "Errorf" && (recv == "kijun" || fl.pkg == "kijun" && recv == "") && len(n.Args) == 3:
					record(n, n.Args[1], n.Args[2], true)
				}
			case *ast.CompositeLit:
				var idExpr, args ast.Expr
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					switch k, _ := kv.Key.(*ast.Ident); {
					case k == nil:
					case k.Name == "MessageID":
						idExpr = kv.Value
					case k.Name == "Args":
						args = kv.Value
					}
				}
				if idExpr != nil {
					if _, ok := resolve(idExpr); ok {
						record(n, idExpr, args, args != nil)
					}
				}
			}
			return true
		})
	}
	return uses, dropped, families
}

// droppedArgs finds where a message id is read from a MessageID field
// (an error's, a problem's, a note's) in a statement that does not also
// read the Args beside it: the message would render without its
// arguments. Comparisons of the id are fine.
func droppedArgs(fset *token.FileSet, f *ast.File) []string {
	var out []string
	var stmts []ast.Stmt
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		ast.Inspect(fd, func(n ast.Node) bool {
			if s, ok := n.(ast.Stmt); ok {
				if _, block := s.(*ast.BlockStmt); !block {
					stmts = append(stmts, s)
				}
			}
			return true
		})
	}
	for _, st := range stmts {
		ast.Inspect(st, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BlockStmt, *ast.FuncLit, *ast.CaseClause:
				return n == st // nested statements are checked by themselves
			case *ast.BinaryExpr:
				if n.Op == token.EQL || n.Op == token.NEQ {
					return false
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "MessageID" {
					ast.Inspect(n.Value, func(m ast.Node) bool { return true })
				}
			case *ast.SelectorExpr:
				if n.Sel.Name != "MessageID" {
					return true
				}
				base := types(n.X)
				if !mentions(st, base+".Args") {
					out = append(out, fset.Position(n.Pos()).String())
				}
				return false
			}
			return true
		})
	}
	return out
}

func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return types(e.X) + "." + e.Sel.Name
	case *ast.StarExpr:
		return types(e.X)
	case *ast.ParenExpr:
		return types(e.X)
	}
	return "?"
}

func mentions(st ast.Node, sel string) bool {
	found := false
	ast.Inspect(st, func(n ast.Node) bool {
		if s, ok := n.(*ast.SelectorExpr); ok && s.Sel.Name == "Args" && types(s.X)+".Args" == sel {
			found = true
		}
		return !found
	})
	return found
}

func argAt(args []ast.Expr, i int) ast.Expr {
	if i < len(args) {
		return args[i]
	}
	return nil
}

func callName(fun ast.Expr) (name, recv string) {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name, ""
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok {
			return f.Sel.Name, x.Name
		}
		return f.Sel.Name, "?"
	}
	return "", ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// argKeys returns the keys of a literal map[string]any{…} (nil for nil),
// or unknown for anything computed.
func argKeys(e ast.Expr) (map[string]bool, bool) {
	if e == nil {
		return nil, false
	}
	if id, ok := e.(*ast.Ident); ok && id.Name == "nil" {
		return nil, false
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, true
	}
	keys := map[string]bool{}
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return nil, true
		}
		k, ok := stringLit(kv.Key)
		if !ok {
			return nil, true
		}
		keys[k] = true
	}
	return keys, false
}

// TestMessageArguments renders every message of both languages with the
// arguments the code passes where it names the message, and fails on
// `<no value>`, on a placeholder no caller fills, on an argument that no
// language uses, on placeholders that differ between the languages, and
// on code that renders a computed message id without its arguments.
func TestMessageArguments(t *testing.T) {
	ja, en := messageTexts(t, kijun.Ja), messageTexts(t, kijun.En)
	ids := map[string]bool{}
	for id := range ja {
		ids[id] = true
	}
	uses, dropped, families := messageUses(t, ids)
	sort.Strings(dropped)
	for _, pos := range dropped {
		t.Errorf("%s: reads a MessageID without the Args beside it (the message would render without its arguments)", pos)
	}
	var sorted []string
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		phJa, phEn := placeholders(ja[id]), placeholders(en[id])
		if fmt.Sprint(phJa) != fmt.Sprint(phEn) {
			t.Errorf("%s: the languages use different arguments: ja %v, en %v", id, keysOf(phJa), keysOf(phEn))
		}
		ph := map[string]bool{}
		for k := range phJa {
			ph[k] = true
		}
		for k := range phEn {
			ph[k] = true
		}
		all := uses[id]
		inFamily := false
		for prefix := range families {
			inFamily = inFamily || strings.HasPrefix(id, prefix)
		}
		if len(all) == 0 && !inFamily {
			// Named nowhere in the code by a literal: render with what it
			// declares; it must still render in both languages.
			all = []use{{pos: "(no literal use)", keys: ph}}
		}
		for _, u := range all {
			if u.unknown {
				continue // computed arguments: checked where they are built
			}
			for k := range ph {
				if !u.keys[k] {
					t.Errorf("%s: %s does not pass {{.%s}}", u.pos, id, k)
				}
			}
			for k := range u.keys {
				if !ph[k] && !dataArgs[k] && k != "Count" {
					t.Errorf("%s: %s is passed %s, which neither language uses", u.pos, id, k)
				}
			}
			args := map[string]any{}
			for k := range u.keys {
				args[k] = 2
			}
			for _, lang := range []kijun.Lang{kijun.Ja, kijun.En} {
				var got string
				if len(args) == 0 {
					got = i18n.New(lang).T(id)
				} else {
					got = i18n.New(lang).T(id, args)
				}
				if strings.Contains(got, "<no value>") || strings.HasPrefix(got, "[") && strings.HasSuffix(got, "]") {
					t.Errorf("%s: %s in %s renders %q", u.pos, id, lang, got)
				}
			}
		}
	}
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
