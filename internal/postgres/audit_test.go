//go:build dev

package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

func appendEvents(t *testing.T, db *pgtest.DB, n int, ev audit.Event) {
	t.Helper()
	for i := 0; i < n; i++ {
		err := postgres.SystemTx(context.Background(), db.App, func(tx pgx.Tx) error {
			return postgres.Audit(context.Background(), tx, ev, map[string]int{"i": i}, map[string]string{"名前": "変更後"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t *testing.T, db *pgtest.DB) []audit.Break {
	t.Helper()
	breaks, _, err := postgres.VerifyAudit(context.Background(), db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	return breaks
}

// TestAuditVerifyDetectsTampering alters, deletes and truncates stored
// events; every kind of change must be reported at the right link.
func TestAuditVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		tamper  string
		wantSeq int64
		reason  string
	}{
		{"changed content", `UPDATE audit_events SET after = '{"名前": "改ざん"}' WHERE chain = 'ministry:METI' AND seq = 3`, 3, "content"},
		{"changed actor", `UPDATE audit_events SET actor_label = 'someone else' WHERE chain = 'ministry:METI' AND seq = 2`, 2, "content"},
		{"changed time", `UPDATE audit_events SET at = at - interval '1 day' WHERE chain = 'ministry:METI' AND seq = 4`, 4, "content"},
		{"deleted from the middle", `DELETE FROM audit_events WHERE chain = 'ministry:METI' AND seq = 2`, 3, "missing"},
		{"deleted from the end", `DELETE FROM audit_events WHERE chain = 'ministry:METI' AND seq = 5`, 5, "removed from the end"},
		{"rehashed one event", `UPDATE audit_events SET actor_label = 'x' WHERE chain = 'ministry:METI' AND seq = 2;
			UPDATE audit_events e SET hash = kijun_audit_hash(e) WHERE chain = 'ministry:METI' AND seq = 2`, 3, "previous-hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t)
			appendEvents(t, db, 5, audit.Event{ActorUserID: 7, ActorLabel: "経産 太郎", Action: "test.change", MinistryCode: "METI"})
			appendEvents(t, db, 3, audit.Event{Action: "test.other", OperatorID: 1, SectorCode: "electricity"})
			if b := verify(t, db); len(b) != 0 {
				t.Fatalf("untouched log reported broken: %+v", b)
			}
			for _, stmt := range strings.Split(tc.tamper, ";") {
				if _, err := db.Owner.Exec(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			b := verify(t, db)
			if len(b) != 1 {
				t.Fatalf("want exactly one broken chain, got %+v", b)
			}
			if b[0].Chain != "ministry:METI" || b[0].Seq != tc.wantSeq || !strings.Contains(b[0].Reason, tc.reason) {
				t.Errorf("reported %+v, want chain ministry:METI seq %d (%s)", b[0], tc.wantSeq, tc.reason)
			}
		})
	}
}

// TestAuditChainsUnderConcurrency appends from many goroutines in several
// tenants at once; every chain must stay gap-free and valid.
func TestAuditChainsUnderConcurrency(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := audit.Event{Action: "test.concurrent", OperatorID: int64(g%4 + 1)}
			for i := 0; i < 20; i++ {
				err := postgres.SystemTx(context.Background(), db.App, func(tx pgx.Tx) error {
					return postgres.Audit(context.Background(), tx, ev, nil, map[string]int{"g": g, "i": i})
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	breaks, heads, err := postgres.VerifyAudit(context.Background(), db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	if len(breaks) != 0 {
		t.Fatalf("broken chains after concurrent appends: %+v", breaks)
	}
	var total int64
	for _, h := range heads {
		total += h.Events
	}
	if len(heads) != 4 || total != 16*20 {
		t.Fatalf("%d chains with %d events, want 4 with %d", len(heads), total, 16*20)
	}
}

// TestAuditReadScope: each principal reads only its tenant's events.
func TestAuditReadScope(t *testing.T) {
	t.Parallel()
	db, ids := tenancyDB(t)
	toto, bank := ids["2010401000001"], ids["4010001000003"]
	appendEvents(t, db, 1, audit.Event{Action: "test.meti", MinistryCode: "METI"})
	appendEvents(t, db, 1, audit.Event{Action: "test.toto", OperatorID: toto, SectorCode: "electricity"})
	appendEvents(t, db, 1, audit.Event{Action: "test.bank", OperatorID: bank, SectorCode: "finance"})
	actions := func(p *identity.Principal) []string {
		return selectAs[string](t, db, p, `SELECT action FROM audit_events WHERE action LIKE 'test.%' ORDER BY action`)
	}
	check := func(who string, p *identity.Principal, want string) {
		if got := strings.Join(actions(p), ","); got != want {
			t.Errorf("%s reads %q, want %q", who, got, want)
		}
	}
	check("NCO", principalOf(t, db, identity.Grant{Role: identity.RoleNCOAnalyst}), "test.bank,test.meti,test.toto")
	check("METI", principalOf(t, db, identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"}), "test.meti,test.toto")
	check("FSA", principalOf(t, db, identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "FSA"}), "test.bank")
	check("toto", principalOf(t, db, identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: toto, SectorCode: "electricity"}), "test.toto")
}

// The bulk writes' events (auditEach) are stored exactly as Audit stores
// the same events one by one, in order, every column but the chain's
// position, the time and the hash alike; the chains stay intact.
func TestAuditEachIsAudit(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	var op int64
	if err := db.Owner.QueryRow(ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation)
		VALUES ('9000000000001', '電力A', 'electricity', 'ci') RETURNING id`).Scan(&op); err != nil {
		t.Fatal(err)
	}
	events := []audit.Event{
		{Action: "operator.create", ObjectType: "operator", ObjectID: "1", SectorCode: "electricity", OperatorID: op},
		{Action: "assessment.create", ObjectType: "assessment", ObjectID: "2", MinistryCode: "METI", SectorCode: "electricity", OperatorID: op},
		{Action: "catalog.publish", ObjectType: "catalog", ObjectID: "3", MinistryCode: "METI"},
		{Action: "auth.login", ObjectType: "user", ObjectID: "4"},
	}
	befores := []any{nil, map[string]int{"n": 1}, nil, []string{"前"}}
	afters := []any{map[string]string{"名前": "電力A"}, nil, struct {
		A int `json:"a"`
	}{7}, nil}
	err := postgres.SystemTx(ctx, db.App, func(tx pgx.Tx) error {
		for i, e := range events {
			e.RequestID = "one"
			if err := postgres.Audit(ctx, tx, e, befores[i], afters[i]); err != nil {
				return err
			}
		}
		bulk := make([]audit.Event, len(events))
		for i, e := range events {
			e.RequestID = "bulk"
			bulk[i] = e
		}
		return postgres.AuditEach(ctx, tx, bulk, befores, afters)
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := db.Owner.Query(ctx, `SELECT request_id, concat_ws('|', chain, actor_user_id, actor_label, action, object_type, object_id,
		ministry_code, sector_code, operator_id, before::text, after::text) FROM audit_events ORDER BY id`)
	got := map[string][]string{}
	var req, row string
	if _, err := pgx.ForEachRow(rows, []any{&req, &row}, func() error {
		got[req] = append(got[req], row)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got["one"]) != len(events) || strings.Join(got["one"], "\n") != strings.Join(got["bulk"], "\n") {
		t.Errorf("one by one:\n%s\nin bulk:\n%s", strings.Join(got["one"], "\n"), strings.Join(got["bulk"], "\n"))
	}
	if b := verify(t, db); len(b) != 0 {
		t.Errorf("breaks %+v", b)
	}
}
