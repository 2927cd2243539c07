package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// IssueToken creates a service account named like the token, gives it the
// token's grant (granted by the issuing admin), and stores the token's
// hash, audited as api_token.create (never with the hash). The caller has
// checked the policy (authz.CanIssueToken); RLS checks the tenant again.
func IssueToken(ctx context.Context, tx pgx.Tx, p *identity.Principal, t identity.APIToken, hash []byte, requestID string) (int64, error) {
	g := identity.Grant{Role: t.Role, MinistryCode: t.MinistryCode, OperatorID: t.OperatorID, SectorCode: t.SectorCode}
	gid, err := newServiceAccount(ctx, tx, p, t.Name, &g)
	if err != nil {
		return 0, err
	}
	uid := g.UserID
	t.SectorCode = g.SectorCode
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, grant_id, name, hash, role, ministry_code, operator_id, sector_code,
			created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		uid, gid, t.Name, hash, t.Role, nullStr(t.MinistryCode), nullInt(t.OperatorID), nullStr(t.SectorCode),
		p.UserID, t.CreatedAt, t.ExpiresAt).Scan(&id); err != nil {
		return 0, err
	}
	e := tokenEvent(p, requestID, "api_token.create", id, t)
	return id, Audit(ctx, tx, e, nil, map[string]any{"name": t.Name, "role": t.Role, "service_account": uid,
		"expires_at": t.ExpiresAt.UTC().Format(time.RFC3339)})
}

func tokenEvent(p *identity.Principal, requestID, action string, id int64, t identity.APIToken) audit.Event {
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.ObjectID = action, "api_token", strconv.FormatInt(id, 10)
	e.MinistryCode, e.SectorCode, e.OperatorID = t.MinistryCode, t.SectorCode, t.OperatorID
	return e
}

const tokenColumns = `t.id, t.user_id, t.name, t.role, coalesce(t.ministry_code, ''), coalesce(t.operator_id, 0),
	coalesce(o.name_ja, ''), coalesce(o.name_en, ''), coalesce(t.sector_code, ''), coalesce(c.display_name, ''),
	t.created_at, t.expires_at, t.last_used_at, t.revoked_at
	FROM api_tokens t LEFT JOIN operators o ON o.id = t.operator_id LEFT JOIN users c ON c.id = t.created_by`

func scanToken(r pgx.CollectableRow) (identity.APIToken, error) {
	var t identity.APIToken
	err := r.Scan(&t.ID, &t.UserID, &t.Name, &t.Role, &t.MinistryCode, &t.OperatorID, &t.OperatorName.Ja, &t.OperatorName.En,
		&t.SectorCode, &t.CreatedBy, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt)
	return t, err
}

// ListTokens returns the tokens of the principal's admin tenants (NCO
// tokens for an NCO admin, a ministry's for its admins, an operator's for
// its admins), newest first; RLS narrows them to the principal's tenants.
func ListTokens(ctx context.Context, tx pgx.Tx, p *identity.Principal) ([]identity.APIToken, error) {
	rows, _ := tx.Query(ctx, `SELECT `+tokenColumns+`
		WHERE ($1 AND t.role LIKE 'nco_%') OR t.ministry_code = ANY ($2) OR t.operator_id = ANY ($3)
		ORDER BY t.created_at DESC, t.id DESC`, p.NCOAdmin, p.AdminMinistries, p.AdminOperators)
	return pgx.CollectRows(rows, scanToken)
}

// GetToken returns one token visible to the principal.
func GetToken(ctx context.Context, tx pgx.Tx, id int64) (identity.APIToken, error) {
	rows, _ := tx.Query(ctx, `SELECT `+tokenColumns+` WHERE t.id = $1`, id)
	t, err := pgx.CollectExactlyOneRow(rows, scanToken)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, kijun.ErrNotFound
	}
	return t, err
}

// RevokeToken revokes a token and its service account's grant, audited as
// api_token.revoke; the next request with it is refused. Revoking a
// revoked token changes nothing.
func RevokeToken(ctx context.Context, tx pgx.Tx, p *identity.Principal, t identity.APIToken, now time.Time, requestID string) error {
	if revoked, err := revokeServiceAccess(ctx, tx, p, "api_tokens", t.ID, t.UserID, now); !revoked {
		return err
	}
	return Audit(ctx, tx, tokenEvent(p, requestID, "api_token.revoke", t.ID, t), map[string]any{"name": t.Name}, nil)
}

// TokenUse is what authenticating a request with a token found.
type TokenUse struct {
	TokenID, UserID int64
	// Principal is the service account's, read in the same round trip
	// as LoadRequestPrincipal reads a user's (nil if it is gone).
	Principal *identity.Principal
	// Count is the number of requests of the token in the rate window
	// that started at Window, this one included.
	Count  int
	Window time.Time
}

// UseToken authenticates a request by the hash of its bearer token, as the
// system: an active token (not revoked, not expired at now) records its
// last use and counts the request in its fixed rate window of length
// window (the window starting at now truncated to it), in one statement,
// and reads the principal of its service account in the same round trip.
// It returns ok false for an unknown, revoked or expired token.
// The batch is one implicit transaction (useSettings).
func UseToken(ctx context.Context, db *pgxpool.Pool, hash []byte, now time.Time, window time.Duration) (u TokenUse, ok bool, err error) {
	start := now.Truncate(window)
	b := &pgx.Batch{}
	b.Queue(useSettings)
	b.Queue(`UPDATE api_tokens SET last_used_at = $2,
			rate_count = CASE WHEN rate_window = $3 THEN rate_count + 1 ELSE 1 END,
			rate_window = $3
		WHERE hash = $1 AND revoked_at IS NULL AND expires_at > $2
		RETURNING id, user_id, rate_count, rate_window`, hash, now, start).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&u.TokenID, &u.UserID, &u.Count, &u.Window)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	r := queuePrincipalOf(b, `(SELECT user_id FROM api_tokens WHERE hash = $1)`, hash)
	err = db.SendBatch(ctx, b).Close()
	u.Principal = r.principal()
	return u, ok && err == nil, err
}

// useSettings begins the batch that authenticates an API request as the
// system. Its commit does not wait for the WAL to reach the disk
// (synchronous_commit off for that transaction alone): a crash can lose
// the last fraction of a second of rate counts and last-use times, which
// neither needs to survive, and no request waits for the disk before it
// starts. Whatever the request then writes is committed as usual.
const useSettings = `SELECT set_config('kijun.system', 'true', true), set_config('synchronous_commit', 'off', true)`

// Idempotent is a response kept for an Idempotency-Key.
type Idempotent struct {
	Status                      int // 0: the first request is still running
	ContentType, Location, ETag string
	Body                        []byte
	RequestHash                 []byte
}

// ReserveIdempotencyKey claims key for the principal's service account.
// It returns nil when the key is new (the caller runs the request and then
// calls CompleteIdempotencyKey, or ReleaseIdempotencyKey if it failed),
// else what is kept under the key.
func ReserveIdempotencyKey(ctx context.Context, db *pgxpool.Pool, p *identity.Principal, key string, requestHash []byte, now time.Time) (*Idempotent, error) {
	var kept *Idempotent
	err := InTx(ctx, db, p, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO api_idempotency (user_id, key, request_hash, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, p.UserID, key, requestHash, now)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		kept = &Idempotent{}
		return tx.QueryRow(ctx, `SELECT status, content_type, location, etag, body, request_hash FROM api_idempotency
			WHERE user_id = $1 AND key = $2`, p.UserID, key).
			Scan(&kept.Status, &kept.ContentType, &kept.Location, &kept.ETag, &kept.Body, &kept.RequestHash)
	})
	return kept, err
}

// CompleteIdempotencyKey keeps the response of the request that reserved key.
func CompleteIdempotencyKey(ctx context.Context, db *pgxpool.Pool, p *identity.Principal, key string, r Idempotent) error {
	return InTx(ctx, db, p, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE api_idempotency SET status = $3, content_type = $4, location = $5, etag = $6, body = $7
			WHERE user_id = $1 AND key = $2`, p.UserID, key, r.Status, r.ContentType, r.Location, r.ETag, r.Body)
		return err
	})
}

// ReleaseIdempotencyKey forgets a reservation whose request failed, so that
// a retry runs it again.
func ReleaseIdempotencyKey(ctx context.Context, db *pgxpool.Pool, p *identity.Principal, key string) error {
	return InTx(ctx, db, p, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM api_idempotency WHERE user_id = $1 AND key = $2 AND status = 0`, p.UserID, key)
		return err
	})
}

// PurgeAPI deletes, in tx (a system transaction), the kept idempotent
// responses created before keepBefore (a retry after that runs again),
// clears the rate counts of tokens and OAuth client links whose window
// ended before keepBefore (they would restart at the next request anyway;
// cleared, an idle token holds no stale count), and deletes the register
// imports uploaded through the API that expired unconfirmed before now (a
// confirmed one stays: it holds the import's result). It returns how many
// of each.
func PurgeAPI(ctx context.Context, tx pgx.Tx, now, keepBefore time.Time) (keys, windows, imports int64, err error) {
	tag, err := tx.Exec(ctx, `DELETE FROM api_idempotency WHERE created_at < $1`, keepBefore)
	if err != nil {
		return 0, 0, 0, err
	}
	keys = tag.RowsAffected()
	tag, err = tx.Exec(ctx, `UPDATE api_tokens SET rate_window = NULL, rate_count = 0
		WHERE rate_window < $1`, keepBefore)
	if err != nil {
		return 0, 0, 0, err
	}
	windows = tag.RowsAffected()
	tag, err = tx.Exec(ctx, `UPDATE api_oauth_clients SET rate_window = NULL, rate_count = 0
		WHERE rate_window < $1`, keepBefore)
	if err != nil {
		return 0, 0, 0, err
	}
	windows += tag.RowsAffected()
	tag, err = tx.Exec(ctx, `DELETE FROM api_operator_imports WHERE confirmed_at IS NULL AND expires_at <= $1`, now)
	if err != nil {
		return 0, 0, 0, err
	}
	return keys, windows, tag.RowsAffected(), nil
}

// newServiceAccount creates a service account named name, the account an
// API token or an OAuth client acts as, and gives it grant g, granted by
// p. It fills in g the account and, for an operator's grant, the
// operator's sector; it returns the grant's id.
func newServiceAccount(ctx context.Context, tx pgx.Tx, p *identity.Principal, name string, g *identity.Grant) (int64, error) {
	if err := tx.QueryRow(ctx, `SELECT kijun_create_service_account($1)`, name).Scan(&g.UserID); err != nil {
		return 0, err
	}
	if g.OperatorID != 0 {
		if err := tx.QueryRow(ctx, `SELECT sector_code FROM operators WHERE id = $1`, g.OperatorID).Scan(&g.SectorCode); err != nil {
			return 0, err
		}
	}
	return CreateGrant(ctx, tx, *g, p.UserID)
}

// revokeServiceAccess revokes row id of table (api_tokens or
// api_oauth_clients) and every live grant of its service account uid, as
// p at now. It reports false, with no error, when the row was revoked
// already.
func revokeServiceAccess(ctx context.Context, tx pgx.Tx, p *identity.Principal, table string, id, uid int64, now time.Time) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE `+table+` SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL`,
		id, now, p.UserID)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE role_grants SET revoked_at = $2, revoked_by = $3
		WHERE user_id = $1 AND revoked_at IS NULL`, uid, now, p.UserID); err != nil {
		return false, err
	}
	return true, nil
}
