//go:build dev

package server_test

import (
	"context"
	"html"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestSupplementaryGuidanceBesideTheControl: an operator answering its
// sector's supplementary control sees the control's guidance (解説) and
// the profile's target beside it, though it cannot read the plan's
// supplementary controls themselves: the control set keeps the guidance.
func TestSupplementaryGuidanceBesideTheControl(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	today := env.DB.Today(t)
	fy := kijun.FiscalYearOf(today)
	f.year = int(fy) - 1 // the plan's period starts this fiscal year
	id := f.plan("METI", "electricity", "draft")
	f.owner(func(tx pgx.Tx) error {
		ctx := context.Background()
		if _, err := tx.Exec(ctx, `INSERT INTO plan_supplementary_controls (version_id, ministry_code, ref, section_code, title_ja,
				statement_ja, guidance_ja, target_status, sectors)
			SELECT v.id, v.ministry_code, 'MX-S01', 'PR', '制御系ネットワークの分離', '制御系ネットワークを分離すること。',
				'一方向ゲートウェイの採用を検討してください。', 'implemented', '{electricity}'
			FROM plan_versions v WHERE v.plan_id = $1`, id); err != nil {
			return err
		}
		for _, s := range []string{"submitted", "under_review", "accepted"} {
			if _, err := tx.Exec(ctx, `UPDATE plan_versions SET status = $2, submitted_at = coalesce(submitted_at, now()),
				decided_at = CASE WHEN $2 = 'accepted' THEN now() END WHERE plan_id = $1`, id, s); err != nil {
				return err
			}
		}
		return nil
	})
	nco := env.NCO(t)
	if err := postgres.InTx(t.Context(), env.DB.App, nco, func(tx pgx.Tx) error {
		_, _, err := postgres.OpenCycle(t.Context(), tx, nco, postgres.CycleInput{FiscalYear: fy, CatalogID: f.catalog,
			OpensOn: today, DueOn: today.AddDate(0, 0, 30)}, postgres.ProfileSelector(fy), "test")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var asm int64
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT a.id FROM assessments a JOIN cycles c ON c.id = a.cycle_id
		JOIN operators o ON o.id = a.operator_id WHERE c.fiscal_year = $1 AND o.corporate_number = '2010401000001'`, int(fy)).Scan(&asm); err != nil {
		t.Fatal(err)
	}
	op := env.SignIn(t, "toto-staff")
	status, body := env.Get(t, op, "/assessments/"+itoa64(asm)+"/sections/PR")
	mustStatus(t, "section", status, 200, body)
	body = html.UnescapeString(body)
	for _, want := range []string{`id="ctl-MX-S01"`, `id="guidance-MX-S01"`, "一方向ゲートウェイの採用を検討してください。", `id="target-MX-S01"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the section page lacks %q\n%.4000s", want, body)
		}
	}
}
