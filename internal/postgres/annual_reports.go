package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/annualreport"
	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// The NCO's annual report: the inputs its figures are compiled from, and
// its steps (annual_reports; RLS: the NCO only; a final row never changes,
// kijun_annual_reports_guard).

const (
	msgReportFinal     = "report.error.final"
	msgReportNoOpinion = "report.error.no_opinion"
	msgReportInvalid   = "report.error.invalid"
)

// LoadAnnualReportInputs reads what the report of fiscal year fy is
// compiled from, as the principal sees it (the NCO: everything).
func LoadAnnualReportInputs(ctx context.Context, tx pgx.Tx, fy kijun.FiscalYear) (annualreport.Inputs, error) {
	in := annualreport.Inputs{FiscalYear: fy, Status: map[string]assessment.StatusCounts{}}
	names, cycles, err := LoadNamesAndCycles(ctx, tx)
	if err != nil {
		return in, err
	}
	for _, c := range cycles {
		if c.FiscalYear <= fy {
			in.Cycles = append(in.Cycles, c)
		}
	}
	for _, s := range names.Sectors {
		in.Sectors = append(in.Sectors, s.Code)
	}
	for _, m := range names.Ministries {
		in.Ministries = append(in.Ministries, m.Code)
	}
	in.Dims = []annualreport.Dim{{Kind: assessment.RollupOverall}}
	for _, s := range names.Sections {
		in.Dims = append(in.Dims, annualreport.Dim{Kind: assessment.RollupSection, Key: s.Code})
	}
	for _, t := range names.Themes {
		in.Dims = append(in.Dims, annualreport.Dim{Kind: assessment.RollupTheme, Key: t.Code})
	}
	rows, _ := tx.Query(ctx, `SELECT o.ministry_code, o.sector_code FROM sector_oversight o
		JOIN ministries m ON m.code = o.ministry_code JOIN sectors s ON s.code = o.sector_code
		ORDER BY m.sort_order, s.sort_order`)
	if in.Oversight, err = pgx.CollectRows(rows, pgx.RowToStructByPos[annualreport.Pair]); err != nil {
		return in, err
	}
	cy, ok := annualreport.ReportCycle(fy, in.Cycles)
	if ok {
		rows, _ = tx.Query(ctx, `SELECT sector_code,
				coalesce(sum(n) FILTER (WHERE status = 'not_started'), 0)::int,
				coalesce(sum(n) FILTER (WHERE status = 'in_progress'), 0)::int,
				coalesce(sum(n) FILTER (WHERE status = 'submitted'), 0)::int,
				coalesce(sum(n) FILTER (WHERE status = 'returned'), 0)::int,
				coalesce(sum(n) FILTER (WHERE status = 'accepted'), 0)::int,
				sum(n)::int
			FROM sector_status_counts WHERE cycle_id = $1 GROUP BY 1 HAVING sum(n) > 0`, cy.ID)
		var s string
		var c assessment.StatusCounts
		if _, err := pgx.ForEachRow(rows, []any{&s, &c.NotStarted, &c.InProgress, &c.Submitted, &c.Returned, &c.Accepted, &c.Total},
			func() error { in.Status[s] = c; return nil }); err != nil {
			return in, err
		}
	}
	rows, _ = tx.Query(ctx, `SELECT s.cycle_id, c.fiscal_year, s.sector_code, s.kind, s.key, s.scored,
			(s.sum_score / nullif(s.scored, 0))::float8
		FROM sector_rollups s JOIN cycles c ON c.id = s.cycle_id
		WHERE c.fiscal_year <= $1 AND s.kind IN ('overall', 'section', 'theme') AND s.assessments > 0
		ORDER BY c.fiscal_year, s.cycle_id, s.sector_code, s.kind, s.key`, int(fy))
	in.Points, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (annualreport.Point, error) {
		var p annualreport.Point
		var y int
		err := r.Scan(&p.CycleID, &y, &p.Sector, &p.Kind, &p.Key, &p.N, &p.Score)
		p.FiscalYear = kijun.FiscalYear(y)
		return p, err
	})
	if err != nil {
		return in, err
	}

	// The plans covering the year, each at its newest accepted version.
	type pv struct {
		ID      int64
		Version int
	}
	rows, _ = tx.Query(ctx, `SELECT p.id, v.version FROM plans p
		JOIN ministries m ON m.code = p.ministry_code
		JOIN LATERAL (SELECT x.version FROM plan_versions x WHERE x.plan_id = p.id AND x.status = 'accepted'
			ORDER BY x.version DESC LIMIT 1) v ON true
		WHERE $1 BETWEEN p.period_start AND p.period_end
		ORDER BY m.sort_order, p.id`, int(fy))
	pvs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pv])
	if err != nil {
		return in, err
	}
	for _, x := range pvs {
		pl, err := GetPlan(ctx, tx, x.ID)
		if err != nil {
			return in, err
		}
		v, err := GetPlanVersion(ctx, tx, x.ID, x.Version)
		if err != nil {
			return in, err
		}
		var cycleID int64
		if ok {
			cycleID = cy.ID
		}
		pr, err := ComputePlanProgressIn(ctx, tx, cycleID, fy, pl.SectorCodes, v, annualreport.YearEnd(fy))
		if err != nil {
			return in, err
		}
		in.Plans = append(in.Plans, annualreport.PlanInput{PlanID: x.ID, Version: x.Version, Ministry: pl.MinistryCode,
			Sectors: pl.SectorCodes, Title: v.Title, Operators: pr.Operators, KPIs: pr.KPIs})
	}

	all, err := ListEvaluations(ctx, tx, fy)
	if err != nil {
		return in, err
	}
	for _, e := range all {
		if e.Published {
			in.Evaluations = append(in.Evaluations, e)
		}
	}
	return in, nil
}

// EvaluationYears lists the fiscal years with a published evaluation or a
// cycle, newest first: the years a report can be compiled for.
func EvaluationYears(ctx context.Context, tx pgx.Tx) ([]kijun.FiscalYear, error) {
	rows, _ := tx.Query(ctx, `SELECT fiscal_year FROM plan_evaluations WHERE status = 'published'
		UNION SELECT fiscal_year FROM cycles ORDER BY 1 DESC`)
	return pgx.CollectRows(rows, pgx.RowTo[kijun.FiscalYear])
}

// GetAnnualReport returns the steps of the report of fy (Status draft,
// Edits 0 if nothing is recorded yet).
func GetAnnualReport(ctx context.Context, tx pgx.Tx, fy kijun.FiscalYear) (annualreport.Record, error) {
	r := annualreport.Record{FiscalYear: fy, Status: annualreport.StatusDraft}
	var figures []byte
	var sha *string
	var on time.Time
	err := tx.QueryRow(ctx, `SELECT status, opinion, meeting, meeting_on, opinion_by, opinion_at,
			coalesce(finalized_by, ''), finalized_at, figures, sha256, edits
		FROM annual_reports WHERE fiscal_year = $1`, int(fy)).Scan(&r.Status, &r.Opinion, &r.Meeting, &on, &r.OpinionBy,
		&r.OpinionAt, &r.FinalizedBy, &r.FinalizedAt, &figures, &sha, &r.Edits)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	r.MeetingOn = kijun.Date(on.Format("2006-01-02"))
	if sha != nil {
		r.SHA256 = *sha
	}
	if figures != nil {
		var f annualreport.Figures
		if err := json.Unmarshal(figures, &f); err != nil {
			return r, err
		}
		r.Figures = &f
	}
	return r, nil
}

func reportEvent(p *identity.Principal, requestID, action string, fy kijun.FiscalYear) audit.Event {
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID = action, "annual_report", strconv.Itoa(int(fy))
	return ev
}

// RecordReportOpinion records (or records again) the 推進専門家会議's
// opinion on the report of fy, if the report is still at edits (0: none
// recorded yet) and not final. Problems come back as kijun.EInvalid with
// "Problems" (field → message id).
func RecordReportOpinion(ctx context.Context, tx pgx.Tx, p *identity.Principal, fy kijun.FiscalYear, opinion, meeting string,
	on kijun.Date, edits int, now time.Time, requestID string) error {
	if !p.NCO {
		return kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
	}
	opinion, meeting = strings.TrimSpace(opinion), strings.TrimSpace(meeting)
	if ps := annualreport.CheckOpinion(opinion, meeting, on); len(ps) > 0 {
		return kijun.Errorf(kijun.EInvalid, msgReportInvalid, map[string]any{"Problems": ps})
	}
	before, err := lockAnnualReport(ctx, tx, fy)
	if err != nil {
		return err
	}
	if !annualreport.CanRecordOpinion(before.Status) {
		return kijun.Errorf(kijun.EConflict, msgReportFinal, nil)
	}
	if before.Edits != edits {
		return kijun.Errorf(kijun.EConflict, "report.error.conflict", nil)
	}
	by := p.Name
	_, err = tx.Exec(ctx, `INSERT INTO annual_reports (fiscal_year, opinion, meeting, meeting_on, opinion_by, opinion_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (fiscal_year) DO UPDATE SET opinion = EXCLUDED.opinion, meeting = EXCLUDED.meeting,
			meeting_on = EXCLUDED.meeting_on, opinion_by = EXCLUDED.opinion_by, opinion_at = EXCLUDED.opinion_at,
			edits = annual_reports.edits + 1`, int(fy), opinion, meeting, on.Time(), by, now)
	if err != nil {
		return reportErr(err)
	}
	after := map[string]any{"opinion": opinion, "meeting": meeting, "meeting_on": string(on)}
	var prev any
	if before.Status != annualreport.StatusDraft {
		prev = map[string]any{"opinion": before.Opinion, "meeting": before.Meeting, "meeting_on": string(before.MeetingOn)}
	}
	return Audit(ctx, tx, reportEvent(p, requestID, "annual_report.opinion", fy), prev, after)
}

// FinalizeAnnualReport compiles the report of fy from the data as it is
// now and stores the figures with their SHA-256: from then on the report
// shows those and never changes. The opinion must be recorded, and the
// report still at edits.
func FinalizeAnnualReport(ctx context.Context, tx pgx.Tx, p *identity.Principal, fy kijun.FiscalYear, edits int, now time.Time, requestID string) (string, error) {
	if !p.NCO {
		return "", kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
	}
	before, err := lockAnnualReport(ctx, tx, fy)
	if err != nil {
		return "", err
	}
	if before.Status == annualreport.StatusFinal {
		return "", kijun.Errorf(kijun.EConflict, msgReportFinal, nil)
	}
	if !annualreport.CanFinalize(before.Status) {
		return "", kijun.Errorf(kijun.EInvalid, msgReportNoOpinion, nil)
	}
	if before.Edits != edits {
		return "", kijun.Errorf(kijun.EConflict, "report.error.conflict", nil)
	}
	in, err := LoadAnnualReportInputs(ctx, tx, fy)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(annualreport.Compile(in))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	sha := hex.EncodeToString(sum[:])
	if _, err := tx.Exec(ctx, `UPDATE annual_reports SET status = 'final', finalized_by = $2, finalized_at = $3,
			figures = $4, sha256 = $5, edits = edits + 1 WHERE fiscal_year = $1`, int(fy), p.Name, now, string(b), sha); err != nil {
		return "", reportErr(err)
	}
	return sha, Audit(ctx, tx, reportEvent(p, requestID, "annual_report.finalize", fy),
		map[string]any{"status": string(before.Status)}, map[string]any{"status": "final", "sha256": sha})
}

func lockAnnualReport(ctx context.Context, tx pgx.Tx, fy kijun.FiscalYear) (annualreport.Record, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('annual_report'), $1)`, int(fy)); err != nil {
		return annualreport.Record{}, err
	}
	return GetAnnualReport(ctx, tx, fy)
}

func reportErr(err error) error {
	if pgCode(err) == sqlStateImmutable {
		return kijun.Errorf(kijun.EConflict, msgReportFinal, nil)
	}
	return err
}
