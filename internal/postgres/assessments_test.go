package postgres_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// asmWorld is a small published catalog (six controls, one for finance
// only), two electricity operators and one finance operator, and the
// principals that act on them.
type asmWorld struct {
	db                 *pgtest.DB
	catalogID          int64
	opA, opB, opFin    int64
	nco, meti, fsa     *identity.Principal
	userA, userB, uFin *identity.Principal
	userA2             *identity.Principal // a second person at operator A
	ctx                context.Context
}

func smallCatalog(version string) *catalog.Catalog {
	ctl := func(ref, section string, themes, csf, sectors []string) catalog.Control {
		return catalog.Control{Ref: ref, Section: section, Themes: themes, CSF: csf, Sectors: sectors,
			Title: kijun.Text{Ja: ref + " の表題", En: ref + " title"}, Statement: kijun.Text{Ja: ref + " の要求事項", En: ref + " statement"}}
	}
	return &catalog.Catalog{Code: "asm-test", Version: version, Title: kijun.Text{Ja: "試験用カタログ", En: "Test catalog"},
		Controls: []catalog.Control{
			ctl("GV-01", "GV", []string{"resilience"}, []string{"GV.OC"}, nil),
			ctl("GV-02", "GV", []string{"supply-chain"}, []string{"GV.SC", "ID.AM"}, nil),
			ctl("PR-01", "PR", []string{"resilience", "closed-network"}, []string{"PR.DS"}, nil),
			ctl("PR-02", "PR", nil, []string{"PR.AA", "PR.DS"}, nil),
			ctl("PR-03", "PR", nil, []string{"PR.AA"}, []string{"finance"}),
			ctl("DE-01", "DE", nil, []string{"DE.CM"}, nil),
		}}
}

// importPublished imports c and publishes it, as the owner.
func importPublished(t testing.TB, db *pgtest.DB, c *catalog.Catalog) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) (err error) {
		if id, _, err = postgres.ImportCatalog(ctx, tx, c, audit.Event{}); err != nil {
			return err
		}
		return postgres.Publish(ctx, tx, id, audit.Event{})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newAsmWorld(t *testing.T) *asmWorld {
	t.Helper()
	w := &asmWorld{db: pgtest.New(t), ctx: context.Background()}
	w.catalogID = importPublished(t, w.db, smallCatalog("1"))
	someone := regUser(t, w.db, "proposer")
	w.opA = regOperator(t, w.db, 11, "electricity", "電力A", someone)
	w.opB = regOperator(t, w.db, 12, "electricity", "電力B", someone)
	w.opFin = regOperator(t, w.db, 13, "finance", "銀行F", someone)
	w.nco = regPrincipal(t, w.db, "nco", identity.Grant{Role: identity.RoleNCOAdmin})
	w.meti = regPrincipal(t, w.db, "meti", regMinistryGrant("METI"))
	w.fsa = regPrincipal(t, w.db, "fsa", regMinistryGrant("FSA"))
	w.userA = regPrincipal(t, w.db, "userA", regOperatorGrant(w.opA, "electricity"))
	w.userA2 = regPrincipal(t, w.db, "userA2", regOperatorGrant(w.opA, "electricity"))
	w.userB = regPrincipal(t, w.db, "userB", regOperatorGrant(w.opB, "electricity"))
	w.uFin = regPrincipal(t, w.db, "uFin", regOperatorGrant(w.opFin, "finance"))
	return w
}

func (w *asmWorld) as(p *identity.Principal, fn func(tx pgx.Tx) error) error {
	return postgres.InTx(w.ctx, w.db.App, p, fn)
}

func (w *asmWorld) must(t *testing.T, p *identity.Principal, fn func(tx pgx.Tx) error) {
	t.Helper()
	if err := w.as(p, fn); err != nil {
		t.Fatal(err)
	}
}

func (w *asmWorld) openCycle(t *testing.T, fy int) int64 {
	t.Helper()
	var cy assessment.Cycle
	var n int
	// Open already (nothing is saved before a cycle opens): on the year's
	// first day or, for a later year, today.
	opens := time.Date(fy, 4, 1, 0, 0, 0, 0, time.UTC)
	if today := w.db.Today(t); today.Before(opens) {
		opens = today
	}
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, n, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: kijun.FiscalYear(fy), CatalogID: w.catalogID,
			OpensOn: opens, DueOn: time.Date(fy+1, 1, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	})
	if n != 3 {
		t.Fatalf("OpenCycle created %d assessments, want 3", n)
	}
	return cy.ID
}

func (w *asmWorld) assessmentOf(t *testing.T, cycleID, operatorID int64) int64 {
	t.Helper()
	var id int64
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT id FROM assessments WHERE cycle_id = $1 AND operator_id = $2`, cycleID, operatorID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// tenantOf is the assessment's tenant as stored.
func (w *asmWorld) tenantOf(t *testing.T, id int64) postgres.Tenant {
	t.Helper()
	var tn postgres.Tenant
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT operator_id, sector_code FROM assessments WHERE id = $1`, id).Scan(&tn.OperatorID, &tn.SectorCode); err != nil {
		t.Fatal(err)
	}
	return tn
}

// save saves an answer as p at the version it is stored at now.
func (w *asmWorld) save(t *testing.T, p *identity.Principal, a assessment.Answer) assessment.Answer {
	t.Helper()
	var out assessment.Answer
	w.must(t, p, func(tx pgx.Tx) error {
		cur, err := postgres.GetAnswer(w.ctx, tx, a.AssessmentID, a.Ref)
		if err != nil {
			return err
		}
		out, err = postgres.SaveAnswer(w.ctx, tx, p, a, cur.Version, "test")
		return err
	})
	return out
}

func date(s string) *time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &d
}

func remediation() assessment.Remediation {
	return assessment.Remediation{Action: "手順書を整備する", Owner: "情報システム部", Due: date("2028-03-31")}
}

// answerAll gives operator user's assessment id a complete set of answers
// for the five electricity controls: the hand-computed example.
func (w *asmWorld) answerAll(t *testing.T, p *identity.Principal, id int64) {
	t.Helper()
	for _, a := range []assessment.Answer{
		{Ref: "GV-01", Status: assessment.AnswerImplemented, Maturity: 3, How: "規程で定めています"},
		{Ref: "GV-02", Status: assessment.AnswerPartial, Remediation: remediation()},
		{Ref: "PR-01", Status: assessment.AnswerNotApplicable, NAReason: "閉域網を持たないため"},
		{Ref: "PR-02", Status: assessment.AnswerNotImplemented, Remediation: remediation()},
		{Ref: "DE-01", Status: assessment.AnswerImplemented},
	} {
		a.AssessmentID = id
		w.save(t, p, a)
	}
}

func wantKijunError(t *testing.T, err error, code, messageID string) *kijun.Error {
	t.Helper()
	var ke *kijun.Error
	if !errors.As(err, &ke) || ke.Code != code || ke.MessageID != messageID {
		t.Fatalf("error %v: want %s %s", err, code, messageID)
	}
	return ke
}

func TestAssessmentLifecycle(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	cycle := w.openCycle(t, 2027)
	id := w.assessmentOf(t, cycle, w.opA)

	// The snapshot: electricity answers five controls (PR-03 is finance's).
	w.must(t, w.userA, func(tx pgx.Tx) error {
		a, err := postgres.GetAssessment(w.ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status != assessment.NotStarted || a.Total != 5 || a.Answered != 0 || a.FiscalYear.Label(kijun.Ja) != "令和9年度 (FY2027)" {
			t.Errorf("new assessment: %+v", a)
		}
		want := []assessment.SectionProgress{{Section: "GV", Total: 2}, {Section: "PR", Total: 2}, {Section: "DE", Total: 1}}
		if !reflect.DeepEqual(a.Sections, want) {
			t.Errorf("sections %+v, want %+v", a.Sections, want)
		}
		return nil
	})

	// A partial set of drafts: saving is allowed, submitting lists every gap.
	w.save(t, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-01", Status: assessment.AnswerImplemented})
	w.save(t, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-02", Status: assessment.AnswerPartial})
	w.save(t, w.userA, assessment.Answer{AssessmentID: id, Ref: "PR-01", Status: assessment.AnswerNotApplicable})
	w.save(t, w.userA, assessment.Answer{AssessmentID: id, Ref: "PR-02", How: "検討中"}) // a draft with no status yet
	err := w.as(w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, id, "test") })
	ke := wantKijunError(t, err, kijun.EInvalid, "assessment.incomplete")
	got := ke.Args["Problems"].([]assessment.AnswerProblem)
	want := []assessment.AnswerProblem{
		{Ref: "GV-02", Section: "GV", Field: "remediation_action", MessageID: "assessment.gap.remediation_action"},
		{Ref: "GV-02", Section: "GV", Field: "remediation_owner", MessageID: "assessment.gap.remediation_owner"},
		{Ref: "GV-02", Section: "GV", Field: "remediation_due", MessageID: "assessment.gap.remediation_due"},
		{Ref: "PR-01", Section: "PR", Field: "na_reason", MessageID: "assessment.gap.na_reason"},
		{Ref: "PR-02", Section: "PR", Field: "status", MessageID: "assessment.gap.unanswered"},
		{Ref: "DE-01", Section: "DE", Field: "status", MessageID: "assessment.gap.unanswered"},
	}
	if !reflect.DeepEqual(got, want) || ke.Args["Count"] != 6 {
		t.Fatalf("gaps:\n got %+v\nwant %+v", got, want)
	}

	w.answerAll(t, w.userA, id)
	w.must(t, w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, id, "test") })

	// Submitted: answers lock, for the store and for the database.
	err = w.as(w.userA, func(tx pgx.Tx) error {
		_, err := postgres.SaveAnswer(w.ctx, tx, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-01", Status: assessment.AnswerPartial}, 2, "test")
		return err
	})
	wantKijunError(t, err, kijun.EConflict, "assessment.locked")
	err = w.as(w.userA, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE answers SET status = 'partial' WHERE assessment_id = $1`, id)
		return err
	})
	if pgCodeOf(err) != "KJ002" {
		t.Errorf("direct update of a submitted answer: %v, want KJ002", err)
	}
	// An operator cannot accept its own assessment, even in SQL; another
	// ministry does not see it.
	err = w.as(w.userA, func(tx pgx.Tx) error { return postgres.Accept(w.ctx, tx, w.userA, id, "", "test") })
	wantKijunError(t, err, kijun.EForbidden, "assessment.forbidden")
	err = w.as(w.userA, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE assessments SET status = 'accepted', accepted_at = now() WHERE id = $1`, id)
		return err
	})
	if pgCodeOf(err) != "42501" {
		t.Errorf("operator accepting in SQL: %v, want 42501", err)
	}
	err = w.as(w.fsa, func(tx pgx.Tx) error { return postgres.Accept(w.ctx, tx, w.fsa, id, "", "test") })
	if kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("FSA accepting METI's assessment: %v, want not found", err)
	}
	w.checkRollups(t, id)

	// METI returns it with a comment on PR-02; the operator sees it, replies, revises.
	err = w.as(w.meti, func(tx pgx.Tx) error { return postgres.Return(w.ctx, tx, w.meti, id, "", nil, "test") })
	wantKijunError(t, err, kijun.EInvalid, "assessment.return.note_required")
	w.must(t, w.meti, func(tx pgx.Tx) error {
		return postgres.Return(w.ctx, tx, w.meti, id, "PR-02 の計画を具体化してください",
			[]postgres.CommentInput{{Ref: "PR-02", Body: "完了予定日が遅すぎます。"}}, "test")
	})
	var thread []assessment.ReviewComment
	w.must(t, w.userA, func(tx pgx.Tx) (err error) {
		thread, err = postgres.ListComments(w.ctx, tx, id, "PR-02")
		if err != nil || len(thread) != 1 {
			return fmt.Errorf("operator sees %d comments (%v)", len(thread), err)
		}
		if thread[0].Side != assessment.SideMinistry || thread[0].AuthorName != "meti" {
			t.Errorf("comment %+v", thread[0])
		}
		reply, err := postgres.AddComment(w.ctx, tx, w.userA, id, "", thread[0].ID, "前倒しします。", "test")
		if err != nil {
			return err
		}
		if reply.Ref != "PR-02" || reply.ParentID != thread[0].ID || reply.Side != assessment.SideOperator {
			t.Errorf("reply %+v", reply)
		}
		return nil
	})
	fixed := remediation()
	fixed.Due = date("2027-09-30")
	w.save(t, w.userA, assessment.Answer{AssessmentID: id, Ref: "PR-02", Status: assessment.AnswerNotImplemented, Remediation: fixed})
	err = w.as(w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, id, "test") })
	wantKijunError(t, err, kijun.EConflict, "assessment.transition") // a returned assessment is resubmitted
	w.must(t, w.userA, func(tx pgx.Tx) error { return signOffResubmit(w.ctx, tx, w.userA, id, "test") })
	w.must(t, w.meti, func(tx pgx.Tx) error { return postgres.Accept(w.ctx, tx, w.meti, id, "確認しました", "test") })
	w.checkRollups(t, id)

	var hist []assessment.Event
	w.must(t, w.userA, func(tx pgx.Tx) (err error) { hist, err = postgres.History(w.ctx, tx, id); return err })
	var steps []string
	for _, e := range hist {
		steps = append(steps, fmt.Sprintf("%s>%s:%s", e.From, e.To, e.ByName))
	}
	wantSteps := []string{">not_started:nco", "not_started>in_progress:userA", "in_progress>submitted:userA",
		"submitted>returned:meti", "returned>submitted:userA", "submitted>accepted:meti"}
	if !slices.Equal(steps, wantSteps) {
		t.Errorf("history %v, want %v", steps, wantSteps)
	}
	if hist[3].Note != "PR-02 の計画を具体化してください" {
		t.Errorf("return note %q", hist[3].Note)
	}

	// Every step audited, on operator A's chain with its tenant keys.
	rows, _ := w.db.Owner.Query(w.ctx, `SELECT action, coalesce(sector_code, ''), coalesce(operator_id, 0), chain
		FROM audit_events WHERE action LIKE 'assessment.%' AND action <> 'assessment.cycle.open'
			AND (object_id = $1 OR object_id LIKE $1 || '/%') ORDER BY id`, fmt.Sprint(id))
	type ev struct {
		Action, Sector string
		Operator       int64
		Chain          string
	}
	evs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ev])
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		if e.Sector != "electricity" || e.Operator != w.opA || e.Chain != fmt.Sprintf("operator:%d", w.opA) {
			t.Errorf("event %+v: want electricity / operator %d", e, w.opA)
		}
		if len(actions) == 0 || actions[len(actions)-1] != e.Action {
			actions = append(actions, e.Action)
		}
	}
	wantActions := []string{"assessment.start", "assessment.answer.save", "assessment.signoff.confirmed", "assessment.submit", "assessment.comment.add",
		"assessment.return", "assessment.comment.add", "assessment.answer.save", "assessment.signoff.confirmed", "assessment.resubmit", "assessment.accept"}
	if !slices.Equal(actions, wantActions) {
		t.Errorf("audited actions\n got %v\nwant %v", actions, wantActions)
	}
	var saves int
	for _, e := range evs {
		if e.Action == "assessment.answer.save" {
			saves++
		}
	}
	if saves != 4+5+1 {
		t.Errorf("%d answer saves audited, want 10", saves)
	}
	breaks, _, err := postgres.VerifyAudit(w.ctx, w.db.Owner)
	if err != nil || len(breaks) > 0 {
		t.Errorf("audit chain: %v %v", breaks, err)
	}
}

// checkRollups compares the rollups with the hand-computed example of
// answerAll: GV-01 1.0, GV-02 0.5, PR-01 N/A (excluded), PR-02 0, DE-01 1.0.
func (w *asmWorld) checkRollups(t *testing.T, id int64) {
	t.Helper()
	f := func(v float64) *float64 { return &v }
	r := func(kind, key string, controls, applicable, impl, partial, notImpl, na int, score *float64) assessment.Rollup {
		return assessment.Rollup{Kind: kind, Key: key, Controls: controls, Answered: controls, Applicable: applicable,
			Implemented: impl, Partial: partial, NotImplemented: notImpl, NA: na, Score: score}
	}
	want := []assessment.Rollup{
		r("overall", "", 5, 4, 2, 1, 1, 1, f(0.625)), // (1 + 0.5 + 0 + 1) / 4
		r("section", "DE", 1, 1, 1, 0, 0, 0, f(1)),
		r("section", "GV", 2, 2, 1, 1, 0, 0, f(0.75)),
		r("section", "PR", 2, 1, 0, 0, 1, 1, f(0)), // PR-01 N/A excluded
		r("theme", "closed-network", 1, 0, 0, 0, 0, 1, nil),
		r("theme", "resilience", 2, 1, 1, 0, 0, 1, f(1)),
		r("theme", "supply-chain", 1, 1, 0, 1, 0, 0, f(0.5)),
		r("csf_function", "DE", 1, 1, 1, 0, 0, 0, f(1)),
		r("csf_function", "GV", 2, 2, 1, 1, 0, 0, f(0.75)),
		r("csf_function", "ID", 1, 1, 0, 1, 0, 0, f(0.5)),
		r("csf_function", "PR", 2, 1, 0, 0, 1, 1, f(0)), // PR-02 counted once for PR.AA and PR.DS
	}
	for _, p := range []*identity.Principal{w.userA, w.meti, w.nco} {
		var got []assessment.Rollup
		w.must(t, p, func(tx pgx.Tx) (err error) { got, err = postgres.Rollups(w.ctx, tx, id); return err })
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("rollups as %s:\n got %s\nwant %s", p.Name, fmtRollups(got), fmtRollups(want))
		}
	}
}

func fmtRollups(rs []assessment.Rollup) string {
	var b strings.Builder
	for _, r := range rs {
		s := "nil"
		if r.Score != nil {
			s = fmt.Sprint(*r.Score)
		}
		fmt.Fprintf(&b, "\n  %s/%s n=%d ans=%d app=%d %d/%d/%d/%d score=%s", r.Kind, r.Key, r.Controls, r.Answered, r.Applicable,
			r.Implemented, r.Partial, r.NotImplemented, r.NA, s)
	}
	return b.String()
}

func TestSaveAnswerConcurrency(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	const n = 16

	// n saves of one new answer, all expecting version 0 (none): exactly
	// one wins, every other gets a conflict carrying the stored answer.
	// Then n saves expecting version 1: again exactly one.
	for _, expected := range []int{0, 1} {
		var ok, conflicts, other atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := w.userA
				if i%2 == 1 {
					p = w.userA2
				}
				err := w.as(p, func(tx pgx.Tx) error {
					_, err := postgres.SaveAnswer(w.ctx, tx, p, assessment.Answer{AssessmentID: id, Ref: "GV-01",
						Status: assessment.AnswerPartial, How: fmt.Sprintf("writer %d", i)}, expected, "test")
					return err
				})
				var ke *kijun.Error
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &ke) && ke.MessageID == "assessment.conflict":
					if cur := ke.Args["Current"].(assessment.Answer); cur.Version != expected+1 || !strings.HasPrefix(cur.How, "writer ") {
						t.Errorf("conflict shows %+v", cur)
					}
					conflicts.Add(1)
				default:
					t.Errorf("save: %v", err)
					other.Add(1)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || conflicts.Load() != n-1 {
			t.Fatalf("expected version %d: %d saved, %d conflicts, %d other; want 1 and %d", expected, ok.Load(), conflicts.Load(), other.Load(), n-1)
		}
	}

	// No lost update: writers on one answer read, append their mark and
	// save, retrying on conflict; writers on the other answers do the same
	// on their own. Every mark must be in the end, and the version must
	// count every successful save.
	refs := []string{"GV-01", "GV-02", "PR-01", "PR-02", "DE-01"}
	const perRef = 6
	var saves [5]atomic.Int32
	var wg sync.WaitGroup
	for r, ref := range refs {
		for i := range perRef {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mark := fmt.Sprintf("[%s#%d]", ref, i)
				for try := 0; ; try++ {
					if try > 200 {
						t.Errorf("%s: gave up", mark)
						return
					}
					err := w.as(w.userA, func(tx pgx.Tx) error {
						cur, err := postgres.GetAnswer(w.ctx, tx, id, ref)
						if err != nil {
							return err
						}
						_, err = postgres.SaveAnswer(w.ctx, tx, w.userA, assessment.Answer{AssessmentID: id, Ref: ref,
							Status: assessment.AnswerImplemented, How: cur.How + mark}, cur.Version, "test")
						return err
					})
					if err == nil {
						saves[r].Add(1)
						return
					}
					if kijun.ErrorCode(err) != kijun.EConflict {
						t.Errorf("%s: %v", mark, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	w.must(t, w.userA, func(tx pgx.Tx) error {
		rows, err := postgres.ListAnswers(w.ctx, tx, id, "")
		if err != nil {
			return err
		}
		for _, row := range rows {
			r := slices.Index(refs, row.Control.Ref)
			base := 0
			if row.Control.Ref == "GV-01" {
				base = 2 // the two rounds above
			}
			if row.Answer.Version != base+int(saves[r].Load()) || saves[r].Load() != perRef {
				t.Errorf("%s: version %d after %d saves", row.Control.Ref, row.Answer.Version, saves[r].Load())
			}
			for i := range perRef {
				if mark := fmt.Sprintf("[%s#%d]", row.Control.Ref, i); !strings.Contains(row.Answer.How, mark) {
					t.Errorf("%s: lost update %s (how = %q)", row.Control.Ref, mark, row.Answer.How)
				}
			}
		}
		return nil
	})
	var audited int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.answer.save'`).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 2+len(refs)*perRef {
		t.Errorf("%d saves audited, want %d", audited, 2+len(refs)*perRef)
	}
}

func TestCarryForward(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	old := w.assessmentOf(t, w.openCycle(t, 2026), w.opA)
	w.answerAll(t, w.userA, old)
	w.must(t, w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, old, "test") })
	// The next year's catalog drops DE-01 and adds DE-02.
	next := smallCatalog("2")
	next.Controls[5].Ref = "DE-02"
	w.catalogID = importPublished(t, w.db, next)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)

	var refs []string
	w.must(t, w.userA, func(tx pgx.Tx) (err error) {
		refs, err = postgres.CarryForward(w.ctx, tx, w.userA, id, "test")
		return err
	})
	if want := []string{"GV-01", "GV-02", "PR-01", "PR-02"}; !slices.Equal(refs, want) {
		t.Fatalf("carried %v, want %v", refs, want)
	}
	carried := func() (marked []string) {
		w.must(t, w.userA, func(tx pgx.Tx) error {
			rows, err := postgres.ListAnswers(w.ctx, tx, id, "")
			for _, r := range rows {
				if r.Answer.CarriedForward {
					marked = append(marked, r.Control.Ref)
				}
			}
			return err
		})
		return marked
	}
	if got := carried(); !slices.Equal(got, refs) {
		t.Fatalf("marked %v, want %v", got, refs)
	}
	// Unconfirmed carried answers are gaps.
	w.save(t, w.userA, assessment.Answer{AssessmentID: id, Ref: "DE-02", Status: assessment.AnswerImplemented})
	err := w.as(w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, id, "test") })
	ke := wantKijunError(t, err, kijun.EInvalid, "assessment.incomplete")
	if ps := ke.Args["Problems"].([]assessment.AnswerProblem); len(ps) != 4 || ps[0].MessageID != "assessment.gap.carried_unconfirmed" {
		t.Errorf("gaps %+v", ps)
	}
	// Changing one clears its mark; confirming clears the others.
	w.save(t, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-02", Status: assessment.AnswerImplemented})
	if got := carried(); !slices.Equal(got, []string{"GV-01", "PR-01", "PR-02"}) {
		t.Fatalf("after a change, marked %v", got)
	}
	w.must(t, w.userA, func(tx pgx.Tx) error {
		done, err := postgres.ConfirmCarried(w.ctx, tx, w.userA, id, []string{"PR-01"}, "test")
		if !slices.Equal(done, []string{"PR-01"}) {
			t.Errorf("confirmed %v", done)
		}
		return err
	})
	if got := carried(); !slices.Equal(got, []string{"GV-01", "PR-02"}) {
		t.Fatalf("after confirming PR-01, marked %v", got)
	}
	// Confirming at the versions the user saw: an answer at another
	// version (changed since) stays marked.
	versions := map[string]int{}
	w.must(t, w.userA, func(tx pgx.Tx) error {
		rows, err := postgres.ListAnswers(w.ctx, tx, id, "")
		for _, r := range rows {
			versions[r.Control.Ref] = r.Answer.Version
		}
		return err
	})
	w.must(t, w.userA, func(tx pgx.Tx) error {
		done, err := postgres.ConfirmCarriedAt(w.ctx, tx, w.userA, id, []string{"GV-01", "PR-02"},
			[]int{versions["GV-01"] + 1, versions["PR-02"]}, "test")
		if !slices.Equal(done, []string{"PR-02"}) {
			t.Errorf("confirmed at versions: %v, want [PR-02]", done)
		}
		return err
	})
	if got := carried(); !slices.Equal(got, []string{"GV-01"}) {
		t.Fatalf("after confirming at versions, marked %v", got)
	}
	w.must(t, w.userA, func(tx pgx.Tx) error {
		_, err := postgres.ConfirmCarried(w.ctx, tx, w.userA, id, nil, "test")
		return err
	})
	if got := carried(); len(got) != 0 {
		t.Fatalf("after confirming all, marked %v", got)
	}
	w.must(t, w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, id, "test") })
	// The old assessment kept its own control set (DE-01), the new one DE-02.
	var oldRefs []string
	w.must(t, w.userA, func(tx pgx.Tx) error {
		rows, err := postgres.ListAnswers(w.ctx, tx, old, "DE")
		for _, r := range rows {
			oldRefs = append(oldRefs, r.Control.Ref)
		}
		return err
	})
	if !slices.Equal(oldRefs, []string{"DE-01"}) {
		t.Errorf("old assessment's DE controls %v", oldRefs)
	}
}

func officeZip(t *testing.T, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, name := range []string{"[Content_Types].xml", dir + "document.xml"} {
		f, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("<?xml version=\"1.0\"?><x/>"))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEvidence(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	pdf := []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 64)...)
	add := func(name string, data []byte, limit int64) (assessment.Evidence, error) {
		var e assessment.Evidence
		err := w.as(w.userA, func(tx pgx.Tx) (err error) {
			e, err = postgres.AddEvidence(w.ctx, tx, w.userA, id, "GV-01", name, data, limit, "test")
			return err
		})
		return e, err
	}
	e, err := add(`C:\Users\a\規程.pdf`, pdf, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(pdf); !bytes.Equal(e.SHA256, sum[:]) || e.Size != int64(len(pdf)) || e.ContentType != "application/pdf" || e.FileName != "規程.pdf" {
		t.Errorf("stored %+v", e)
	}
	for _, ok := range []struct {
		name string
		data []byte
		ct   string
	}{
		{"台帳.xlsx", officeZip(t, "xl/"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"手順.docx", officeZip(t, "word/"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"一覧.csv", []byte("\xef\xbb\xbf番号,名前\n1,サーバ\n"), "text/csv; charset=utf-8"},
		{"screen.PNG", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...), "image/png"},
	} {
		if e, err := add(ok.name, ok.data, 0); err != nil || e.ContentType != ok.ct {
			t.Errorf("%s: %v %q", ok.name, err, e.ContentType)
		}
	}
	_, err = add("big.pdf", pdf, int64(len(pdf)-1))
	wantKijunError(t, err, kijun.EInvalid, "assessment.evidence.too_large")
	for _, bad := range []struct {
		name string
		data []byte
	}{
		{"invoice.pdf", exe},                 // a program renamed .pdf
		{"setup.exe", exe},                   // not an accepted type at all
		{"table.xlsx", officeZip(t, "foo/")}, // a zip, but no workbook
		{"table.xlsx", officeZip(t, "word/")},
		{"photo.png", pdf},                                // a PDF named .png
		{"notes.txt", []byte("<html><script>x</script>")}, // HTML named .txt
	} {
		_, err := add(bad.name, bad.data, 0)
		wantKijunError(t, err, kijun.EInvalid, "assessment.evidence.type_refused")
	}
	_, err = add("empty.pdf", nil, 0)
	wantKijunError(t, err, kijun.EInvalid, "assessment.evidence.empty")
	var n int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM evidence`).Scan(&n); err != nil || n != 5 {
		t.Errorf("%d files stored (%v), want 5", n, err)
	}
	// The database's ceiling holds whatever the store is told.
	err = w.as(w.userA, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `INSERT INTO evidence (assessment_id, ref, operator_id, sector_code, file_name, content_type,
			size, sha256, bytes, uploaded_by) VALUES ($1, 'GV-01', $2, 'electricity', 'x.pdf', 'application/pdf', 52428801, $3, 'x', $4)`,
			id, w.opA, make([]byte, 32), w.userA.UserID)
		return err
	})
	if pgCodeOf(err) != "23514" {
		t.Errorf("oversize row in SQL: %v, want a check violation", err)
	}

	for _, c := range []struct {
		p       *identity.Principal
		visible bool
	}{{w.userA, true}, {w.meti, true}, {w.nco, true}, {w.userB, false}, {w.fsa, false}, {w.uFin, false}} {
		err := w.as(c.p, func(tx pgx.Tx) error {
			got, data, err := postgres.GetEvidence(w.ctx, tx, e.ID)
			if c.visible && (err != nil || !bytes.Equal(data, pdf) || got.UploadedByName != "userA") {
				t.Errorf("%s: %v", c.p.Name, err)
			}
			if !c.visible && kijun.ErrorCode(err) != kijun.ENotFound {
				t.Errorf("%s reads operator A's evidence: %v, want not found", c.p.Name, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Another operator cannot attach to A's assessment.
	err = w.as(w.userB, func(tx pgx.Tx) error {
		_, err := postgres.AddEvidence(w.ctx, tx, w.userB, id, "GV-01", "x.pdf", pdf, 0, "test")
		return err
	})
	if kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("operator B adding to A: %v, want not found", err)
	}
}

// TestAssessmentRLS reads the new tables with plain SELECTs as each
// principal: only row-level security limits them.
func TestAssessmentRLS(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	cycle := w.openCycle(t, 2027)
	users := map[int64]*identity.Principal{w.opA: w.userA, w.opB: w.userB, w.opFin: w.uFin}
	for op, p := range users {
		id := w.assessmentOf(t, cycle, op)
		w.answerAll(t, p, id)
		if op == w.opFin {
			w.save(t, p, assessment.Answer{AssessmentID: id, Ref: "PR-03", Status: assessment.AnswerImplemented})
		}
		w.must(t, p, func(tx pgx.Tx) error {
			if _, err := postgres.AddEvidence(w.ctx, tx, p, id, "GV-01", "a.txt", []byte("evidence"), 0, "test"); err != nil {
				return err
			}
			if _, err := postgres.AddComment(w.ctx, tx, p, id, "GV-01", 0, "質問です", "test"); err != nil {
				return err
			}
			return signOffSubmit(w.ctx, tx, p, id, "test")
		})
	}
	all := []int64{w.opA, w.opB, w.opFin}
	slices.Sort(all)
	cases := []struct {
		name string
		p    *identity.Principal
		want []int64
	}{
		{"operator A", w.userA, []int64{w.opA}},
		{"METI", w.meti, []int64{w.opA, w.opB}},
		{"FSA", w.fsa, []int64{w.opFin}},
		{"NCO", w.nco, all},
		{"anonymous", nil, nil},
	}
	for _, c := range cases {
		w.must(t, c.p, func(tx pgx.Tx) error {
			for _, table := range []string{"assessments", "answers", "evidence", "review_comments", "assessment_events",
				"assessment_rollups", "assessment_controls"} {
				got := regIDs(t, tx, `SELECT DISTINCT operator_id FROM `+table)
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: %s shows operators %v, want %v", c.name, table, got, c.want)
				}
			}
			return nil
		})
	}
	// The ministry list counts per sector and status, within RLS.
	w.must(t, w.meti, func(tx pgx.Tx) error {
		list, err := postgres.ListAssessments(w.ctx, tx, assessment.Filter{CycleID: cycle, Status: "submitted"})
		if err != nil {
			return err
		}
		if len(list.Assessments) != 2 || list.Total != 2 || len(list.Counts) != 1 ||
			list.Counts["electricity"] != (assessment.StatusCounts{Submitted: 2, Total: 2}) {
			t.Errorf("METI list: %d rows, total %d, counts %+v", len(list.Assessments), list.Total, list.Counts)
		}
		return nil
	})
}

func TestListAssessmentsOverdue(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	var cy assessment.Cycle
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: 2025, CatalogID: w.catalogID,
			OpensOn: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	})
	a := w.assessmentOf(t, cy.ID, w.opA)
	w.answerAll(t, w.userA, a)
	w.must(t, w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, a, "test") })
	w.save(t, w.userB, assessment.Answer{AssessmentID: w.assessmentOf(t, cy.ID, w.opB), Ref: "GV-01", Status: assessment.AnswerImplemented})
	w.must(t, w.nco, func(tx pgx.Tx) error {
		list, err := postgres.ListAssessments(w.ctx, tx, assessment.Filter{CycleID: cy.ID, Status: assessment.StatusOverdue})
		if err != nil {
			return err
		}
		var ops []int64
		for _, x := range list.Assessments {
			ops = append(ops, x.OperatorID)
			if !x.Overdue {
				t.Errorf("%d listed as overdue but not marked", x.OperatorID)
			}
		}
		slices.Sort(ops)
		if want := []int64{w.opB, w.opFin}; !slices.Equal(ops, want) {
			t.Errorf("overdue %v, want %v", ops, want)
		}
		if c := list.Counts["electricity"]; c != (assessment.StatusCounts{InProgress: 1, Submitted: 1, Overdue: 1, Total: 2}) {
			t.Errorf("electricity counts %+v", c)
		}
		if c := list.Counts["finance"]; c != (assessment.StatusCounts{NotStarted: 1, Overdue: 1, Total: 1}) {
			t.Errorf("finance counts %+v", c)
		}
		return nil
	})
	// A second open cycle for the same year is refused; a draft catalog too.
	err := w.as(w.nco, func(tx pgx.Tx) error {
		_, _, err := postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: 2025, CatalogID: w.catalogID,
			OpensOn: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	})
	wantKijunError(t, err, kijun.EConflict, "assessment.cycle.exists")
	err = w.as(w.meti, func(tx pgx.Tx) error {
		_, _, err := postgres.OpenCycle(w.ctx, tx, w.meti, postgres.CycleInput{FiscalYear: 2030, CatalogID: w.catalogID,
			OpensOn: time.Date(2030, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2031, 1, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	})
	wantKijunError(t, err, kijun.EForbidden, "assessment.forbidden")
}

// TestControlSelectorHook plugs in a selector as the sector-profile issue
// will: new assessments of the sector get its selection (a supplementary
// control included), the assessments already open keep theirs.
func TestControlSelectorHook(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	cycle := w.openCycle(t, 2027)
	profile := func(_ context.Context, _ pgx.Tx, cat *catalog.Catalog, sector string) ([]assessment.Control, string, error) {
		base, _, _ := postgres.BaselineControls(w.ctx, nil, cat, sector)
		var out []assessment.Control
		for _, c := range base {
			if c.Ref != "PR-01" { // the profile says PR-01 does not apply
				out = append(out, c)
			}
		}
		out = append(out, assessment.Control{Ref: "TT-90", Section: "TT", Title: kijun.Text{Ja: "分野独自の管理策"}, SortOrder: 99})
		return out, "profile:1", nil
	}
	var late int64
	if err := w.db.Owner.QueryRow(w.ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation)
		VALUES ($1, '電力C', 'electricity', 'ci') RETURNING id`, regCN(14)).Scan(&late); err != nil {
		t.Fatal(err)
	}
	var id int64
	w.must(t, w.meti, func(tx pgx.Tx) (err error) {
		var created bool
		id, created, err = postgres.EnsureAssessment(w.ctx, tx, w.meti, cycle, late, profile, "test")
		if !created {
			t.Error("not created")
		}
		return err
	})
	refsOf := func(aid int64) (refs []string) {
		w.must(t, w.nco, func(tx pgx.Tx) error {
			rows, err := postgres.ListAnswers(w.ctx, tx, aid, "")
			for _, r := range rows {
				refs = append(refs, r.Control.Ref)
			}
			return err
		})
		return refs
	}
	if got := refsOf(id); !slices.Equal(got, []string{"GV-01", "GV-02", "PR-02", "DE-01", "TT-90"}) {
		t.Errorf("mid-cycle assessment answers %v", got)
	}
	if got := refsOf(w.assessmentOf(t, cycle, w.opA)); !slices.Equal(got, []string{"GV-01", "GV-02", "PR-01", "PR-02", "DE-01"}) {
		t.Errorf("open assessment changed: %v", got)
	}
	w.must(t, w.meti, func(tx pgx.Tx) error {
		again, created, err := postgres.EnsureAssessment(w.ctx, tx, w.meti, cycle, late, profile, "test")
		if again != id || created {
			t.Errorf("second ensure: %d %v", again, created)
		}
		return err
	})
}

// TestOpenCycleAtScale opens a cycle for 2,000 operators: one assessment
// each, sharing one control set per sector.
func TestOpenCycleAtScale(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	if _, err := w.db.Owner.Exec(w.ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation)
		SELECT lpad((9000000000000 + g)::text, 13, '0'), '事業者' || g,
			(ARRAY['electricity', 'gas', 'finance', 'ict', 'government'])[1 + g % 5], 'ci'
		FROM generate_series(1, 1997) g`); err != nil {
		t.Fatal(err)
	}
	var n int
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		_, n, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: 2027, CatalogID: w.catalogID,
			OpensOn: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	})
	if n != 2000 {
		t.Fatalf("created %d assessments, want 2000", n)
	}
	var sets, wrong int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT count(DISTINCT control_set_id),
		count(*) FILTER (WHERE s.control_count <> CASE a.sector_code WHEN 'finance' THEN 6 ELSE 5 END)
		FROM assessments a JOIN control_sets s ON s.id = a.control_set_id`).Scan(&sets, &wrong); err != nil {
		t.Fatal(err)
	}
	if sets != 5 || wrong != 0 {
		t.Errorf("%d control sets (want 5, one per sector), %d assessments with the wrong controls", sets, wrong)
	}
}

// TestAssessmentMessages checks that every message id the store uses is
// in both assessment locale files.
func TestAssessmentMessages(t *testing.T) {
	t.Parallel()
	var used []string
	for _, f := range []string{"assessments.go", "assessment_evidence.go", "../assessment/assessment.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`"(assessment\.[a-z_.]+)"`).FindAllSubmatch(src, -1) {
			if id := string(m[1]); !strings.HasSuffix(id, ".") && !strings.HasPrefix(id, "assessment.cycle.open") &&
				!slices.Contains([]string{"assessment.start", "assessment.create", "assessment.submit", "assessment.resubmit",
					"assessment.return", "assessment.accept"}, id) && !strings.Contains(id, ".answer.save") &&
				!strings.Contains(id, ".carry_forward") && !strings.Contains(id, ".answer.confirm") &&
				!strings.HasSuffix(id, ".add") {
				used = append(used, id)
			}
		}
	}
	if len(used) < 30 {
		t.Fatalf("found only %d message ids: %v", len(used), used)
	}
	for _, lang := range []string{"ja", "en"} {
		b, err := os.ReadFile("../i18n/locales/assessment." + lang + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, id := range used {
			if m[id] == "" {
				t.Errorf("%s: %s missing", lang, id)
			}
		}
	}
}

func TestFiscalYear(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		at   time.Time
		want kijun.FiscalYear
	}{
		{time.Date(2027, 4, 1, 0, 0, 0, 0, kijun.JST), 2027},
		{time.Date(2028, 3, 31, 23, 59, 0, 0, kijun.JST), 2027},
		{time.Date(2027, 3, 31, 15, 30, 0, 0, time.UTC), 2027}, // 00:30 on 1 April in Japan
	} {
		if got := kijun.FiscalYearOf(c.at); got != c.want {
			t.Errorf("%v: FY%d, want FY%d", c.at, got, c.want)
		}
	}
	if got := kijun.FiscalYear(2027).Label(kijun.En); got != "FY2027 (Reiwa 9)" {
		t.Error(got)
	}
}

// Before its cycle opens (by the database's clock, a day in Japan) an
// assessment takes no answer and no submission; the database refuses the
// start too, and a cycle falling due after its fiscal year.
func TestNothingBeforeTheCycleOpens(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	today := w.db.Today(t)
	fy := kijun.FiscalYearOf(today.AddDate(0, 0, 1)) // the year tomorrow falls in
	var cy assessment.Cycle
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: fy, CatalogID: w.catalogID,
			OpensOn: today.AddDate(0, 0, 1), DueOn: today.AddDate(0, 0, 2)}, nil, "test")
		return err
	})
	id := w.assessmentOf(t, cy.ID, w.opA)
	err := w.as(w.userA, func(tx pgx.Tx) error {
		_, err := postgres.SaveAnswer(w.ctx, tx, w.userA, assessment.Answer{AssessmentID: id, Ref: "GV-01", Status: assessment.AnswerImplemented}, 0, "test")
		return err
	})
	var ke *kijun.Error
	if !errors.As(err, &ke) || ke.MessageID != "assessment.cycle.not_open" || ke.Args["Date"] != today.AddDate(0, 0, 1).Format(time.DateOnly) {
		t.Fatalf("save before the cycle opens: %v, want assessment.cycle.not_open with the date", err)
	}
	err = w.as(w.userA, func(tx pgx.Tx) error { return signOffSubmit(w.ctx, tx, w.userA, id, "test") })
	if !errors.As(err, &ke) || ke.MessageID != "assessment.cycle.not_open" {
		t.Fatalf("submit before the cycle opens: %v", err)
	}
	if _, err := w.db.Owner.Exec(w.ctx, `UPDATE assessments SET status = 'in_progress' WHERE id = $1`, id); err == nil ||
		!strings.Contains(err.Error(), "has not opened") {
		t.Errorf("the database let an assessment start before its cycle opens: %v", err)
	}
	err = w.as(w.nco, func(tx pgx.Tx) error {
		_, _, err := postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: fy + 1, CatalogID: w.catalogID,
			OpensOn: (fy + 1).Start(), DueOn: (fy + 2).Start()}, nil, "test")
		return err
	})
	if !errors.As(err, &ke) || ke.MessageID != "assessment.cycle.dates" {
		t.Errorf("a cycle due after its fiscal year: %v", err)
	}
	if _, err := w.db.Owner.Exec(w.ctx, `INSERT INTO cycles (fiscal_year, catalog_id, opens_on, due_on) VALUES ($1, $2, $3, $4)`,
		int(fy)+1, w.catalogID, (fy + 1).Start(), (fy + 2).Start()); err == nil {
		t.Error("the database took a cycle due after its fiscal year")
	}
}
