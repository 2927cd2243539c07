package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestNotificationPrefsCheck: the database's check on preferences refuses
// exactly what notify.Kind.Allowed refuses (the mandatory kinds off).
func TestNotificationPrefsCheck(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	var user int64
	if err := db.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('x') RETURNING id`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	for _, k := range notify.Kinds {
		for _, d := range notify.Deliveries {
			err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO notification_prefs (user_id, kind, delivery) VALUES ($1, $2, $3)`, user, string(k), string(d))
				if err == nil {
					return pgx.ErrTxClosed // roll back: keep the table empty
				}
				return err
			})
			if ok := err == pgx.ErrTxClosed; ok != k.Allowed(d) {
				t.Errorf("%s %s: database allows %v, Go %v (%v)", k, d, ok, k.Allowed(d), err)
			}
		}
	}
}
