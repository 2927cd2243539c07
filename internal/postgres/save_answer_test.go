package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// The autosave's path: postgres.SaveAnswerAs, the save in a transaction of
// its own, asking the caller's policy on the tenant it reads.

// only is a policy that allows tenant tn alone.
func only(tn postgres.Tenant) func(postgres.Tenant) bool {
	return func(t postgres.Tenant) bool { return t == tn }
}

// goJSON is an answer as Go's encoding/json writes it from a server in
// UTC, which is what the audit log holds of every save.
func goJSON(t *testing.T, a assessment.Answer) string {
	t.Helper()
	a.UpdatedAt = a.UpdatedAt.UTC()
	if a.Remediation.Due != nil {
		d := a.Remediation.Due.UTC()
		a.Remediation.Due = &d
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// saveEvents returns the before and after (as text, "" for NULL) of the
// answer saves audited for assessment id and ref, oldest first.
func (w *asmWorld) saveEvents(t *testing.T, id int64, ref string) (before, after []string) {
	t.Helper()
	rows, _ := w.db.Owner.Query(w.ctx, `SELECT coalesce(before::text, ''), coalesce(after::text, '') FROM audit_events
		WHERE action = 'assessment.answer.save' AND object_id = $1 ORDER BY id`, fmt.Sprintf("%d/%s", id, ref))
	var b, a string
	if _, err := pgx.ForEachRow(rows, []any{&b, &a}, func() error {
		before, after = append(before, b), append(after, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return before, after
}

// sameJSON reports whether the database holds the two JSON texts equal
// (as jsonb: the audit log's type, so key order does not count).
func (w *asmWorld) sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var same bool
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT $1::jsonb = $2::jsonb`, a, b).Scan(&same); err != nil {
		t.Fatal(err)
	}
	return same
}

func TestSaveAnswerAsAuditJSON(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)

	// First save: inserted, with every field set, through the fast path.
	first, err := postgres.SaveAnswerAs(w.ctx, w.db.App, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-02",
		Status: assessment.AnswerPartial, Maturity: 2, How: `手順書 <"引用"> & 運用`, NAReason: "",
		Remediation: remediation()}, 0, "req-1", only(w.tenantOf(t, id)))
	if err != nil {
		t.Fatal(err)
	}
	if first.Version != 1 || first.UpdatedByName != "userA" || first.UpdatedBy != w.userA.UserID || first.Remediation.Due == nil ||
		first.Remediation.Due.Format(time.DateOnly) != "2028-03-31" || first.UpdatedAt.IsZero() {
		t.Fatalf("first save returned %+v", first)
	}
	// Second: an update through SaveAnswer in a transaction, clearing the
	// plan and the maturity, from a draft status.
	var second assessment.Answer
	w.must(t, w.userA, func(tx pgx.Tx) (err error) {
		second, err = postgres.SaveAnswer(w.ctx, tx, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-02", How: "検討中"}, 1, "req-2")
		return err
	})
	// Third: the fast path again, over the draft.
	third, err := postgres.SaveAnswerAs(w.ctx, w.db.App, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-02",
		Status: assessment.AnswerImplemented, Maturity: 4, How: "完了"}, 2, "req-3", only(w.tenantOf(t, id)))
	if err != nil {
		t.Fatal(err)
	}
	if second.Version != 2 || third.Version != 3 || second.Status != "" || second.Remediation.Due != nil {
		t.Fatalf("saves returned %+v and %+v", second, third)
	}

	// Exactly one event per save, whose before and after are Go's JSON of
	// the answers the store returned.
	before, after := w.saveEvents(t, id, "GV-02")
	if len(after) != 3 {
		t.Fatalf("%d save events, want 3", len(after))
	}
	wantBefore := []string{"", goJSON(t, first), goJSON(t, second)}
	wantAfter := []string{goJSON(t, first), goJSON(t, second), goJSON(t, third)}
	for i := range after {
		if (before[i] == "") != (wantBefore[i] == "") || before[i] != "" && !w.sameJSON(t, before[i], wantBefore[i]) {
			t.Errorf("save %d: before\n got %s\nwant %s", i+1, before[i], wantBefore[i])
		}
		if !w.sameJSON(t, after[i], wantAfter[i]) {
			t.Errorf("save %d: after\n got %s\nwant %s", i+1, after[i], wantAfter[i])
		}
	}
	// The events carry what Go's Audit wrote: actor, object, tenant, request.
	rows, _ := w.db.Owner.Query(w.ctx, `SELECT coalesce(actor_user_id, 0), actor_label, object_type, coalesce(sector_code, ''),
			coalesce(operator_id, 0), coalesce(ministry_code, ''), chain, request_id
		FROM audit_events WHERE action = 'assessment.answer.save' ORDER BY id`)
	type ev struct {
		User                     int64
		Label, Type, Sector      string
		Operator                 int64
		Ministry, Chain, Request string
	}
	evs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ev])
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		want := ev{w.userA.UserID, "userA", "answer", "electricity", w.opA, "METI", fmt.Sprintf("operator:%d", w.opA), fmt.Sprintf("req-%d", i+1)}
		if e != want {
			t.Errorf("event %d: %+v, want %+v", i+1, e, want)
		}
	}
	// The first save started the assessment: one history row, one event.
	var starts, history int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT (SELECT count(*) FROM audit_events WHERE action = 'assessment.start'
			AND object_id = $3 AND before = '{"status": "not_started"}' AND after = '{"status": "in_progress"}'
			AND actor_label = 'userA' AND request_id = 'req-1'),
		(SELECT count(*) FROM assessment_events WHERE assessment_id = $1 AND from_status = 'not_started'
			AND to_status = 'in_progress' AND by_user = $2 AND by_name = 'userA')`, id, w.userA.UserID, fmt.Sprint(id)).Scan(&starts, &history); err != nil {
		t.Fatal(err)
	}
	if starts != 1 || history != 1 {
		t.Errorf("start audited %d times, history %d rows; want 1 and 1", starts, history)
	}
	if breaks, _, err := postgres.VerifyAudit(w.ctx, w.db.Owner); err != nil || len(breaks) > 0 {
		t.Errorf("audit chain: %v %v", breaks, err)
	}
}

func TestSaveAnswerAsRefusals(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	cycle := w.openCycle(t, 2027)
	id := w.assessmentOf(t, cycle, w.opA)
	status := func() string {
		var s string
		if err := w.db.Owner.QueryRow(w.ctx, `SELECT status FROM assessments WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	audited := func() int {
		var n int
		if err := w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM audit_events
			WHERE action IN ('assessment.start', 'assessment.answer.save') AND (object_id = $1 OR object_id LIKE $1 || '/%')`,
			fmt.Sprint(id)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	save := func(p *identity.Principal, a assessment.Answer, version int) error {
		a.AssessmentID = id
		_, err := postgres.SaveAnswerAs(w.ctx, w.db.App, p, a, version, "test", nil)
		return err
	}

	// A refused first save does not start the assessment.
	err := save(w.userA, assessment.Answer{Ref: "GV-01", Status: assessment.AnswerImplemented}, 3)
	ke := wantKijunError(t, err, kijun.EConflict, "assessment.conflict")
	if cur := ke.Args["Current"].(assessment.Answer); cur.AssessmentID != id || cur.Ref != "GV-01" || cur.Version != 0 {
		t.Errorf("conflict with nothing stored shows %+v", cur)
	}
	wantKijunError(t, save(w.userA, assessment.Answer{Ref: "GV-01", Status: "bogus"}, 0), kijun.EInvalid, "assessment.answer.status_unknown")
	if err := save(w.userA, assessment.Answer{Ref: "PR-03", Status: assessment.AnswerImplemented}, 0); kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("a control of another sector: %v, want not found", err)
	}
	wantKijunError(t, save(w.userA, assessment.Answer{Ref: "GV-01", Maturity: 7}, 0), kijun.EInvalid, "assessment.answer.invalid")
	if s, n := status(), audited(); s != "not_started" || n != 0 {
		t.Fatalf("after refused first saves: %s with %d events, want not_started and none", s, n)
	}

	// Other tenants: operator B does not see it; METI sees it but may not
	// answer; neither writes anything.
	if err := save(w.userB, assessment.Answer{Ref: "GV-01", Status: assessment.AnswerImplemented}, 0); kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("operator B saving A's answer: %v, want not found", err)
	}
	wantKijunError(t, save(w.meti, assessment.Answer{Ref: "GV-01", Status: assessment.AnswerImplemented}, 0), kijun.EForbidden, "assessment.forbidden")
	if s, n := status(), audited(); s != "not_started" || n != 0 {
		t.Fatalf("after other tenants' saves: %s with %d events", s, n)
	}

	// Saved; then a stale version conflicts with the stored answer; an
	// unknown status on the right version is refused and leaves it.
	if err := save(w.userA, assessment.Answer{Ref: "GV-01", Status: assessment.AnswerImplemented, How: "one"}, 0); err != nil {
		t.Fatal(err)
	}
	ke = wantKijunError(t, save(w.userA2, assessment.Answer{Ref: "GV-01", Status: assessment.AnswerPartial}, 0), kijun.EConflict, "assessment.conflict")
	if cur := ke.Args["Current"].(assessment.Answer); cur.Version != 1 || cur.How != "one" || cur.UpdatedByName != "userA" || ke.Args["By"] != "userA" {
		t.Errorf("conflict shows %+v", ke.Args)
	}
	wantKijunError(t, save(w.userA, assessment.Answer{Ref: "GV-01", Status: "bogus"}, 1), kijun.EInvalid, "assessment.answer.status_unknown")
	// A stale save of what is already stored (the page's autosave racing
	// its own form post) is the stored answer, not a conflict, and writes
	// nothing.
	stale := assessment.Answer{AssessmentID: id, Ref: "GV-01", Status: assessment.AnswerImplemented, How: "one"}
	if got, err := postgres.SaveAnswerAs(w.ctx, w.db.App, w.userA, stale, 0, "test", nil); err != nil || got.Version != 1 || got.How != "one" {
		t.Errorf("stale save of the stored content: %+v, %v; want version 1", got, err)
	}
	if _, after := w.saveEvents(t, id, "GV-01"); len(after) != 1 || status() != "in_progress" {
		t.Errorf("%d save events, status %s; want 1, in_progress", len(after), status())
	}

	// Submitted: locked, with the status.
	w.answerAll(t, w.userA, id)
	w.must(t, w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, id, "test") })
	ke = wantKijunError(t, save(w.userA, assessment.Answer{Ref: "GV-01", Status: assessment.AnswerPartial}, 2), kijun.EConflict, "assessment.locked")
	if ke.Args["Status"] != "submitted" {
		t.Errorf("locked: %+v", ke.Args)
	}
	if err := save(w.userA, assessment.Answer{Ref: "GV-01"}, 2); kijun.ErrorCode(err) != kijun.EConflict {
		t.Errorf("saving into a submitted assessment: %v", err)
	}
	if err := func() error {
		_, err := postgres.SaveAnswerAs(w.ctx, w.db.App, w.userA, assessment.Answer{AssessmentID: id + 1000, Ref: "GV-01"}, 0, "test", nil)
		return err
	}(); kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("no such assessment: %v, want not found", err)
	}
}

// TestSaveAnswerForged writes answers directly in SQL, as a compromised
// server holding kijun_app could, with one tenant's settings on another's
// assessment: row-level security and the triggers refuse, whatever the
// Go checks would have said.
func TestSaveAnswerForged(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	cycle := w.openCycle(t, 2027)
	id := w.assessmentOf(t, cycle, w.opA)
	w.save(t, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-01", Status: assessment.AnswerImplemented, How: "A's"})
	fresh := w.assessmentOf(t, w.openCycle(t, 2028), w.opA) // not started
	for _, p := range []*identity.Principal{w.userB, w.meti, w.nco, w.uFin, nil} {
		for _, forge := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE answers SET how = 'forged' WHERE assessment_id = $1`, []any{id}},
			{`INSERT INTO answers (assessment_id, ref, operator_id, sector_code, how)
				VALUES ($1, 'GV-02', $2, 'electricity', 'forged')`, []any{id, w.opA}},
			{`UPDATE assessments SET status = 'in_progress' WHERE id = $1`, []any{fresh}},
		} {
			err := w.as(p, func(tx pgx.Tx) error {
				tag, err := tx.Exec(w.ctx, forge.sql, forge.args...)
				if err == nil && tag.RowsAffected() != 0 {
					err = fmt.Errorf("%d rows written", tag.RowsAffected())
				}
				return err
			})
			if code := pgCodeOf(err); err != nil && code != "42501" {
				t.Errorf("as %v: %s: %v", p, forge.sql, err)
			}
		}
	}
	var how, status string
	var answers int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT (SELECT how FROM answers WHERE assessment_id = $1 AND ref = 'GV-01'),
		(SELECT count(*) FROM answers WHERE assessment_id = $1), (SELECT status FROM assessments WHERE id = $2)`,
		id, fresh).Scan(&how, &answers, &status); err != nil {
		t.Fatal(err)
	}
	if how != "A's" || answers != 1 || status != "not_started" {
		t.Errorf("after forged writes: how %q, %d answers, other assessment %s", how, answers, status)
	}
	// Submitted: not even its own operator can write an answer in SQL.
	w.answerAll(t, w.userA, id)
	w.must(t, w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, id, "test") })
	err := w.as(w.userA, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE answers SET how = 'after submit' WHERE assessment_id = $1 AND ref = 'GV-01'`, id)
		return err
	})
	if pgCodeOf(err) != "KJ002" {
		t.Errorf("updating an answer of a submitted assessment: %v, want KJ002", err)
	}
}

// TestSaveAnswerAsAsksThePolicy: the autosave saves only where its
// policy allows the tenant the save reads, under the share lock: a tenant
// the policy refuses (the wrong one, or one the assessment moved away
// from) is not found and writes nothing, before the assessment's first
// save and after it.
func TestSaveAnswerAsAsksThePolicy(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	right := w.tenantOf(t, id)
	save := func(tn postgres.Tenant, how string) error {
		_, err := postgres.SaveAnswerAs(w.ctx, w.db.App, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-01",
			Status: assessment.AnswerImplemented, How: how}, 0, "test", only(tn))
		return err
	}
	status := func() string {
		var s string
		if err := w.db.Owner.QueryRow(w.ctx, `SELECT status FROM assessments WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, wrong := range []postgres.Tenant{
		{OperatorID: right.OperatorID, SectorCode: "finance"},
		{OperatorID: w.opB, SectorCode: right.SectorCode},
	} {
		if err := save(wrong, "wrong"); kijun.ErrorCode(err) != kijun.ENotFound {
			t.Errorf("save where the policy allows %+v: %v, want not found", wrong, err)
		}
	}
	if _, after := w.saveEvents(t, id, "GV-01"); len(after) != 0 || status() != "not_started" {
		t.Fatalf("refused saves wrote %d events, status %s", len(after), status())
	}

	// The operator moves to another sector (its assessments follow): a
	// policy on the tenant before the move refuses; one on the new allows.
	if _, err := w.db.Owner.Exec(w.ctx, `UPDATE operators SET sector_code = 'gas' WHERE id = $1`, w.opA); err != nil {
		t.Fatal(err)
	}
	if err := save(right, "before the move"); kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("save on the tenant before the move: %v, want not found", err)
	}
	if moved := w.tenantOf(t, id); moved.SectorCode != "gas" {
		t.Fatalf("after the move the assessment is %+v", moved)
	} else if err := save(moved, "after the move"); err != nil {
		t.Errorf("save on the moved tenant: %v", err)
	}
	// Started now: the tenant is read with the share lock.
	for _, wrong := range []postgres.Tenant{right, {OperatorID: w.opB, SectorCode: "gas"}} {
		if err := save(wrong, "wrong once started"); kijun.ErrorCode(err) != kijun.ENotFound {
			t.Errorf("save on tenant %+v once started: %v, want not found", wrong, err)
		}
	}
	if _, after := w.saveEvents(t, id, "GV-01"); len(after) != 1 {
		t.Errorf("after one save on the right tenant, %d save events", len(after))
	}
}

func TestSaveAnswerAsConcurrency(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	cfg, err := pgxpool.ParseConfig(w.db.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 16
	tenant := w.tenantOf(t, id)
	pool, err := pgxpool.NewWithConfig(w.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	const n = 16
	// On a not-started assessment, n first saves of one answer expecting
	// none: one saves (and starts it once), every other conflicts with it.
	// Then n saves expecting version 1, then n of another answer.
	for round, c := range []struct {
		ref      string
		expected int
	}{{"GV-01", 0}, {"GV-01", 1}, {"PR-01", 0}} {
		var ok, conflicts atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := w.userA
				if i%2 == 1 {
					p = w.userA2
				}
				_, err := postgres.SaveAnswerAs(w.ctx, pool, p, assessment.Answer{AssessmentID: id, Ref: c.ref,
					Status: assessment.AnswerPartial, How: fmt.Sprintf("writer %d", i)}, c.expected, "test", only(tenant))
				var ke *kijun.Error
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &ke) && ke.MessageID == "assessment.conflict":
					if cur := ke.Args["Current"].(assessment.Answer); cur.Version != c.expected+1 || !strings.HasPrefix(cur.How, "writer ") {
						t.Errorf("conflict shows %+v", cur)
					}
					conflicts.Add(1)
				default:
					t.Errorf("save: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || conflicts.Load() != n-1 {
			t.Fatalf("round %d: %d saved, %d conflicts; want 1 and %d", round, ok.Load(), conflicts.Load(), n-1)
		}
	}
	var starts, history, saves int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT (SELECT count(*) FROM audit_events WHERE action = 'assessment.start'),
		(SELECT count(*) FROM assessment_events WHERE assessment_id = $1 AND to_status = 'in_progress'),
		(SELECT count(*) FROM audit_events WHERE action = 'assessment.answer.save')`, id).Scan(&starts, &history, &saves); err != nil {
		t.Fatal(err)
	}
	if starts != 1 || history != 1 || saves != 3 {
		t.Errorf("%d starts, %d history rows, %d save events; want 1, 1, 3", starts, history, saves)
	}
	if breaks, _, err := postgres.VerifyAudit(w.ctx, w.db.Owner); err != nil || len(breaks) > 0 {
		t.Errorf("audit chain: %v %v", breaks, err)
	}
}

// A refused save in a caller's transaction leaves it usable: the section
// form saves the other answers and commits.
func TestSaveAnswerRefusalKeepsTransaction(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	w.save(t, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-01", Status: assessment.AnswerImplemented})
	w.must(t, w.userA, func(tx pgx.Tx) error {
		for _, c := range []struct {
			a       assessment.Answer
			version int
			code    string
		}{
			{assessment.Answer{Ref: "GV-01", Status: assessment.AnswerPartial}, 0, kijun.EConflict},
			{assessment.Answer{Ref: "GV-02", Status: "bogus"}, 0, kijun.EInvalid},
			{assessment.Answer{Ref: "XX-01", Status: assessment.AnswerPartial}, 0, kijun.ENotFound},
		} {
			c.a.AssessmentID = id
			if _, err := postgres.SaveAnswer(w.ctx, tx, w.userA, c.a, c.version, "test"); kijun.ErrorCode(err) != c.code {
				return fmt.Errorf("%s: %v, want %s", c.a.Ref, err, c.code)
			}
		}
		_, err := postgres.SaveAnswer(w.ctx, tx, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-02", Status: assessment.AnswerPartial}, 0, "test")
		return err
	})
	var n int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM answers WHERE assessment_id = $1`, id).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d answers stored (%v), want 2", n, err)
	}
}

// roundTrips counts what a pool sends: each Exec/Query and each batch.
type roundTrips struct{ n atomic.Int32 }

func (c *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// TestSaveAnswerAsRoundTrips: a save to a started assessment takes two
// round trips (BEGIN with the reads, the write with COMMIT), a refused or
// stale one rolls back, and each leaves its connection out of any
// transaction, so a pool of one serves every save on one connection.
func TestSaveAnswerAsRoundTrips(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	tenant := w.tenantOf(t, id)
	cfg, err := pgxpool.ParseConfig(w.db.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	trips := &roundTrips{}
	cfg.ConnConfig.Tracer = trips
	pool, err := pgxpool.NewWithConfig(w.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	save := func(ref string, expected int, how string) error {
		_, err := postgres.SaveAnswerAs(w.ctx, pool, w.userA, assessment.Answer{AssessmentID: id, Ref: ref,
			Status: assessment.AnswerPartial, How: how}, expected, "test", only(tenant))
		return err
	}
	if err := save("GV-01", 0, "first"); err != nil { // starts the assessment: the general path
		t.Fatal(err)
	}
	var ke *kijun.Error
	for _, c := range []struct {
		name     string
		ref      string
		expected int
		how      string
		conflict bool
	}{
		{"update", "GV-01", 1, "second", false},
		{"insert", "PR-01", 0, "first", false},
		{"stale save of what is stored", "GV-01", 1, "second", false},
		{"conflict", "GV-01", 1, "third", true},
	} {
		trips.n.Store(0)
		err := save(c.ref, c.expected, c.how)
		if c.conflict != (errors.As(err, &ke) && ke.MessageID == "assessment.conflict") || (!c.conflict && err != nil) {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n := trips.n.Load(); n != 2 {
			t.Errorf("%s: %d round trips, want 2", c.name, n)
		}
	}
	if n := pool.Stat().NewConnsCount(); n != 1 {
		t.Errorf("%d connections made, want 1: a save left its transaction open", n)
	}
	if err := save("GV-01", 2, "third"); err != nil {
		t.Fatal(err)
	}
	if _, after := w.saveEvents(t, id, "GV-01"); len(after) != 3 {
		t.Errorf("%d save events of GV-01, want 3", len(after))
	}
}
