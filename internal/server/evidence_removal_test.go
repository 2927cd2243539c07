//go:build dev

package server_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestEvidenceRemovalOnThePage: each file next to an answer has a 削除する
// button named after the file (a submit of the section's form, without
// JavaScript); the operator's user removes a file through the API's path
// (audited, the internal check voided); another operator, and the
// ministry that reviews it, are told it is not found; once submitted, the
// removal is refused with the message next to the file, which stays.
func TestEvidenceRemovalOnThePage(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	ctx := context.Background()
	op := w.env.SignIn(t, "toto-staff")
	section := w.sections[0]
	ref := w.refsBySection[section][0]
	sectionPath := fmt.Sprintf("/assessments/%d/sections/%s", w.toto, section)
	upload := func(name string) {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("upload", ref)
		fw, _ := mw.CreateFormFile("evidence-"+ref, name)
		_, _ = fw.Write([]byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"))
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, w.env.HTTP.URL+sectionPath, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := op.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(resp); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload %s: %d\n%.2000s", name, resp.StatusCode, body)
		}
	}
	upload("手順書.pdf")
	upload("体制図.pdf")
	idOf := func(name string) string {
		var id int64
		if err := w.env.DB.Owner.QueryRow(ctx, `SELECT id FROM evidence WHERE assessment_id = $1 AND file_name = $2`, w.toto, name).Scan(&id); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return fmt.Sprint(id)
	}
	gone, kept := idOf("手順書.pdf"), idOf("体制図.pdf")
	exists := func(id string) bool {
		var n int
		w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM evidence WHERE id = $1`, id).Scan(&n)
		return n == 1
	}

	_, body := w.env.Get(t, op, sectionPath)
	button := regexp.MustCompile(`<button type="submit" name="remove_evidence" value="` + gone + `" class="[^"]*" aria-label="手順書.pdf を削除する">削除する</button>`)
	if !button.MatchString(body) {
		t.Fatalf("no removal button named after the file:\n%s", body)
	}

	// Not the operator's: not found, and the file stays.
	remove := func(c *http.Client, assessment int64, id string) (int, string, string) {
		return post(t, c, w.url(assessment, "/sections/"+section), url.Values{"remove_evidence": {id}})
	}
	for who, asm := range map[string]int64{"kakehashi-staff": w.toto, "meti-staff": w.toto} {
		if status, _, _ := remove(w.env.SignIn(t, who), asm, gone); status != http.StatusNotFound {
			t.Errorf("%s removing toto's file: %d, want 404", who, status)
		}
	}
	if status, _, _ := remove(w.env.SignIn(t, "kakehashi-staff"), w.bank, gone); status != http.StatusNotFound {
		t.Errorf("another operator removing toto's file from its own page: %d, want 404", status)
	}
	for _, bad := range []string{"x", "-1", "999999999"} {
		if status, _, _ := remove(op, w.toto, bad); status != http.StatusNotFound {
			t.Errorf("removing file %q: %d, want 404", bad, status)
		}
	}
	if !exists(gone) {
		t.Fatal("a refused removal removed the file")
	}

	// The operator removes it: audited, and the internal check is voided.
	var staff int64
	w.env.DB.Owner.QueryRow(ctx, `SELECT uploaded_by FROM evidence WHERE id = $1`, kept).Scan(&staff)
	var signoff int64
	if err := w.env.DB.Owner.QueryRow(ctx, `INSERT INTO assessment_signoffs (assessment_id, operator_id, sector_code, decision, by_user)
		SELECT id, operator_id, sector_code, 'confirmed', $2 FROM assessments WHERE id = $1 RETURNING id`, w.toto, staff).Scan(&signoff); err != nil {
		t.Fatal(err)
	}
	status, loc, body := remove(op, w.toto, gone)
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "#ctl-"+ref) {
		t.Fatalf("removal: %d %q\n%.2000s", status, loc, body)
	}
	if exists(gone) || !exists(kept) {
		t.Error("the removal did not remove exactly the file chosen")
	}
	var audited int
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.evidence.delete' AND object_id = $1`,
		fmt.Sprintf("%d/%s", w.toto, ref)).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d assessment.evidence.delete audit events, want 1", audited)
	}
	var voided bool
	w.env.DB.Owner.QueryRow(ctx, `SELECT voided_at IS NOT NULL FROM assessment_signoffs WHERE id = $1`, signoff).Scan(&voided)
	if !voided {
		t.Error("the removal left the internal check standing")
	}

	// Submitted meanwhile: refused next to the file, which stays.
	tx, err := w.env.DB.Owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE assessments SET status = 'submitted', submitted_at = now() WHERE id = $1`, w.toto); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	status, _, body = remove(op, w.toto, kept)
	refusal := regexp.MustCompile(`(?s)<li id="evidence-file-` + kept + `">.*?<p class="error" id="evidence-file-` + kept + `-error">この自己評価は提出済み又は受理済みのため、回答と証跡は変更できません。</p>`)
	if status != http.StatusConflict || !refusal.MatchString(body) || strings.Contains(body, `name="remove_evidence"`) {
		t.Errorf("removal after submission: %d\n%s", status, body)
	}
	if !exists(kept) {
		t.Error("a submitted assessment's file was removed")
	}
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.evidence.delete' AND object_id = $1`,
		fmt.Sprintf("%d/%s", w.toto, ref)).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d assessment.evidence.delete audit events after a refusal, want 1", audited)
	}
}
