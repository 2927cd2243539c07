package kijun_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// The layers of docs/architecture.md ("Where a rule lives"): the domain
// packages import no database, HTTP or template package, and nothing under
// web/ imports the database layer, so pages render domain types and view
// models only.
const module = "github.com/kijun-portal/kijun/"

var (
	domain = []string{"internal/kijun", "internal/assessment", "internal/plan", "internal/register",
		"internal/identity", "internal/catalog", "internal/dashboard", "internal/audit", "internal/notify", "internal/remind",
		"internal/annualreport"}
	notInDomain = []string{"github.com/jackc/pgx", "net/http", "github.com/a-h/templ", module + "internal/postgres"}
	notInWeb    = []string{"github.com/jackc/pgx", module + "internal/postgres"}
)

func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Deps", module+"...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p.ImportPath, module)
		var forbidden []string
		for _, d := range domain {
			if within(rel, d) {
				seen[d] = true
				forbidden = notInDomain
			}
		}
		if within(rel, "web") {
			seen["web"] = true
			forbidden = notInWeb
		}
		for _, f := range forbidden {
			for _, dep := range p.Deps {
				if within(dep, f) {
					t.Errorf("%s depends on %s", rel, dep)
					break
				}
			}
		}
	}
	for _, d := range append(domain, "web") {
		if !seen[d] {
			t.Errorf("no package %s: update the layers in this test and in docs/architecture.md", d)
		}
	}
}

// within reports whether path is pkg or a package below it.
func within(path, pkg string) bool {
	return path == pkg || strings.HasPrefix(path, pkg+"/")
}
