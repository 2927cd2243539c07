// Package synthetic fills a database with national-scale made-up data for
// load tests and dashboards: operators in every sector in proportion to
// the CEPTOAR member counts, several assessment cycles with answers that
// vary by sector and improve over cycles, every review status, and the
// rollups that submit and accept would have written. Bulk rows go in with
// COPY. Everything it creates is marked as synthetic in its names.
// docs/performance.md describes the model and how fast it is.
package synthetic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
)

// Marker ends the English name of everything the generator creates, and
// the bench finds its users by the e-mail domain.
const (
	Marker      = "(synthetic)"
	EmailDomain = "synthetic.invalid"
	// CorporateNumberPrefix starts the 12-digit base of every synthetic
	// 法人番号, so that they never collide with the demo operators'.
	CorporateNumberPrefix = "999"
	actorLabel            = "kijun seed --synthetic"
	answerAuthor          = "合成 (synthetic)"
)

// Config says how much to generate.
type Config struct {
	Operators int    // default 20,000
	Cycles    int    // default 5: fiscal years ending with the current one
	Seed      uint64 // the same seed gives the same data; default 1
	Workers   int    // parallel COPY streams for answers; default 2
	// OperatorUsers is how many operators get a staff user for the bench
	// (each with an assessment in progress in the latest cycle); default 32.
	OperatorUsers int
	// Today is the generator's "now", for the cycle dates and the times
	// assessments moved (tests fix it); default time.Now().
	Today time.Time
	// Log receives progress lines; nil is silent.
	Log func(format string, args ...any)
}

// Result counts what was written.
type Result struct {
	Operators    int
	SectorCounts map[string]int
	Cycles       []assessment.Cycle
	Assessments  int
	Answers      int64
	Rollups      int64
	Events       int64
	Comments     int
	Users        int
	Elapsed      time.Duration
}

func (c *Config) defaults() {
	if c.Operators <= 0 {
		c.Operators = 20000
	}
	if c.Cycles <= 0 {
		c.Cycles = 5
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.OperatorUsers < 0 {
		c.OperatorUsers = 0
	} else if c.OperatorUsers == 0 {
		c.OperatorUsers = 32
	}
	if c.Today.IsZero() {
		c.Today = time.Now()
	}
	if c.Log == nil {
		c.Log = func(string, ...any) {}
	}
}

// gen holds what the passes share.
type gen struct {
	cfg      Config
	db       *pgxpool.Pool
	scale    []assessment.ScaleEntry
	catalog  int64
	nco      *identity.Principal
	ministry map[string]int64 // ministry code → its staff user
	ops      map[int64]int    // operator id → synthetic index (1-based)
	oversee  map[string]string
	today    time.Time

	noReplicaLogged atomic.Bool
}

// Generate writes the synthetic data through db, a pool connected as the
// schema owner (it writes what the application role may not, such as
// users and rollups). It refuses a database that already has cycles:
// generate into a fresh one (make bench does).
func Generate(ctx context.Context, db *pgxpool.Pool, cfg Config) (Result, error) {
	cfg.defaults()
	start := time.Now()
	g := &gen{cfg: cfg, db: db, today: cfg.Today.In(kijun.JST)}
	var res Result
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM cycles`).Scan(&n); err != nil {
		return res, err
	}
	if n > 0 {
		return res, fmt.Errorf("the database already has %d assessment cycles: generate synthetic data into a fresh database", n)
	}
	if err := g.prepare(ctx); err != nil {
		return res, err
	}
	counts, err := g.operators(ctx, &res)
	if err != nil {
		return res, err
	}
	cfg.Log("operators: %d in %d sectors (%s)", res.Operators, len(counts), time.Since(start).Round(time.Millisecond))
	latest := kijun.FiscalYearOf(g.today)
	for k := 0; k < cfg.Cycles; k++ {
		t := time.Now()
		fy := latest - kijun.FiscalYear(cfg.Cycles-1-k)
		cy, err := g.cycle(ctx, k, fy, &res)
		if err != nil {
			return res, fmt.Errorf("cycle %s: %w", fy.Label(kijun.En), err)
		}
		res.Cycles = append(res.Cycles, cy)
		cfg.Log("cycle %s: done in %s (answers so far %d)", fy.Label(kijun.En), time.Since(t).Round(time.Millisecond), res.Answers)
	}
	if err := g.operatorUsers(ctx, res.Cycles[len(res.Cycles)-1].ID, &res); err != nil {
		return res, err
	}
	res.Elapsed = time.Since(start)
	err = postgres.SystemTx(ctx, db, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `ANALYZE operators, assessments, answers, assessment_rollups, assessment_events, sector_rollups, sector_status_counts`)
		if err != nil {
			return err
		}
		return postgres.Audit(ctx, tx, audit.Event{ActorLabel: actorLabel, Action: "synthetic.seed", ObjectType: "database"}, nil,
			map[string]any{"operators": res.Operators, "cycles": len(res.Cycles), "assessments": res.Assessments,
				"answers": res.Answers, "rollups": res.Rollups, "seed": cfg.Seed, "seconds": res.Elapsed.Seconds()})
	})
	res.Elapsed = time.Since(start)
	return res, err
}

// prepare reads the answer scale, publishes the baseline if nothing is
// published, and creates the NCO and ministry users.
func (g *gen) prepare(ctx context.Context) error {
	var err error
	if g.scale, err = postgres.AnswerScale(ctx, g.db); err != nil {
		return err
	}
	for _, s := range []assessment.AnswerStatus{assessment.AnswerImplemented, assessment.AnswerPartial, assessment.AnswerNotImplemented, assessment.AnswerNotApplicable} {
		if !slices.ContainsFunc(g.scale, func(e assessment.ScaleEntry) bool { return e.Code == s }) {
			return fmt.Errorf("answer_scale has no %q: the generator writes the four default answers", s)
		}
	}
	return postgres.SystemTx(ctx, g.db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id FROM catalogs WHERE status = 'published' ORDER BY published_at DESC LIMIT 1`).Scan(&g.catalog)
		if errors.Is(err, pgx.ErrNoRows) {
			if err := tx.QueryRow(ctx, `SELECT id FROM catalogs WHERE status = 'draft' ORDER BY id LIMIT 1`).Scan(&g.catalog); err != nil {
				return fmt.Errorf("no catalog to measure against (run `kijun seed` first): %w", err)
			}
			if err := postgres.Publish(ctx, tx, g.catalog, audit.Event{ActorLabel: actorLabel}); err != nil {
				return fmt.Errorf("publishing the baseline: %w", err)
			}
			g.cfg.Log("published catalog %d (the seeded draft baseline)", g.catalog)
		} else if err != nil {
			return err
		}
		ncoID, err := addUser(ctx, tx, "bench-nco", "合成 NCO 分析担当 "+Marker)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO role_grants (user_id, role, source) VALUES ($1, 'nco_analyst', 'directory')`, ncoID); err != nil {
			return err
		}
		g.nco = &identity.Principal{UserID: ncoID, Name: "合成 NCO 分析担当 " + Marker, NCO: true}
		rows, _ := tx.Query(ctx, `SELECT code FROM ministries WHERE NOT is_coordinator ORDER BY sort_order, code`)
		ministries, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		g.ministry = map[string]int64{}
		for _, m := range ministries {
			id, err := addUser(ctx, tx, "bench-"+strings.ToLower(m), "合成 "+m+" 担当 "+Marker)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO role_grants (user_id, role, ministry_code, source) VALUES ($1, 'ministry_staff', $2, 'directory')`, id, m); err != nil {
				return err
			}
			g.ministry[m] = id
		}
		rows, _ = tx.Query(ctx, `SELECT sector_code, min(ministry_code) FROM sector_oversight GROUP BY sector_code`)
		g.oversee = map[string]string{}
		var s, m string
		_, err = pgx.ForEachRow(rows, []any{&s, &m}, func() error { g.oversee[s] = m; return nil })
		return err
	})
}

// addUser creates a user whose e-mail is local@synthetic.invalid.
func addUser(ctx context.Context, tx pgx.Tx, local, name string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO users (display_name, email) VALUES ($1, $2) RETURNING id`,
		name, local+"@"+EmailDomain).Scan(&id)
	return id, err
}

// CorporateNumber returns the i-th synthetic 法人番号: the prefix, i in
// nine digits, and the check digit in front.
func CorporateNumber(i int) string {
	base := fmt.Sprintf("%s%09d", CorporateNumberPrefix, i)
	d, _ := register.CorporateNumberCheckDigit(base)
	return fmt.Sprintf("%d%s", d, base)
}

// OperatorName is the i-th synthetic operator's name in Japanese and
// English.
func OperatorName(i int) kijun.Text {
	return kijun.Text{Ja: fmt.Sprintf("合成事業者 %05d %s", i, Marker), En: fmt.Sprintf("Synthetic operator %05d %s", i, Marker)}
}

// operators COPYs the operators (sectors in proportion to the CEPTOAR
// member counts) and one business scope each.
func (g *gen) operators(ctx context.Context, res *Result) (map[string]int, error) {
	weights, err := LoadSectorWeights(ctx, g.db)
	if err != nil {
		return nil, err
	}
	alloc := Allocate(weights, g.cfg.Operators)
	counts := map[string]int{}
	type op struct {
		sector string
	}
	var list []op
	for i, w := range weights {
		counts[w.Code] = alloc[i]
		for range alloc[i] {
			list = append(list, op{w.Code})
		}
	}
	since := time.Date(int(kijun.FiscalYearOf(g.today))-g.cfg.Cycles, time.April, 1, 0, 0, 0, 0, time.UTC)
	i := 0
	_, err = g.db.CopyFrom(ctx, pgx.Identifier{"operators"},
		[]string{"corporate_number", "name_ja", "name_en", "sector_code", "designation", "designated_since", "designated_by", "reason"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i >= len(list) {
				return nil, nil
			}
			i++
			o := list[i-1]
			name := OperatorName(i)
			desig := "ci"
			if draw(g.cfg.Seed, pScope, uint64(i), 1) < 0.2 {
				desig = "both"
			}
			var by any
			if m, ok := g.oversee[o.sector]; ok {
				by = m
			}
			return []any{CorporateNumber(i), name.Ja, name.En, o.sector, desig, since, by, "合成データ " + Marker}, nil
		}))
	if err != nil {
		return nil, fmt.Errorf("copying operators: %w", err)
	}
	res.Operators = len(list)
	res.SectorCounts = counts
	rows, _ := g.db.Query(ctx, `SELECT id, corporate_number FROM operators WHERE corporate_number LIKE '_' || $1 || '%' AND name_en LIKE '%' || $2`,
		CorporateNumberPrefix, Marker)
	g.ops = map[int64]int{}
	var id int64
	var cn string
	if _, err := pgx.ForEachRow(rows, []any{&id, &cn}, func() error {
		idx, err := strconv.Atoi(cn[4:])
		g.ops[id] = idx
		return err
	}); err != nil {
		return nil, err
	}
	if len(g.ops) != len(list) {
		return nil, fmt.Errorf("found %d synthetic operators after copying %d: is this database fresh?", len(g.ops), len(list))
	}
	// One business scope each, drawn among its sector's.
	rows, _ = g.db.Query(ctx, `SELECT sector_code, id FROM business_scopes ORDER BY sector_code, sort_order, id`)
	scopes := map[string][]int64{}
	var sc string
	var sid int64
	if _, err := pgx.ForEachRow(rows, []any{&sc, &sid}, func() error { scopes[sc] = append(scopes[sc], sid); return nil }); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(g.ops))
	for id := range g.ops {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	j := 0
	_, err = g.db.CopyFrom(ctx, pgx.Identifier{"operator_scopes"}, []string{"operator_id", "scope_id", "sector_code"},
		pgx.CopyFromFunc(func() ([]any, error) {
			for j < len(ids) {
				id := ids[j]
				j++
				s := list[g.ops[id]-1].sector
				if len(scopes[s]) == 0 {
					continue
				}
				pick := scopes[s][int(draw(g.cfg.Seed, pScope, uint64(g.ops[id]))*float64(len(scopes[s])))]
				return []any{id, pick, s}, nil
			}
			return nil, nil
		}))
	return counts, err
}

// item is a control of a control set as the generator needs it.
type item struct {
	ref     string
	hash    uint64
	section string
	themes  []string
}

// controlSet is a control set's items, and the same controls as scoring
// reads them.
type controlSet struct {
	items    []item
	controls []assessment.Control
}

// asm is an assessment being generated.
type asm struct {
	id, operator int64
	sector       string
	ministry     string
	set          int64
	idx          int // synthetic operator index; 0: not ours, left alone
	status       string
	submitted    time.Time
	decided      time.Time // accepted or returned
	started      time.Time
}

// cycle opens one cycle through the store (so assessments and control
// sets are exactly what OpenCycle makes), then writes answers, statuses,
// history, comments and rollups in bulk.
func (g *gen) cycle(ctx context.Context, k int, fy kijun.FiscalYear, res *Result) (assessment.Cycle, error) {
	last := k == g.cfg.Cycles-1
	opens := time.Date(int(fy), time.June, 1, 0, 0, 0, 0, time.UTC)
	due := time.Date(int(fy), time.December, 25, 0, 0, 0, 0, time.UTC)
	if last {
		// The latest cycle opened at the start of the fiscal year and fell
		// due two weeks ago, so that it has overdue assessments next to
		// submitted ones (or is still running early in a fiscal year).
		today := time.Date(g.today.Year(), g.today.Month(), g.today.Day(), 0, 0, 0, 0, time.UTC)
		opens = time.Date(int(fy), time.April, 1, 0, 0, 0, 0, time.UTC)
		due = today.AddDate(0, 0, -14)
		if due.Before(opens.AddDate(0, 1, 0)) {
			due = opens.AddDate(0, 1, 0)
		}
	}
	var cy assessment.Cycle
	err := postgres.InTx(ctx, g.db, g.nco, func(tx pgx.Tx) error {
		var err error
		cy, _, err = postgres.OpenCycle(ctx, tx, g.nco, postgres.CycleInput{FiscalYear: fy, CatalogID: g.catalog, OpensOn: opens, DueOn: due}, nil, "synthetic")
		return err
	})
	if err != nil {
		return cy, err
	}
	sets, err := g.controlSets(ctx, cy.ID)
	if err != nil {
		return cy, err
	}
	rows, _ := g.db.Query(ctx, `SELECT id, operator_id, sector_code, coalesce(ministry_code, ''), control_set_id FROM assessments WHERE cycle_id = $1 ORDER BY id`, cy.ID)
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*asm, error) {
		a := &asm{}
		err := r.Scan(&a.id, &a.operator, &a.sector, &a.ministry, &a.set)
		return a, err
	})
	if err != nil {
		return cy, err
	}
	res.Assessments += len(list)
	// Statuses and times.
	now := g.cfg.Today.UTC()
	end := due
	if last && now.Before(end) {
		end = now
	}
	var mine []*asm
	for _, a := range list {
		a.idx = g.ops[a.operator]
		if a.idx == 0 {
			continue
		}
		mine = append(mine, a)
		a.status = assessmentStatus(g.cfg.Seed, a.idx, k, g.cfg.Cycles)
		span := end.Sub(opens)
		a.started = opens.Add(time.Duration(draw(g.cfg.Seed, pTime, uint64(a.idx), uint64(k), 1) * 0.3 * float64(span)))
		a.submitted = a.started.Add(time.Duration(draw(g.cfg.Seed, pTime, uint64(a.idx), uint64(k), 2) * float64(end.Sub(a.started))))
		a.decided = a.submitted.Add(time.Duration(1+draw(g.cfg.Seed, pTime, uint64(a.idx), uint64(k), 3)*20) * 24 * time.Hour)
		if a.decided.After(now) {
			a.decided = now
		}
	}
	// Answers, in parallel streams; each stream also returns its rollups.
	chunks := split(mine, g.cfg.Workers)
	rollups := make([][]rollup, len(chunks))
	var answers int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w, chunk := range chunks {
		wg.Go(func() {
			n, ru, err := g.copyAnswers(cctx, cy, k, sets, chunk)
			mu.Lock()
			defer mu.Unlock()
			answers += n
			rollups[w] = ru
			if err != nil {
				errs = append(errs, err)
				cancel()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return cy, err
	}
	res.Answers += answers
	if err := g.statuses(ctx, cy, mine, last, res); err != nil {
		return cy, err
	}
	for _, ru := range rollups {
		n, err := g.db.CopyFrom(ctx, pgx.Identifier{"assessment_rollups"}, rollupColumns, &rollupSource{rows: ru})
		if err != nil {
			return cy, fmt.Errorf("copying rollups: %w", err)
		}
		res.Rollups += n
	}
	// The COPY's statement triggers already summed these rollups into
	// sector_rollups; recompute the cycle's rows from the loaded data
	// anyway, so the dashboards' figures are exact whatever ran with
	// triggers off (≈0.7 s per cycle at 20,000 operators).
	if _, err := postgres.RebuildSectorRollups(ctx, g.db, cy.ID); err != nil {
		return cy, fmt.Errorf("sector rollups: %w", err)
	}
	// Likewise the status counts: the assessments'
	// statement triggers kept them through OpenCycle and the bulk status
	// updates; recount the cycle so they are exact whatever ran with
	// triggers off (one pass over the cycle's assessments).
	if _, err := postgres.RebuildSectorStatusCounts(ctx, g.db, cy.ID); err != nil {
		return cy, fmt.Errorf("sector status counts: %w", err)
	}
	// And the per-control sums: the status updates ran
	// before the answers were loaded, so they are computed from the
	// answers now (one pass over the cycle's counted answers).
	if _, err := postgres.RebuildSectorControlRollups(ctx, g.db, cy.ID); err != nil {
		return cy, fmt.Errorf("sector control rollups: %w", err)
	}
	if !last {
		if _, err := g.db.Exec(ctx, `UPDATE cycles SET status = 'closed' WHERE id = $1`, cy.ID); err != nil {
			return cy, err
		}
		cy.Status = assessment.CycleClosed
	}
	return cy, nil
}

// controlSets reads the items of a cycle's control sets.
func (g *gen) controlSets(ctx context.Context, cycleID int64) (map[int64]*controlSet, error) {
	rows, _ := g.db.Query(ctx, `SELECT i.set_id, i.ref, i.section_code, i.themes, i.csf
		FROM control_set_items i JOIN control_sets s ON s.id = i.set_id
		WHERE s.cycle_id = $1 ORDER BY i.set_id, i.sort_order, i.ref`, cycleID)
	sets := map[int64]*controlSet{}
	var set int64
	var c assessment.Control
	_, err := pgx.ForEachRow(rows, []any{&set, &c.Ref, &c.Section, &c.Themes, &c.CSF}, func() error {
		s := sets[set]
		if s == nil {
			s = &controlSet{}
			sets[set] = s
		}
		// pgx may reuse the scanned arrays' memory for the next row.
		c.Themes, c.CSF = slices.Clone(c.Themes), slices.Clone(c.CSF)
		s.items = append(s.items, item{ref: c.Ref, hash: strHash(c.Ref), section: c.Section, themes: c.Themes})
		s.controls = append(s.controls, c)
		return nil
	})
	return sets, err
}

func split[T any](list []T, n int) [][]T {
	if n < 1 {
		n = 1
	}
	var out [][]T
	size := (len(list) + n - 1) / n
	for len(list) > 0 {
		m := min(size, len(list))
		out = append(out, list[:m])
		list = list[m:]
	}
	return out
}

var answerColumns = []string{"assessment_id", "ref", "operator_id", "sector_code", "status", "maturity", "how", "na_reason",
	"remediation_action", "remediation_owner", "remediation_due", "carried_forward", "version", "updated_by_name", "updated_at"}

// Texts of synthetic answers, obviously made up.
const (
	howImplemented = "合成: 全社で運用"
	howPartial     = "合成: 一部で運用"
	naReason       = "合成: 対象システムなし"
	remedyAction   = "合成: 導入予定"
	remedyOwner    = "合成: 情報セキュリティ部門"
)

// copyAnswers COPYs the answers of chunk on one connection and returns
// the rollups of the assessments that are submitted, returned or accepted.
func (g *gen) copyAnswers(ctx context.Context, cy assessment.Cycle, k int, sets map[int64]*controlSet, chunk []*asm) (int64, []rollup, error) {
	conn, err := g.db.Acquire(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET synchronous_commit = off`); err != nil {
		return 0, nil, err
	}
	// Like pg_restore --disable-triggers: skip the per-row lock trigger
	// and foreign-key checks, which would cost more than the COPY itself.
	// The rows come from the database's own assessments and control sets;
	// TestGenerate checks every reference after. Only a superuser may;
	// others load with the checks on.
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err == nil {
		defer conn.Exec(context.WithoutCancel(ctx), `RESET session_replication_role`)
	} else if !g.noReplicaLogged.Swap(true) {
		g.cfg.Log("loading answers with triggers and foreign keys checked row by row (not a superuser: %v)", err)
	}
	seed := g.cfg.Seed
	var ru []rollup
	ai, ii := 0, 0
	row := make([]any, len(answerColumns))
	mat := make([]int16, 5)
	for i := range mat {
		mat[i] = int16(i)
	}
	due := cy.DueOn.AddDate(0, 6, 0)
	// statuses collects the answers of an assessment that is scored
	// (submitted, returned or accepted), nil for the others.
	var statuses []assessment.AnswerStatus
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"answers"}, answerColumns, pgx.CopyFromFunc(func() ([]any, error) {
		for ai < len(chunk) {
			a := chunk[ai]
			set := sets[a.set]
			items := set.items
			if ii == 0 && a.status != "not_started" && a.status != "in_progress" {
				statuses = make([]assessment.AnswerStatus, len(items))
			}
			if ii >= len(items) || a.status == "not_started" {
				if statuses != nil {
					ru = appendRollups(ru, a, cy.ID, assessment.Score(set.controls, statuses, g.scale))
					statuses = nil
				}
				ai, ii = ai+1, 0
				continue
			}
			it := &items[ii]
			ii++
			complete := a.status != "in_progress"
			carried := false
			if !complete {
				fill := 0.2 + 0.7*draw(seed, pFill, uint64(a.idx), uint64(k))
				if draw(seed, pAnswered, uint64(a.idx), it.hash, uint64(k)) >= fill {
					continue
				}
				carried = k > 0 && draw(seed, pCarried, uint64(a.idx), it.hash, uint64(k)) < 0.3
			}
			st := answerStatus(seed, a.idx, it.hash, a.sector, it.section, it.themes, k)
			if statuses != nil {
				statuses[ii-1] = assessment.AnswerStatus(st)
			}
			var status, maturity, remDue any
			how, reason, action, owner := "", "", "", ""
			if complete || draw(seed, pDraft, uint64(a.idx), it.hash, uint64(k)) >= 0.05 {
				status = st
			}
			m := draw(seed, pMaturity, uint64(a.idx), it.hash, uint64(k))
			switch st {
			case "implemented":
				how = howImplemented
				maturity = mat[3+int(m*2)]
			case "partial":
				how, action, owner, remDue = howPartial, remedyAction, remedyOwner, due
				maturity = mat[2]
			case "not_implemented":
				action, owner, remDue = remedyAction, remedyOwner, due
				maturity = mat[1]
			case "not_applicable":
				reason = naReason
			}
			if m < 0.15 {
				maturity = nil
			}
			at := a.started.Add(time.Duration(draw(seed, pTime, uint64(a.idx), it.hash, uint64(k)) * float64(a.submitted.Sub(a.started))))
			row[0], row[1], row[2], row[3] = a.id, it.ref, a.operator, a.sector
			row[4], row[5], row[6], row[7] = status, maturity, how, reason
			row[8], row[9], row[10], row[11] = action, owner, remDue, carried
			row[12], row[13], row[14] = int32(1+int(draw(seed, pVersion, uint64(a.idx), it.hash, uint64(k))*3)), answerAuthor, at
			return row, nil
		}
		return nil, nil
	}))
	if err != nil {
		return n, nil, fmt.Errorf("copying answers: %w", err)
	}
	return n, ru, nil
}

// statuses moves the generated assessments to their statuses through the
// state machine's own transitions (not_started → in_progress / submitted,
// submitted → returned / accepted), as the system, and writes the history
// rows and a review comment for each returned assessment.
func (g *gen) statuses(ctx context.Context, cy assessment.Cycle, list []*asm, last bool, res *Result) error {
	var ids []int64
	var first []string
	var started []time.Time
	var submitted []*time.Time
	var versions []int32
	var dIDs []int64
	var dStatus []string
	var decided []time.Time
	var dBy []int64
	var events [][]any
	var comments [][]any
	for _, a := range list {
		if a.status == "not_started" {
			continue
		}
		v := int32(2)
		by := g.ministry[a.ministry]
		events = append(events, []any{a.id, a.operator, a.sector, "not_started", "in_progress", nil, answerAuthor, a.started, ""})
		switch a.status {
		case "in_progress":
			ids, first, started, submitted = append(ids, a.id), append(first, "in_progress"), append(started, a.started), append(submitted, nil)
		default:
			v = 3
			ids, first, started, submitted = append(ids, a.id), append(first, "submitted"), append(started, a.started), append(submitted, &a.submitted)
			events = append(events, []any{a.id, a.operator, a.sector, "in_progress", "submitted", nil, answerAuthor, a.submitted, ""})
			if a.status != "submitted" {
				v = 4
				dIDs, dStatus, decided, dBy = append(dIDs, a.id), append(dStatus, a.status), append(decided, a.decided), append(dBy, by)
				note := ""
				if a.status == "returned" {
					note = "合成データ: 根拠資料を補ってください。"
					comments = append(comments, []any{a.id, a.operator, a.sector, nullID(by), "合成 " + a.ministry + " 担当 " + Marker, "ministry",
						"合成データ: 実施状況の根拠資料を添付してください。", a.decided})
				}
				events = append(events, []any{a.id, a.operator, a.sector, "submitted", a.status, nullID(by), "合成 " + a.ministry + " 担当 " + Marker, a.decided, note})
			}
		}
		versions = append(versions, v)
	}
	return postgres.SystemTx(ctx, g.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE assessments a SET status = u.status, version = u.version,
				updated_at = coalesce(u.submitted, u.started),
				submitted_at = u.submitted
			FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[])
				AS u(id, status, started, submitted, version)
			WHERE a.id = u.id`, ids, first, started, submitted, versions); err != nil {
			return fmt.Errorf("starting and submitting: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE assessments a SET status = u.status, updated_at = u.at,
				accepted_at = CASE WHEN u.status = 'accepted' THEN u.at END,
				accepted_by = CASE WHEN u.status = 'accepted' THEN nullif(u.by, 0) END,
				returned_at = CASE WHEN u.status = 'returned' THEN u.at END,
				returned_by = CASE WHEN u.status = 'returned' THEN nullif(u.by, 0) END
			FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::bigint[]) AS u(id, status, at, by)
			WHERE a.id = u.id`, dIDs, dStatus, decided, dBy); err != nil {
			return fmt.Errorf("accepting and returning: %w", err)
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"assessment_events"},
			[]string{"assessment_id", "operator_id", "sector_code", "from_status", "to_status", "by_user", "by_name", "at", "note"},
			pgx.CopyFromRows(events))
		if err != nil {
			return fmt.Errorf("copying history: %w", err)
		}
		res.Events += n
		m, err := tx.CopyFrom(ctx, pgx.Identifier{"review_comments"},
			[]string{"assessment_id", "operator_id", "sector_code", "author_id", "author_name", "author_side", "body", "created_at"},
			pgx.CopyFromRows(comments))
		res.Comments += int(m)
		return err
	})
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// operatorUsers gives a staff user to the first OperatorUsers operators
// whose latest assessment is in progress (the bench saves answers there).
func (g *gen) operatorUsers(ctx context.Context, latestCycle int64, res *Result) error {
	return postgres.SystemTx(ctx, g.db, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT a.operator_id, a.sector_code FROM assessments a
			JOIN operators o ON o.id = a.operator_id
			WHERE a.cycle_id = $1 AND a.status = 'in_progress' AND o.name_en LIKE '%' || $2
			ORDER BY a.id LIMIT $3`, latestCycle, Marker, g.cfg.OperatorUsers)
		type opRow struct {
			ID     int64
			Sector string
		}
		ops, err := pgx.CollectRows(rows, pgx.RowToStructByPos[opRow])
		if err != nil {
			return err
		}
		for i, o := range ops {
			id, err := addUser(ctx, tx, fmt.Sprintf("bench-op-%03d", i+1), fmt.Sprintf("合成事業者 %05d 担当 %s", g.ops[o.ID], Marker))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO role_grants (user_id, role, operator_id, sector_code, source)
				VALUES ($1, 'operator_staff', $2, $3, 'directory')`, id, o.ID, o.Sector); err != nil {
				return err
			}
		}
		res.Users = 1 + len(g.ministry) + len(ops)
		return nil
	})
}

// rollup is one row of assessment_rollups, kept until COPY.
type rollup struct {
	assessment, operator, cycle int64
	sector, written             string
	at                          time.Time
	r                           assessment.Rollup
}

// appendRollups appends an assessment's scores as its rows, written when
// it was submitted or, if accepted, when it was accepted.
func appendRollups(out []rollup, as *asm, cycle int64, rs []assessment.Rollup) []rollup {
	written, at := "submitted", as.submitted
	if as.status == "accepted" {
		written, at = "accepted", as.decided
	}
	for _, r := range rs {
		out = append(out, rollup{assessment: as.id, operator: as.operator, cycle: cycle, sector: as.sector,
			written: written, at: at, r: r})
	}
	return out
}

var rollupColumns = []string{"assessment_id", "cycle_id", "operator_id", "sector_code", "kind", "key", "controls", "answered",
	"applicable", "implemented", "partial", "not_implemented", "na", "score", "written_status", "written_at"}

type rollupSource struct {
	rows []rollup
	i    int
}

func (s *rollupSource) Next() bool { s.i++; return s.i <= len(s.rows) }
func (s *rollupSource) Err() error { return nil }
func (s *rollupSource) Values() ([]any, error) {
	x := &s.rows[s.i-1]
	r := &x.r
	var score any
	if r.Score != nil {
		score = pgtype.Numeric{Int: big.NewInt(int64(math.Round(*r.Score * 1e4))), Exp: -4, Valid: true}
	}
	return []any{x.assessment, x.cycle, x.operator, x.sector, r.Kind, r.Key, int32(r.Controls), int32(r.Answered),
		int32(r.Applicable), int32(r.Implemented), int32(r.Partial), int32(r.NotImplemented), int32(r.NA), score,
		x.written, x.at}, nil
}
