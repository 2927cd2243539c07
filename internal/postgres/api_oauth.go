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

// ErrClientLinked is a link refused because the client already has a live
// link (in any tenant: a client acts for one service account only).
var ErrClientLinked = &kijun.Error{Code: kijun.EConflict, MessageID: "oauth.error.client_linked"}

// LinkOAuthClient creates a service account named after the client, gives
// it the link's grant (granted by the linking admin), and stores the link,
// audited as api_oauth_client.create. The caller has checked the policy
// (authz.CanIssueToken); RLS checks the tenant again.
func LinkOAuthClient(ctx context.Context, tx pgx.Tx, p *identity.Principal, c identity.OAuthClient, requestID string) (int64, error) {
	g := identity.Grant{Role: c.Role, MinistryCode: c.MinistryCode, OperatorID: c.OperatorID, SectorCode: c.SectorCode}
	gid, err := newServiceAccount(ctx, tx, p, "OAuth "+c.ClientID, &g)
	if err != nil {
		return 0, err
	}
	uid := g.UserID
	c.SectorCode = g.SectorCode
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO api_oauth_clients (user_id, grant_id, issuer, client_id, role, ministry_code, operator_id,
			sector_code, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		uid, gid, c.Issuer, c.ClientID, c.Role, nullStr(c.MinistryCode), nullInt(c.OperatorID), nullStr(c.SectorCode),
		p.UserID, c.CreatedAt).Scan(&id)
	if IsUniqueViolation(err) {
		return 0, ErrClientLinked
	}
	if err != nil {
		return 0, err
	}
	return id, Audit(ctx, tx, oauthEvent(p, requestID, "api_oauth_client.create", id, c), nil,
		map[string]any{"issuer": c.Issuer, "client_id": c.ClientID, "role": c.Role, "service_account": uid})
}

func oauthEvent(p *identity.Principal, requestID, action string, id int64, c identity.OAuthClient) audit.Event {
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.ObjectID = action, "api_oauth_client", strconv.FormatInt(id, 10)
	e.MinistryCode, e.SectorCode, e.OperatorID = c.MinistryCode, c.SectorCode, c.OperatorID
	return e
}

const oauthColumns = `c.id, c.user_id, c.issuer, c.client_id, c.role, coalesce(c.ministry_code, ''), coalesce(c.operator_id, 0),
	coalesce(o.name_ja, ''), coalesce(o.name_en, ''), coalesce(c.sector_code, ''), coalesce(u.display_name, ''),
	c.created_at, c.last_used_at, c.revoked_at
	FROM api_oauth_clients c LEFT JOIN operators o ON o.id = c.operator_id LEFT JOIN users u ON u.id = c.created_by`

func scanOAuthClient(r pgx.CollectableRow) (identity.OAuthClient, error) {
	var c identity.OAuthClient
	err := r.Scan(&c.ID, &c.UserID, &c.Issuer, &c.ClientID, &c.Role, &c.MinistryCode, &c.OperatorID, &c.OperatorName.Ja,
		&c.OperatorName.En, &c.SectorCode, &c.CreatedBy, &c.CreatedAt, &c.LastUsedAt, &c.RevokedAt)
	return c, err
}

// ListOAuthClients returns the links of the principal's admin tenants,
// newest first (as ListTokens); RLS narrows them to its tenants.
func ListOAuthClients(ctx context.Context, tx pgx.Tx, p *identity.Principal) ([]identity.OAuthClient, error) {
	rows, _ := tx.Query(ctx, `SELECT `+oauthColumns+`
		WHERE ($1 AND c.role LIKE 'nco_%') OR c.ministry_code = ANY ($2) OR c.operator_id = ANY ($3)
		ORDER BY c.created_at DESC, c.id DESC`, p.NCOAdmin, p.AdminMinistries, p.AdminOperators)
	return pgx.CollectRows(rows, scanOAuthClient)
}

// GetOAuthClient returns one link visible to the principal.
func GetOAuthClient(ctx context.Context, tx pgx.Tx, id int64) (identity.OAuthClient, error) {
	rows, _ := tx.Query(ctx, `SELECT `+oauthColumns+` WHERE c.id = $1`, id)
	c, err := pgx.CollectExactlyOneRow(rows, scanOAuthClient)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, kijun.ErrNotFound
	}
	return c, err
}

// RevokeOAuthClient revokes a link and its service account's grant,
// audited as api_oauth_client.revoke; the next request of the client is
// refused. Revoking a revoked link changes nothing.
func RevokeOAuthClient(ctx context.Context, tx pgx.Tx, p *identity.Principal, c identity.OAuthClient, now time.Time, requestID string) error {
	if revoked, err := revokeServiceAccess(ctx, tx, p, "api_oauth_clients", c.ID, c.UserID, now); !revoked {
		return err
	}
	return Audit(ctx, tx, oauthEvent(p, requestID, "api_oauth_client.revoke", c.ID, c),
		map[string]any{"issuer": c.Issuer, "client_id": c.ClientID}, nil)
}

// UseOAuthClient authenticates a request whose access token the caller
// has verified as issued by issuer to clientID, as the system: a live
// link of that client records its last use and counts the request in its
// rate window, and reads the principal of its service account, like
// UseToken. It returns ok false for a client that is
// not linked, or whose link is revoked.
func UseOAuthClient(ctx context.Context, db *pgxpool.Pool, issuer, clientID string, now time.Time, window time.Duration) (u TokenUse, ok bool, err error) {
	start := now.Truncate(window)
	b := &pgx.Batch{}
	b.Queue(useSettings)
	b.Queue(`UPDATE api_oauth_clients SET last_used_at = $3,
			rate_count = CASE WHEN rate_window = $4 THEN rate_count + 1 ELSE 1 END,
			rate_window = $4
		WHERE issuer = $1 AND client_id = $2 AND revoked_at IS NULL
		RETURNING id, user_id, rate_count, rate_window`, issuer, clientID, now, start).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&u.TokenID, &u.UserID, &u.Count, &u.Window)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	r := queuePrincipalOf(b, `(SELECT user_id FROM api_oauth_clients WHERE issuer = $1 AND client_id = $2 AND revoked_at IS NULL)`, issuer, clientID)
	err = db.SendBatch(ctx, b).Close()
	u.Principal = r.principal()
	return u, ok && err == nil, err
}
