package refdata_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/refdata"
)

// snapshot returns every reference row as text, in a stable order.
func snapshot(t *testing.T, q *pgtest.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range []string{"ministries", "sectors", "sector_oversight", "business_scopes", "ceptoars", "sector_examples", "baseline_sections", "themes"} {
		rows, err := q.Owner.Query(context.Background(), fmt.Sprintf(`SELECT t::text FROM %s t ORDER BY 1`, table))
		if err != nil {
			t.Fatal(err)
		}
		out[table], err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestSeedIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t) // already seeded once by the template
	before := snapshot(t, db)
	if err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error { return refdata.Seed(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, db)
	for table, rows := range before {
		if fmt.Sprint(rows) != fmt.Sprint(after[table]) {
			t.Errorf("%s changed on the second seed:\nbefore %v\nafter  %v", table, rows, after[table])
		}
	}
	counts := map[string]int{"sectors": 15, "ceptoars": 21, "baseline_sections": 7, "themes": 5, "ministries": 6}
	for table, want := range counts {
		if got := len(after[table]); got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
}

func TestReferenceDataFacts(t *testing.T) {
	t.Parallel()
	d, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	// Every sector is overseen by exactly one ministry, as in the source.
	overseen := map[string]int{}
	for _, m := range d.Ministries {
		for _, s := range m.Sectors {
			overseen[s]++
		}
	}
	for _, s := range d.Sectors {
		if overseen[s.Code] != 1 {
			t.Errorf("sector %s overseen by %d ministries", s.Code, overseen[s.Code])
		}
		if len(s.Scopes) == 0 {
			t.Errorf("sector %s has no business scope", s.Code)
		}
		for _, sc := range s.Scopes {
			if sc.Ja == "" || sc.En == "" {
				t.Errorf("sector %s: scope %q lacks a name in one language", s.Code, sc.Ja)
			}
		}
	}
}
