//go:build dev

package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// SeedWorkflow gives `kijun dev` something to work with beyond the
// register: the shipped draft baseline published, this fiscal year's cycle
// open, the bank's assessment answered and submitted (for FSA to review),
// and a first few answers of 東都送配電's. It runs once: a database with
// a cycle already is left alone. Tests build their own fixtures instead.
func SeedWorkflow(ctx context.Context, tx pgx.Tx, now time.Time) error {
	var cycles int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM cycles`).Scan(&cycles); err != nil || cycles > 0 {
		return err
	}
	var catalogID int64
	err := tx.QueryRow(ctx, `SELECT id FROM catalogs WHERE code = 'kijun-baseline' ORDER BY (status = 'published') DESC, id LIMIT 1`).Scan(&catalogID)
	if err != nil {
		return fmt.Errorf("demo workflow: the baseline catalog must be seeded first: %w", err)
	}
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM catalogs WHERE id = $1`, catalogID).Scan(&status); err != nil {
		return err
	}
	by := audit.Event{ActorLabel: "kijun dev"}
	if status == string(catalog.Draft) {
		if err := postgres.Publish(ctx, tx, catalogID, by); err != nil {
			return fmt.Errorf("demo workflow: publishing the baseline: %w", err)
		}
	}
	nco, err := demoPrincipal(ctx, tx, "デモデータ(国家サイバー統括室)", identity.Grant{Role: identity.RoleNCOAdmin})
	if err != nil {
		return err
	}
	if err := postgres.ActAs(ctx, tx, nco); err != nil {
		return err
	}
	fy := kijun.FiscalYearOf(now)
	due := time.Date(int(fy)+1, time.January, 31, 0, 0, 0, 0, kijun.JST)
	if _, _, err := postgres.OpenCycle(ctx, tx, nco, postgres.CycleInput{FiscalYear: fy, CatalogID: catalogID,
		OpensOn: fy.Start(), DueOn: due}, postgres.ProfileSelector(fy), "kijun-dev"); err != nil {
		return fmt.Errorf("demo workflow: opening the cycle: %w", err)
	}
	if err := answerDemo(ctx, tx, "4010001000003", -1, true); err != nil {
		return err
	}
	if err := answerDemo(ctx, tx, "2010401000001", 8, false); err != nil {
		return err
	}
	return incidentDemo(ctx, tx)
}

// incidentDemo files one TLP:GREEN first report of 東都送配電
// (docs/incidents.md), for its ministry to read and ask about.
func incidentDemo(ctx context.Context, tx pgx.Tx) error {
	var opID int64
	var sector, system string
	if err := tx.QueryRow(ctx, `SELECT o.id, o.sector_code, coalesce((SELECT name FROM operator_systems s WHERE s.operator_id = o.id
			ORDER BY sort_order, id LIMIT 1), '') FROM operators o WHERE corporate_number = '2010401000001'`).Scan(&opID, &sector, &system); err != nil {
		return fmt.Errorf("demo workflow: incident report: %w", err)
	}
	p, err := demoPrincipal(ctx, tx, "デモデータ(事業者)", identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: opID, SectorCode: sector})
	if err != nil {
		return err
	}
	if err := postgres.ActAs(ctx, tx, p); err != nil {
		return err
	}
	_, err = postgres.FileIncident(ctx, tx, p, opID, incident.Green, incident.Values{
		"title": "配電監視端末での不審な通信の検知", "occurred_at": "2026-11-20T08:40", "noticed_at": "2026-11-20T09:15",
		"kind": "malware", "systems": system, "impact_service": "配電監視の一部端末を切り離して運用中。供給への影響はない。",
		"status": "contained", "contact": "情報セキュリティ推進室", "controls": "DE-01"}, nil, 0, "kijun-dev")
	return err
}

// answerDemo answers the first n controls (all when n < 0) of the demo
// operator's assessment, as one of its users, and submits it if asked.
func answerDemo(ctx context.Context, tx pgx.Tx, corporateNumber string, n int, submit bool) error {
	var asmID, opID int64
	var sector string
	err := tx.QueryRow(ctx, `SELECT a.id, o.id, o.sector_code FROM assessments a JOIN operators o ON o.id = a.operator_id
		WHERE o.corporate_number = $1 ORDER BY a.id DESC LIMIT 1`, corporateNumber).Scan(&asmID, &opID, &sector)
	if err != nil {
		return fmt.Errorf("demo workflow: assessment of %s: %w", corporateNumber, err)
	}
	p, err := demoPrincipal(ctx, tx, "デモデータ(事業者)", identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: opID, SectorCode: sector})
	if err != nil {
		return err
	}
	if err := postgres.ActAs(ctx, tx, p); err != nil {
		return err
	}
	rows, err := postgres.ListAnswers(ctx, tx, asmID, "")
	if err != nil {
		return err
	}
	due := time.Date(2027, time.September, 30, 0, 0, 0, 0, kijun.JST)
	for i, row := range rows {
		if n >= 0 && i >= n {
			break
		}
		a := assessment.Answer{AssessmentID: asmID, Ref: row.Control.Ref, Status: assessment.AnswerImplemented,
			How: "規程及び手順書に基づき実施し、年1回内部監査で確認している。", Maturity: 3}
		switch i % 7 {
		case 3:
			a.Status, a.Maturity = assessment.AnswerPartial, 2
			a.How = "主要なシステムについては実施済み。残るシステムは計画に沿って対応中。"
			a.Remediation = assessment.Remediation{Action: "残るシステムへの適用", Owner: "情報システム部", Due: &due}
		case 5:
			a.Status, a.Maturity, a.How = assessment.AnswerNotImplemented, 0, ""
			a.Remediation = assessment.Remediation{Action: "手順の整備と試行", Owner: "セキュリティ統括室", Due: &due}
		}
		if _, err := postgres.SaveAnswer(ctx, tx, p, a, 0, "kijun-dev"); err != nil {
			return fmt.Errorf("demo workflow: answering %s: %w", a.Ref, err)
		}
	}
	if submit {
		// The operator's internal check (社内確認) comes first: only a
		// confirmed self-assessment is submitted.
		if _, err := postgres.SignOff(ctx, tx, p, asmID, assessment.SignOffConfirmed, "", "kijun-dev"); err != nil {
			return fmt.Errorf("demo workflow: internal check: %w", err)
		}
		return postgres.Submit(ctx, tx, p, asmID, "kijun-dev")
	}
	return nil
}

// demoPrincipal is a user of the demo data itself, so that its changes are
// attributed to it in the audit log.
func demoPrincipal(ctx context.Context, tx pgx.Tx, name string, g identity.Grant) (*identity.Principal, error) {
	var uid int64
	if err := tx.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ($1) RETURNING id`, name).Scan(&uid); err != nil {
		return nil, err
	}
	oversight, err := postgres.Oversight(ctx, tx)
	if err != nil {
		return nil, err
	}
	return identity.NewPrincipal(uid, name, "", []identity.Grant{g}, oversight), nil
}
