//go:build dev

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestExampleFillsAndSubmits builds the example as a program and runs it
// against a real server with an operator's token: it lists the
// assessment, fills every answer from a file (one named, the rest by
// "*") and submits it; answering it again afterwards fails with the
// portal's reason; without a token it says what to set.
func TestExampleFillsAndSubmits(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	asms := env.SmallCycle(t, "api-example", 2031)
	var toto int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	token := env.Token(t, identity.RoleOperatorStaff, "", toto)
	admin := env.Token(t, identity.RoleOperatorAdmin, "", toto) // the internal check
	env.SignIn(t, "meti-staff")                                 // a person of the reviewing ministry, to be told

	dir := t.TempDir()
	bin := filepath.Join(dir, "kijun-api-example")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	runAs := func(token string, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KIJUN_URL="+env.HTTP.URL, "KIJUN_TOKEN="+token)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	run := func(args ...string) (string, error) { return runAs(token, args...) }
	id := strconv.FormatInt(asms["2010401000001"], 10)
	out, err := run("list")
	if err != nil || !strings.Contains(out, id+"\tFY2031") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	answers := filepath.Join(dir, "answers.json")
	os.WriteFile(answers, []byte(`{"GV-01": {"status": "implemented", "maturity": 4, "how": "規程を整備し年次で見直し"},
		"*": {"status": "implemented", "maturity": 3, "how": "例のクライアントから回答"}}`), 0o600)
	// Filled but not yet through the internal check: the submission is
	// refused with the portal's message.
	out, err = run("fill", "-assessment", id, "-answers", answers, "-submit")
	if err == nil || !strings.Contains(out, "5 answers saved") || !strings.Contains(out, "orgflow.error.not_confirmed") {
		t.Fatalf("fill and submit before the internal check: %v\n%s", err, out)
	}
	if out, err := runAs(admin, "confirm", "-assessment", id); err != nil || !strings.Contains(out, "confirmed") {
		t.Fatalf("confirm: %v\n%s", err, out)
	}
	if out, err := run("submit", "-assessment", id); err != nil || !strings.Contains(out, "is submitted") {
		t.Fatalf("submit: %v\n%s", err, out)
	}
	var status, how string
	env.DB.Owner.QueryRow(ctx, `SELECT a.status, n.how FROM assessments a JOIN answers n ON n.assessment_id = a.id AND n.ref = 'GV-01'
		WHERE a.id = $1`, asms["2010401000001"]).Scan(&status, &how)
	if status != "submitted" || how != "規程を整備し年次で見直し" {
		t.Errorf("stored: %s, %q", status, how)
	}
	// A refused change comes back with the portal's message.
	out, err = run("fill", "-assessment", id, "-answers", answers)
	if err == nil || !strings.Contains(out, "GV-01") {
		t.Errorf("answering a submitted assessment: %v\n%s", err, out)
	}
	// Without a token it says what to set.
	cmd := exec.Command(bin, "list")
	cmd.Env = []string{"KIJUN_URL=" + env.HTTP.URL}
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "KIJUN_TOKEN") {
		t.Errorf("no token: %v %s", err, b)
	}
}
