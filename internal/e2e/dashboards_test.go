//go:build dev

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestNCODrillsDownFromHeatmap: the NCO opens the dashboards from the
// menu, clicks the electricity × GV cell of the heatmap, reaches the
// sector's operator list and opens one assessment.
func TestNCODrillsDownFromHeatmap(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	asm := dashSubmitted(t, env)
	ctx := newBrowser(t)

	signIn(t, ctx, env, "nco-analyst")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/dashboards"]`)),
		chromedp.WaitVisible(chromedp.CSS("#chart-heatmap")),
	)
	contains(t, "dashboard title", textOf(t, ctx, "#dash-title"), "全国ダッシュボード")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#chart-heatmap a.chart-cell[href*="/dashboards/sectors/electricity"][href*="key=GV"]`)),
		chromedp.WaitVisible(chromedp.CSS("#table-operators")),
	)
	contains(t, "sector page", textOf(t, ctx, "#dash-title"), "電力")
	contains(t, "operator list", textOf(t, ctx, "#table-operators"), "東都送配電")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#table-operators a[href="/assessments/%d"]`, asm))),
		chromedp.WaitVisible(chromedp.CSS("#assessment-title")),
	)
	contains(t, "assessment", textOf(t, ctx, "#assessment-title"), "東都送配電")
}

// dashSubmitted publishes a two-control catalog, opens FY2026 and has
// Toto Power Grid answer and submit; it returns Toto's assessment.
func dashSubmitted(t *testing.T, env *servertest.Env) int64 {
	t.Helper()
	ctx := context.Background()
	cat := &catalog.Catalog{Code: "dash-e2e", Version: "1", Title: kijun.Text{Ja: "試験", En: "Test"}, Controls: []catalog.Control{
		{Ref: "GV-01", Section: "GV", CSF: []string{"GV.OC"}, Title: kijun.Text{Ja: "GV-01 の表題", En: "GV-01"}, Statement: kijun.Text{Ja: "要求", En: "Req"}},
		{Ref: "PR-01", Section: "PR", CSF: []string{"PR.DS"}, Title: kijun.Text{Ja: "PR-01 の表題", En: "PR-01"}, Statement: kijun.Text{Ja: "要求", En: "Req"}},
	}}
	var catID, toto int64
	if err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) (err error) {
		if catID, _, err = postgres.ImportCatalog(ctx, tx, cat, audit.Event{}); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto); err != nil {
			return err
		}
		return postgres.Publish(ctx, tx, catID, audit.Event{})
	}); err != nil {
		t.Fatal(err)
	}
	oversight, err := postgres.Oversight(ctx, env.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	principal := func(name string, g identity.Grant) *identity.Principal {
		var uid int64
		if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ($1) RETURNING id`, name).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.Owner.Exec(ctx, `INSERT INTO role_grants (user_id, role, operator_id, sector_code, source)
			VALUES ($1, $2, nullif($3, 0), nullif($4, ''), 'directory')`, uid, g.Role, g.OperatorID, g.SectorCode); err != nil {
			t.Fatal(err)
		}
		g.UserID = uid
		return identity.NewPrincipal(uid, name, "", []identity.Grant{g}, oversight)
	}
	nco := principal("統括", identity.Grant{Role: identity.RoleNCOAdmin})
	op := principal("東都 回答者", identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: toto, SectorCode: "electricity"})
	var cy assessment.Cycle
	if err := postgres.InTx(ctx, env.DB.App, nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(ctx, tx, nco, postgres.CycleInput{FiscalYear: 2026, CatalogID: catID,
			OpensOn: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var asm int64
	if err := postgres.InTx(ctx, env.DB.App, op, func(tx pgx.Tx) (err error) {
		if asm, _, err = postgres.FindAssessment(ctx, tx, cy.ID, toto); err != nil {
			return err
		}
		for _, ref := range []string{"GV-01", "PR-01"} {
			if _, err := postgres.SaveAnswer(ctx, tx, op, assessment.Answer{AssessmentID: asm, Ref: ref, Status: assessment.AnswerImplemented}, 0, "test"); err != nil {
				return err
			}
		}
		if _, err := postgres.SignOff(ctx, tx, op, asm, assessment.SignOffConfirmed, "", "test"); err != nil {
			return err
		}
		return postgres.Submit(ctx, tx, op, asm, "test")
	}); err != nil {
		t.Fatal(err)
	}
	return asm
}
