package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kijun-portal/kijun/internal/bulletin"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestInquiryCloseSQLFollowsTheRule: for every side that could write in
// a thread, escalated or not, and every side it could claim to close as,
// the database accepts the closure exactly when bulletin.CanClose admits
// the writer's own side (migration 000028's CHECK, trigger and policy).
// Anyone who sees the thread reopens it; a closure is never rewritten,
// even by the owner (KJ017).
func TestInquiryCloseSQLFollowsTheRule(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	var op int64
	if err := db.Owner.QueryRow(ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation, status)
		VALUES ('9100000000001', '解決テスト事業者', 'electricity', 'ci', 'active') RETURNING id`).Scan(&op); err != nil {
		t.Fatal(err)
	}
	who := map[bulletin.Side]*identity.Principal{
		bulletin.SideOperator: regPrincipal(t, db, "close-operator", regOperatorGrant(op, "electricity")),
		bulletin.SideMinistry: regPrincipal(t, db, "close-meti", regMinistryGrant("METI")),
		bulletin.SideNCO:      regPrincipal(t, db, "close-nco", identity.Grant{Role: identity.RoleNCOAdmin}),
	}
	fsa := regPrincipal(t, db, "close-fsa", regMinistryGrant("FSA"))
	inquiry := func(escalated bool) int64 {
		var id int64
		if err := db.Owner.QueryRow(ctx, `INSERT INTO inquiries (operator_id, sector_code, ministry_code, subject, created_by)
			VALUES ($1, 'electricity', 'METI', 'close', $2) RETURNING id`, op, who[bulletin.SideOperator].UserID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if escalated {
			if _, err := db.Owner.Exec(ctx, `UPDATE inquiries SET escalated_at = now(), escalated_by = $2 WHERE id = $1`,
				id, who[bulletin.SideMinistry].UserID); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	closeAs := func(p *identity.Principal, id int64, claim bulletin.Side) (bool, error) {
		var n int64
		err := postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE inquiries SET closed_at = now(), closed_by = $2, closed_side = $3 WHERE id = $1`,
				id, p.UserID, string(claim))
			n = tag.RowsAffected()
			return err
		})
		return err == nil && n == 1, err
	}
	sides := []bulletin.Side{bulletin.SideOperator, bulletin.SideMinistry, bulletin.SideNCO}
	for _, escalated := range []bool{false, true} {
		for _, side := range sides {
			for _, claim := range sides {
				name := fmt.Sprintf("%s as %s, escalated %v", side, claim, escalated)
				ok, err := closeAs(who[side], inquiry(escalated), claim)
				if want := bulletin.CanClose(side, escalated) && claim == side; ok != want {
					t.Errorf("%s: closed %v (%v), the rule says %v", name, ok, err, want)
				}
			}
		}
		// Another ministry never closes it, whatever it claims.
		if ok, _ := closeAs(fsa, inquiry(escalated), bulletin.SideMinistry); ok {
			t.Errorf("FSA closed METI's inquiry (escalated %v)", escalated)
		}
	}
	// The store's path: closed by the ministry, reopened by the
	// operator's message, closed again by the NCO once escalated.
	id := inquiry(true)
	q := bulletin.Inquiry{ID: id, OperatorID: op, SectorCode: "electricity", MinistryCode: "METI", Subject: "close"}
	step := func(p *identity.Principal, fn func(tx pgx.Tx) error) {
		t.Helper()
		if err := postgres.InTx(ctx, db.App, p, fn); err != nil {
			t.Fatal(err)
		}
	}
	status := func() bulletin.Inquiry {
		t.Helper()
		var got bulletin.Inquiry
		step(who[bulletin.SideNCO], func(tx pgx.Tx) (err error) {
			got, err = postgres.GetInquiry(ctx, tx, id)
			return err
		})
		return got
	}
	step(who[bulletin.SideMinistry], func(tx pgx.Tx) error {
		return postgres.CloseInquiry(ctx, tx, who[bulletin.SideMinistry], q, bulletin.SideMinistry, "最後のご連絡です。", "test")
	})
	if got := status(); !got.Closed() || got.ClosedSide != bulletin.SideMinistry || got.LastSide != bulletin.SideMinistry {
		t.Fatalf("after closing: %+v", got)
	}
	q.ClosedAt = status().ClosedAt
	step(who[bulletin.SideOperator], func(tx pgx.Tx) error {
		return postgres.AddInquiryMessage(ctx, tx, who[bulletin.SideOperator], q, bulletin.SideOperator, "まだ困っています。", "test")
	})
	if got := status(); got.Closed() || !got.WaitingForAnswer() {
		t.Fatalf("the operator's message did not reopen it: %+v", got)
	}
	q.ClosedAt = nil
	step(who[bulletin.SideNCO], func(tx pgx.Tx) error {
		return postgres.CloseInquiry(ctx, tx, who[bulletin.SideNCO], q, bulletin.SideNCO, "", "test")
	})
	if got := status(); !got.Closed() || got.ClosedSide != bulletin.SideNCO {
		t.Fatalf("after the NCO closed it: %+v", got)
	}
	var audited int
	if err := db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE object_type = 'inquiry' AND object_id = $1
		AND action IN ('inquiry.close', 'inquiry.reopen')`, fmt.Sprint(id)).Scan(&audited); err != nil || audited != 3 {
		t.Errorf("audited closures and reopenings: %d (%v), want 3", audited, err)
	}
	// A closure is never rewritten, even by the owner.
	_, err := db.Owner.Exec(ctx, `UPDATE inquiries SET closed_side = 'ministry' WHERE id = $1`, id)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "KJ017" {
		t.Errorf("rewriting a closure: %v, want KJ017", err)
	}
}

// TestFAQWithdrawalAndCorrectionInDatabase: a ministry withdraws only its
// own entries (the NCO any); a withdrawal never changes; an entry is
// corrected once; withdrawn and corrected entries leave the readers'
// list and stay, marked, in the publisher's.
func TestFAQWithdrawalAndCorrectionInDatabase(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	meti := regPrincipal(t, db, "faq-meti", regMinistryGrant("METI"))
	fsa := regPrincipal(t, db, "faq-fsa", regMinistryGrant("FSA"))
	nco := regPrincipal(t, db, "faq-nco", identity.Grant{Role: identity.RoleNCOAdmin})
	var op int64
	if err := db.Owner.QueryRow(ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation, status)
		VALUES ('9100000000002', 'FAQテスト事業者', 'electricity', 'ci', 'active') RETURNING id`).Scan(&op); err != nil {
		t.Fatal(err)
	}
	reader := regPrincipal(t, db, "faq-reader", regOperatorGrant(op, "electricity"))
	publish := func(p *identity.Principal, ministry string, sectors []string, corrects int64) (bulletin.FAQ, error) {
		var f bulletin.FAQ
		err := postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) (err error) {
			f, err = postgres.PublishFAQ(ctx, tx, p, bulletin.FAQ{Ministry: ministry, Sectors: sectors, Question: "質問", Answer: "回答",
				Corrects: corrects}, "test")
			return err
		})
		return f, err
	}
	a, err := publish(meti, "METI", []string{"electricity"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := publish(meti, "METI", []string{"electricity"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	withdraw := func(p *identity.Principal, f bulletin.FAQ) error {
		return postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) error {
			return postgres.WithdrawFAQ(ctx, tx, p, f, "誤りがありました。", "test")
		})
	}
	if err := withdraw(fsa, a); err == nil {
		t.Error("FSA withdrew METI's entry")
	}
	if err := withdraw(meti, a); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Owner.Exec(ctx, `UPDATE faq_withdrawals SET reason = 'x' WHERE faq_id = $1`, a.ID); err == nil {
		t.Error("a withdrawal was changed")
	}
	// FSA cannot correct METI's entry; the NCO can, once.
	if _, err := publish(fsa, "FSA", []string{"finance"}, b.ID); err == nil {
		t.Error("FSA corrected METI's entry")
	}
	c, err := publish(nco, "", []string{"electricity"}, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publish(nco, "", []string{"electricity"}, b.ID); err == nil {
		t.Error("an entry corrected twice")
	}
	ids := func(p *identity.Principal) map[int64]bulletin.FAQ {
		out := map[int64]bulletin.FAQ{}
		if err := postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) error {
			list, err := postgres.ListFAQs(ctx, tx, 100)
			for _, f := range list {
				out[f.ID] = f
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	seen := ids(reader)
	if _, ok := seen[a.ID]; ok {
		t.Error("the reader sees a withdrawn entry")
	}
	if _, ok := seen[b.ID]; ok {
		t.Error("the reader sees a corrected entry")
	}
	if f, ok := seen[c.ID]; !ok || f.Corrects != b.ID {
		t.Errorf("the reader misses the correction: %+v", f)
	}
	mine := ids(meti)
	if f := mine[a.ID]; f.WithdrawnAt == nil || f.WithdrawnReason == "" || f.Current() {
		t.Errorf("the publisher's withdrawn entry: %+v", f)
	}
	if f := mine[b.ID]; f.CorrectedBy != c.ID || f.Current() {
		t.Errorf("the publisher's corrected entry: %+v", f)
	}
}
