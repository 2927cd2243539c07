package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// BenchmarkAssessmentHotPaths measures the assessment's two hot paths on a
// 100-control assessment — saving one answer (in a transaction, and as
// the autosave sends it, SaveAnswerAs, also after finding its session and
// reading its principal) and loading a 100-control section — next to
// a bare single-row UPDATE in the same run, serially
// and with 32 concurrent users (each on its own operator, so the
// per-operator audit chain does not serialise them):
//
//	go test ./internal/postgres -run '^$' -bench AssessmentHotPaths -benchtime 3s
func BenchmarkAssessmentHotPaths(b *testing.B) {
	ctx := context.Background()
	db := pgtest.New(b)
	controls := make([]catalog.Control, 100)
	refs := make([]string, 100)
	for i := range controls {
		refs[i] = fmt.Sprintf("PR-%03d", i+1)
		controls[i] = catalog.Control{Ref: refs[i], Section: "PR", CSF: []string{"PR.DS"}, Themes: []string{"resilience"},
			Title:     kijun.Text{Ja: "管理策 " + refs[i], En: "Control " + refs[i]},
			Statement: kijun.Text{Ja: "重要なシステムのデータを保護し、その状況を定期的に確認すること。", En: "Protect the data of critical systems and review it regularly."}}
	}
	catalogID := importPublished(b, db, &catalog.Catalog{Code: "bench", Version: "1", Title: kijun.Text{Ja: "性能試験", En: "Benchmark"}, Controls: controls})
	oversight, err := postgres.Oversight(ctx, db.Owner)
	if err != nil {
		b.Fatal(err)
	}
	newUser := func(name string, grants ...identity.Grant) *identity.Principal {
		var id int64
		if err := db.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ($1) RETURNING id`, name).Scan(&id); err != nil {
			b.Fatal(err)
		}
		for _, g := range grants {
			if _, err := db.Owner.Exec(ctx, `INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source)
				VALUES ($1, $2, nullif($3, ''), nullif($4, 0), nullif($5, ''), 'directory')`,
				id, g.Role, g.MinistryCode, g.OperatorID, g.SectorCode); err != nil {
				b.Fatal(err)
			}
		}
		return identity.NewPrincipal(id, name, "", grants, oversight)
	}
	const users = 32
	rows, _ := db.Owner.Query(ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation)
		SELECT lpad((8000000000000 + g)::text, 13, '0'), '事業者' || g, 'electricity', 'ci' FROM generate_series(1, $1) g
		RETURNING id`, users)
	ops, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		b.Fatal(err)
	}
	nco := newUser("nco", identity.Grant{Role: identity.RoleNCOAdmin})
	var cycle assessment.Cycle
	if err := postgres.InTx(ctx, db.App, nco, func(tx pgx.Tx) (err error) {
		cycle, _, err = postgres.OpenCycle(ctx, tx, nco, postgres.CycleInput{FiscalYear: 2027, CatalogID: catalogID,
			OpensOn: time.Now(), DueOn: time.Now().AddDate(1, 0, 0)}, nil, "bench")
		return err
	}); err != nil {
		b.Fatal(err)
	}
	type seat struct {
		p        *identity.Principal
		id       int64
		versions []int
		token    string // its session (autosave)
	}
	seats := make([]*seat, users)
	var saveIn func(ctx context.Context, p *identity.Principal, s *seat, n int) error
	for i, op := range ops {
		s := &seat{p: newUser(fmt.Sprint("op", i), identity.Grant{Role: identity.RoleOperatorStaff, OperatorID: op, SectorCode: "electricity"}),
			versions: make([]int, len(refs))}
		if err := db.Owner.QueryRow(ctx, `SELECT id FROM assessments WHERE cycle_id = $1 AND operator_id = $2`, cycle.ID, op).Scan(&s.id); err != nil {
			b.Fatal(err)
		}
		seats[i] = s
	}
	if _, err := db.Owner.Exec(ctx, `CREATE TABLE bench_rows (id int PRIMARY KEY, v text NOT NULL, n int NOT NULL DEFAULT 0);
		INSERT INTO bench_rows (id, v) SELECT g, '' FROM generate_series(1, 100) g;
		GRANT SELECT, UPDATE ON bench_rows TO kijun_app`); err != nil {
		b.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = users
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()

	save := func(s *seat, n int) error {
		k := n % len(refs)
		return postgres.InTx(ctx, pool, s.p, func(tx pgx.Tx) error {
			a, err := postgres.SaveAnswer(ctx, tx, s.p, assessment.Answer{AssessmentID: s.id, Ref: refs[k], Status: assessment.AnswerPartial,
				Maturity: 2, How: fmt.Sprintf("手順書に基づき運用しています (%d)", n),
				Remediation: assessment.Remediation{Action: "監視を自動化する", Owner: "情報システム部"}}, s.versions[k], "bench")
			if err == nil {
				s.versions[k] = a.Version
			}
			return err
		})
	}
	// saveAs is the autosave's path: no transaction of the caller's.
	saveAs := func(s *seat, n int) error { return saveIn(ctx, s.p, s, n) }
	saveIn = func(ctx context.Context, p *identity.Principal, s *seat, n int) error {
		k := n % len(refs)
		a, err := postgres.SaveAnswerAs(ctx, pool, p, assessment.Answer{AssessmentID: s.id, Ref: refs[k], Status: assessment.AnswerPartial,
			Maturity: 2, How: fmt.Sprintf("手順書に基づき運用しています (%d)", n),
			Remediation: assessment.Remediation{Action: "監視を自動化する", Owner: "情報システム部"}}, s.versions[k], "bench", nil)
		if err == nil {
			s.versions[k] = a.Version
		}
		return err
	}
	// autosave is the whole request's database work: finding its session
	// (scs's pgxstore), reading its principal, then the save.
	store := pgxstore.NewWithCleanupInterval(pool, 0)
	for i, s := range seats {
		s.token = fmt.Sprint("seat-", i)
		if err := store.Commit(s.token, []byte("session"), time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	autosave := func(s *seat, n int) error {
		if _, found, err := store.Find(s.token); err != nil || !found {
			return fmt.Errorf("session %s: found %v, %v", s.token, found, err)
		}
		p, _, err := postgres.LoadRequestPrincipal(ctx, pool, s.p.UserID)
		if err != nil {
			return err
		}
		return saveIn(ctx, p, s, n)
	}
	bare := func(n int) error {
		_, err := pool.Exec(ctx, `UPDATE bench_rows SET v = $2, n = n + 1 WHERE id = $1`, n%100+1, fmt.Sprint("v", n))
		return err
	}
	load := func(s *seat) error {
		return postgres.InTx(ctx, pool, s.p, func(tx pgx.Tx) error {
			d, err := postgres.LoadSection(ctx, tx, s.id, "PR")
			if err == nil && len(d.Rows) != len(refs) {
				err = fmt.Errorf("%d rows", len(d.Rows))
			}
			return err
		})
	}
	// Warm the answers so the section load reads 100 saved answers.
	for n := range refs {
		if err := save(seats[0], n); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("bare_update", func(b *testing.B) {
		for n := 0; b.Loop(); n++ {
			if err := bare(n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("save_answer", func(b *testing.B) {
		for n := 0; b.Loop(); n++ {
			if err := save(seats[0], n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("save_answer_as", func(b *testing.B) {
		for n := 0; b.Loop(); n++ {
			if err := saveAs(seats[0], n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("autosave", func(b *testing.B) {
		for n := 0; b.Loop(); n++ {
			if err := autosave(seats[0], n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load_section_100", func(b *testing.B) {
		for b.Loop() {
			if err := load(seats[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	parallel := func(b *testing.B, op func(s *seat, n int) error) {
		var next atomic.Int32
		var mu sync.Mutex
		var lat []time.Duration
		b.SetParallelism((users + 1) / 2) // × GOMAXPROCS (2 here) = 32 goroutines
		b.RunParallel(func(pb *testing.PB) {
			s := seats[int(next.Add(1)-1)%users]
			var mine []time.Duration
			for n := 0; pb.Next(); n++ {
				t0 := time.Now()
				if err := op(s, n); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		slices.Sort(lat)
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "ops/s")
		}
	}
	b.Run("bare_update_32users", func(b *testing.B) {
		parallel(b, func(s *seat, n int) error { return bare(int(s.id)*7 + n) })
	})
	b.Run("save_answer_32users", func(b *testing.B) { parallel(b, save) })
	b.Run("save_answer_as_32users", func(b *testing.B) { parallel(b, saveAs) })
	b.Run("autosave_32users", func(b *testing.B) { parallel(b, autosave) })
	b.Run("load_section_100_32users", func(b *testing.B) {
		parallel(b, func(s *seat, _ int) error { return load(s) })
	})
}
