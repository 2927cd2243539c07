package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// Who a virtual user is signed in as.
type Who int

const (
	AsNCO      Who = iota // the synthetic NCO analyst
	AsMinistry            // the synthetic METI staff user (five sectors)
	AsOperator            // one of the synthetic operator staff users, each its own operator
)

// VU is a virtual user: its session and what its requests name.
type VU struct {
	N          int // 0…concurrency-1
	Who        Who
	UserID     int64
	Cookie     string
	Cycle      int64  // the latest cycle
	Ministry   string // AsMinistry
	Sectors    []string
	Operator   int64 // AsOperator
	Sector     string
	Assessment int64  // the operator's latest assessment (in progress)
	Section    string // the section with the most controls in it
	Token      string // an API token of the same role and scope (API endpoints)
	Refs       []string
	Versions   map[string]int // answer versions, kept up to date by saves
	next       int
}

// Endpoint is one line of the bench: a page, who asks for it and how
// many at once, and the bare SQL that page needs, measured in the same run.
// The dashboards are built in parallel with the bench: an endpoint that
// answers 404 is reported as not available yet. Fill in Path when a page
// lands; {cycle} {assessment} {section} {ref} {operator} {sector}
// {ministry} are replaced per virtual user.
type Endpoint struct {
	Name        string
	Method      string
	Path        string
	Who         Who
	Concurrency int
	// Form returns the POST body; nil for a GET.
	Form func(v *VU) url.Values
	// After sees each response body (a save reads its new version).
	After func(v *VU, status int, body []byte)
	// SQLName says what SQL stands for, in the report.
	SQLName string
	// SQL is the bare work the page needs, run as the application role in
	// one transaction with the virtual user's principal set (RLS on).
	SQL func(ctx context.Context, tx pgx.Tx, v *VU) error
	// API marks an endpoint of the public API (docs/api.md): the virtual
	// user sends its bearer token, not its session cookie.
	API bool
	// JSON returns an API write's body and its If-Match.
	JSON func(v *VU) (body, ifMatch string)
	// Pages, for an API list, is how many pages one sample reads,
	// following next_cursor: the sample's latency is the whole walk.
	Pages int
	// Pace is the mean time between the starts of one user's samples
	// when the users work at their own pace (see pacedLoop): a person's
	// for pages (PersonPace), a client's rate limit for the API.
	Pace time.Duration
}

// PersonPace is a person's pace: a page or a saved answer a second,
// every second, faster than anyone reads a dashboard or answers a
// control (the page saves typed text 1.5 s after the last keystroke).
const PersonPace = time.Second

// ClientPace is an API client's pace: one request per token as often as
// the default rate limit allows (600 a minute).
const ClientPace = time.Minute / config.DefaultAPIRateLimit

// Endpoints is the bench. Paths of pages not built yet are the expected ones.
var Endpoints = []Endpoint{
	{
		Name: "NCO dashboard", Method: "GET", Path: "/dashboards/national?cycle={cycle}", Who: AsNCO, Concurrency: 16, Pace: PersonPace,
		SQLName: "the dashboard store's queries: names and cycles, postgres.LoadDashboard (sector_rollups, sector_status_counts, trend, plans, incident counts)",
		SQL: func(ctx context.Context, tx pgx.Tx, v *VU) error {
			names, cycles, err := postgres.LoadNamesAndCycles(ctx, tx)
			if err != nil {
				return err
			}
			var sectors []string
			for _, sc := range names.Sectors {
				sectors = append(sectors, sc.Code)
			}
			_, err = postgres.LoadDashboard(ctx, tx, cycles, v.Cycle, sectors, true)
			return err
		},
	},
	{
		Name: "Ministry dashboard", Method: "GET", Path: "/dashboards/ministry?cycle={cycle}", Who: AsMinistry, Concurrency: 16, Pace: PersonPace,
		SQLName: "the dashboard store's queries: names and cycles, postgres.LoadMinistryDashboard for its sectors (figures, weakest controls and operators below target of the first sector, needing attention)",
		SQL: func(ctx context.Context, tx pgx.Tx, v *VU) error {
			names, cycles, err := postgres.LoadNamesAndCycles(ctx, tx)
			if err != nil {
				return err
			}
			// The page's scope: the ministry's sectors in reference order;
			// the per-sector figures are of the first.
			var sectors []string
			for _, sc := range names.Sectors {
				if slices.Contains(names.Oversight[sc.Code], v.Ministry) {
					sectors = append(sectors, sc.Code)
				}
			}
			if len(sectors) == 0 {
				return fmt.Errorf("ministry %s oversees no sector", v.Ministry)
			}
			_, _, err = postgres.LoadMinistryDashboard(ctx, tx, cycles, v.Cycle, sectors, sectors[0])
			return err
		},
	},
	{
		Name: "Operator scorecard", Method: "GET", Path: "/dashboards/scorecard?cycle={cycle}", Who: AsOperator, Concurrency: 16, Pace: PersonPace,
		SQLName: "the store's queries as the page runs them: names and cycles, OperatorSector, LoadScorecard (benchmark, assessment, rollups, gaps, own incident reports)",
		SQL: func(ctx context.Context, tx pgx.Tx, v *VU) error {
			if _, _, err := postgres.LoadNamesAndCycles(ctx, tx); err != nil {
				return err
			}
			sector, err := postgres.OperatorSector(ctx, tx, v.Operator)
			if err != nil {
				return err
			}
			_, err = postgres.LoadScorecard(ctx, tx, v.Cycle, v.Operator, sector)
			return err
		},
	},
	{
		Name: "Assessment section page", Method: "GET", Path: "/assessments/{assessment}/sections/{section}", Who: AsOperator, Concurrency: 16, Pace: PersonPace,
		SQLName: "the store's query as the page runs it: postgres.LoadSection (assessment, the section's answers, evidence, comments, answer scale, names)",
		SQL: func(ctx context.Context, tx pgx.Tx, v *VU) error {
			_, err := postgres.LoadSection(ctx, tx, v.Assessment, v.Section)
			return err
		},
	},
	{
		Name: "Save one answer", Method: "POST", Path: "/assessments/{assessment}/answers/{ref}", Who: AsOperator, Concurrency: 32, Pace: PersonPace,
		Form: func(v *VU) url.Values {
			ref := v.Refs[v.next%len(v.Refs)]
			status := []string{"implemented", "partial"}[(v.next/len(v.Refs))%2]
			return url.Values{
				"status-" + ref: {status}, "maturity-" + ref: {"3"}, "how-" + ref: {fmt.Sprintf("bench save %d", v.next)},
				"action-" + ref: {"bench"}, "owner-" + ref: {"bench"}, "due-" + ref: {"2027-03-31"},
				"version-" + ref: {fmt.Sprint(v.Versions[ref])},
			}
		},
		After:   readVersion,
		SQLName: bareUpdateName,
		SQL:     bareAnswerUpdate,
	},
	{
		Name: "API: save one answer", Method: "PUT", Path: "/api/v1/assessments/{assessment}/answers/{ref}", Who: AsOperator,
		Concurrency: 32, API: true, Pace: ClientPace,
		JSON: func(v *VU) (string, string) {
			ref := v.Refs[v.next%len(v.Refs)]
			status := []string{"implemented", "partial"}[(v.next/len(v.Refs))%2]
			b, _ := json.Marshal(map[string]any{"status": status, "maturity": 3, "how": fmt.Sprintf("bench api save %d", v.next),
				"remediation": map[string]string{"action": "bench", "owner": "bench", "due": "2027-03-31"}})
			return string(b), `"` + strconv.Itoa(v.Versions[ref]) + `"`
		},
		After:   readVersion,
		SQLName: bareUpdateName,
		SQL:     bareAnswerUpdate,
	},
	{
		// A ministry's system reading a sector's register: 1,000 operators
		// in five pages of 200 (the largest page), one sample per walk.
		Name: "API: list 1,000 operators of a sector", Method: "GET", Path: "/api/v1/operators?sector={sector}&limit=200",
		Who: AsMinistry, Concurrency: 16, API: true, Pages: 5, Pace: 5 * ClientPace,
		SQLName: "for each of five pages the token's use (postgres.UseToken, with the principal), then the store's query as the handler runs it: postgres.ListOperatorsAfter (200 by id after the last) ×5",
		SQL: func(ctx context.Context, tx pgx.Tx, v *VU) error {
			var after int64
			for range 5 {
				ops, more, err := postgres.ListOperatorsAfter(ctx, tx, v.Sector, after, 200)
				if err != nil || !more {
					return err
				}
				after = ops[len(ops)-1].ID
			}
			return nil
		},
	},
}

// Export is the national CSV export, run once by the NCO while the
// server's memory is watched.
var Export = Endpoint{Name: "National CSV export", Method: "GET", Path: "/exports/answers.csv?cycle={cycle}", Who: AsNCO, Concurrency: 1}

// readVersion keeps the answer version a save returned, for the next
// save's version (the page's form field, the API's If-Match).
func readVersion(v *VU, status int, body []byte) {
	ref := v.Refs[v.next%len(v.Refs)]
	v.next++
	var r struct {
		Version int `json:"version"`
	}
	if status == 200 && json.Unmarshal(body, &r) == nil && r.Version > 0 {
		v.Versions[ref] = r.Version
	}
}

const bareUpdateName = "a single-row UPDATE of a saved answer (tx with principal)"

// bareAnswerUpdate is the autosave's floor: one UPDATE of a saved answer.
func bareAnswerUpdate(ctx context.Context, tx pgx.Tx, v *VU) error {
	ref := v.Refs[v.next%len(v.Refs)]
	for i := 0; i < len(v.Refs) && v.Versions[ref] == 0; i++ {
		v.next++
		ref = v.Refs[v.next%len(v.Refs)]
	}
	v.next++
	// The version stays: the next run's saves must not conflict.
	tag, err := tx.Exec(ctx, `UPDATE answers SET how = $3, updated_at = now()
		WHERE assessment_id = $1 AND ref = $2`, v.Assessment, ref, "bench bare update")
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("bare update of %s changed %d rows", ref, tag.RowsAffected())
	}
	return err
}
