package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// grantColumns and scanGrant read a role_grants row joined to its operator
// and granting user (aliases g, o, gb).
const grantColumns = `g.id, g.user_id, g.role, coalesce(g.ministry_code, ''), coalesce(g.operator_id, 0),
	coalesce(o.name_ja, ''), coalesce(o.name_en, ''), coalesce(g.sector_code, ''), g.source, g.provider,
	g.granted_at, coalesce(gb.display_name, '')`

const grantJoins = `LEFT JOIN operators o ON o.id = g.operator_id LEFT JOIN users gb ON gb.id = g.granted_by`

func scanGrant(r pgx.CollectableRow) (identity.Grant, error) {
	var g identity.Grant
	err := r.Scan(grantDest(&g)...)
	return g, err
}

// grantDest is where grantColumns are scanned to.
func grantDest(g *identity.Grant) []any {
	return []any{&g.ID, &g.UserID, &g.Role, &g.MinistryCode, &g.OperatorID, &g.OperatorName.Ja, &g.OperatorName.En,
		&g.SectorCode, &g.Source, &g.Provider, &g.GrantedAt, &g.GrantedBy}
}

// LoadPrincipal reads in tx, as the system, a user, every active grant and
// the sectors the user's ministries oversee: this is authentication, so a
// revoked grant stops working on the next request. It returns nil when the
// user is unknown.
func LoadPrincipal(ctx context.Context, tx pgx.Tx, userID int64) (*identity.Principal, error) {
	b := &pgx.Batch{}
	r := queuePrincipal(b, userID)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return r.principal(), nil
}

// LoadRequestPrincipal is LoadPrincipal for every request, in one round
// trip: the statements go as one batch, which PostgreSQL runs as one
// implicit transaction, so the system setting holds for the reads and ends
// with them. Nothing of it is kept between requests.
func LoadRequestPrincipal(ctx context.Context, db *pgxpool.Pool, userID int64) (*identity.Principal, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('kijun.system', 'true', true)`)
	r := queuePrincipal(b, userID)
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return r.principal(), nil
}

// queuePrincipal queues the reads of a user's principal; they fill the
// returned rows when the batch is closed.
func queuePrincipal(b *pgx.Batch, userID int64) *principalRows {
	r := &principalRows{}
	b.Queue(`SELECT id, display_name, email FROM users WHERE id = $1`, userID).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&r.id, &r.name, &r.email)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		r.found = err == nil
		return err
	})
	// Each grant with the sectors its ministry oversees (none for other roles).
	b.Queue(`SELECT `+grantColumns+`, array(SELECT ov.sector_code FROM sector_oversight ov
			WHERE ov.ministry_code = g.ministry_code ORDER BY ov.sector_code)
		FROM role_grants g `+grantJoins+` WHERE g.user_id = $1 AND g.revoked_at IS NULL ORDER BY g.id`, userID).
		Query(func(rows pgx.Rows) (err error) {
			r.oversight = map[string][]string{}
			r.grants, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (identity.Grant, error) {
				var g identity.Grant
				var sectors []string
				err := row.Scan(append(grantDest(&g), &sectors)...)
				if g.MinistryCode != "" {
					r.oversight[g.MinistryCode] = sectors
				}
				return g, err
			})
			return err
		})
	return r
}

// principalRows is what queuePrincipal's statements read.
type principalRows struct {
	found       bool // false: no such user
	id          int64
	name, email string
	grants      []identity.Grant
	oversight   map[string][]string // of the user's ministries
}

// principal builds the principal, nil for no user.
func (r *principalRows) principal() *identity.Principal {
	if !r.found {
		return nil
	}
	return identity.NewPrincipal(r.id, r.name, r.email, r.grants, r.oversight)
}

// Oversight maps each ministry to the sectors it oversees.
func Oversight(ctx context.Context, q Querier) (map[string][]string, error) {
	rows, _ := q.Query(ctx, `SELECT ministry_code, sector_code FROM sector_oversight ORDER BY ministry_code, sector_code`)
	return scanOversight(rows)
}

func scanOversight(rows pgx.Rows) (map[string][]string, error) {
	m := map[string][]string{}
	var mc, sc string
	_, err := pgx.ForEachRow(rows, []any{&mc, &sc}, func() error {
		m[mc] = append(m[mc], sc)
		return nil
	})
	return m, err
}

// Identity is what a provider says about a user at sign-in.
type Identity struct {
	Provider, Issuer, Subject string
	Name, Email               string
	// Grants derived from the provider's claims; each is (role, ministry
	// code or operator corporate number).
	ClaimGrants []ClaimGrant
}

// ClaimGrant is a grant a provider's claims give.
type ClaimGrant struct {
	Role            identity.Role
	MinistryCode    string
	CorporateNumber string // operator roles: the operator's 法人番号
	Source          string // identity.SourceClaim or identity.SourceCorporateNumber
}

// SignIn records a sign-in as the system: it finds or creates the user of
// the identity, refreshes name and e-mail, and makes the user's grants
// from this provider's claims match what the claims say now (new ones
// granted, vanished ones revoked; directory grants are left alone). It
// returns the user id and the claim grants it could not apply (e.g. an
// unknown corporate number).
func SignIn(ctx context.Context, tx pgx.Tx, id Identity) (userID int64, unresolved []ClaimGrant, err error) {
	err = tx.QueryRow(ctx, `SELECT user_id FROM identities WHERE issuer = $1 AND subject = $2`, id.Issuer, id.Subject).Scan(&userID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if err = tx.QueryRow(ctx, `INSERT INTO users (display_name, email, last_login_at) VALUES ($1, $2, now()) RETURNING id`,
			id.Name, id.Email).Scan(&userID); err != nil {
			return 0, nil, err
		}
		if _, err = tx.Exec(ctx, `INSERT INTO identities (issuer, subject, user_id, provider) VALUES ($1, $2, $3, $4)`,
			id.Issuer, id.Subject, userID, id.Provider); err != nil {
			return 0, nil, err
		}
	case err != nil:
		return 0, nil, err
	default:
		if _, err = tx.Exec(ctx, `UPDATE users SET display_name = coalesce(nullif($2, ''), display_name),
			email = coalesce(nullif($3, ''), email), last_login_at = now() WHERE id = $1`, userID, id.Name, id.Email); err != nil {
			return 0, nil, err
		}
	}

	type key struct {
		role     identity.Role
		ministry string
		operator int64
	}
	want := map[key]ClaimGrant{}
	wantSector := map[key]string{}
	for _, cg := range id.ClaimGrants {
		k := key{role: cg.Role, ministry: cg.MinistryCode}
		if cg.Role.ScopeKind() == "operator" {
			var sector string
			err := tx.QueryRow(ctx, `SELECT id, sector_code FROM operators WHERE corporate_number = $1 AND status = 'active'`,
				cg.CorporateNumber).Scan(&k.operator, &sector)
			if errors.Is(err, pgx.ErrNoRows) {
				unresolved = append(unresolved, cg)
				continue
			}
			if err != nil {
				return 0, nil, err
			}
			wantSector[k] = sector
		}
		want[k] = cg
	}
	rows, _ := tx.Query(ctx, `SELECT id, role, coalesce(ministry_code, ''), coalesce(operator_id, 0) FROM role_grants
		WHERE user_id = $1 AND revoked_at IS NULL AND source <> 'directory' AND provider = $2`, userID, id.Provider)
	var gid int64
	var k key
	var stale []int64
	have := map[key]bool{}
	if _, err := pgx.ForEachRow(rows, []any{&gid, &k.role, &k.ministry, &k.operator}, func() error {
		if _, ok := want[k]; ok {
			have[k] = true
		} else {
			stale = append(stale, gid)
		}
		return nil
	}); err != nil {
		return 0, nil, err
	}
	if len(stale) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE role_grants SET revoked_at = now() WHERE id = ANY($1)`, stale); err != nil {
			return 0, nil, err
		}
	}
	for k, cg := range want {
		if have[k] {
			continue
		}
		// A directory grant of the same role and scope may already exist;
		// the claim adds nothing then.
		if _, err := tx.Exec(ctx, `INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source, provider)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			userID, k.role, nullStr(k.ministry), nullInt(k.operator), nullStr(wantSector[k]), cg.Source, id.Provider); err != nil {
			return 0, nil, err
		}
	}
	return userID, unresolved, nil
}

// ListUsers returns the users holding an active grant that the
// transaction's principal can see (RLS on role_grants decides), with those
// grants.
func ListUsers(ctx context.Context, tx pgx.Tx) ([]identity.UserSummary, error) {
	rows, _ := tx.Query(ctx, `SELECT u.id, u.display_name, u.email, u.last_login_at, `+grantColumns+`
		FROM role_grants g JOIN users u ON u.id = g.user_id `+grantJoins+`
		WHERE g.revoked_at IS NULL ORDER BY u.display_name, u.id, g.id`)
	var out []identity.UserSummary
	idx := map[int64]int{}
	_, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var u identity.UserSummary
		var g identity.Grant
		err := r.Scan(&u.ID, &u.Name, &u.Email, &u.LastLoginAt, &g.ID, &g.UserID, &g.Role, &g.MinistryCode, &g.OperatorID,
			&g.OperatorName.Ja, &g.OperatorName.En, &g.SectorCode, &g.Source, &g.Provider, &g.GrantedAt, &g.GrantedBy)
		if err != nil {
			return struct{}{}, err
		}
		i, ok := idx[u.ID]
		if !ok {
			i = len(out)
			idx[u.ID] = i
			out = append(out, u)
		}
		out[i].Grants = append(out[i].Grants, g)
		return struct{}{}, nil
	})
	return out, err
}

// GetUser returns a user visible to the principal with the active grants
// the principal can see.
func GetUser(ctx context.Context, tx pgx.Tx, id int64) (identity.UserSummary, error) {
	var u identity.UserSummary
	err := tx.QueryRow(ctx, `SELECT id, display_name, email, last_login_at FROM users WHERE id = $1`, id).
		Scan(&u.ID, &u.Name, &u.Email, &u.LastLoginAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, kijun.ErrNotFound
	}
	if err != nil {
		return u, err
	}
	rows, _ := tx.Query(ctx, `SELECT `+grantColumns+` FROM role_grants g `+grantJoins+`
		WHERE g.user_id = $1 AND g.revoked_at IS NULL ORDER BY g.id`, id)
	u.Grants, err = pgx.CollectRows(rows, scanGrant)
	return u, err
}

// FindUserByEmailAsSystem finds a user by exact e-mail address whatever
// the principal may see (through a SECURITY DEFINER function): admins
// grant roles to people who signed in once but have no role they can see
// yet. Exact match only, so the directory cannot be enumerated.
func FindUserByEmailAsSystem(ctx context.Context, tx pgx.Tx, email string) (int64, error) {
	var id *int64
	if err := tx.QueryRow(ctx, `SELECT kijun_user_id_by_email($1)`, email).Scan(&id); err != nil {
		return 0, err
	}
	if id == nil {
		return 0, kijun.ErrNotFound
	}
	return *id, nil
}

// GetGrant returns one active grant visible to the principal.
func GetGrant(ctx context.Context, tx pgx.Tx, id int64) (identity.Grant, error) {
	rows, _ := tx.Query(ctx, `SELECT `+grantColumns+` FROM role_grants g `+grantJoins+`
		WHERE g.id = $1 AND g.revoked_at IS NULL`, id)
	g, err := pgx.CollectExactlyOneRow(rows, scanGrant)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, kijun.ErrNotFound
	}
	return g, err
}

// CreateGrant gives a directory grant. The caller has checked the policy;
// RLS checks the scope again.
func CreateGrant(ctx context.Context, tx pgx.Tx, g identity.Grant, by int64) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source, granted_by)
		VALUES ($1, $2, $3, $4, $5, 'directory', $6) RETURNING id`,
		g.UserID, g.Role, nullStr(g.MinistryCode), nullInt(g.OperatorID), nullStr(g.SectorCode), by).Scan(&id)
	if IsUniqueViolation(err) {
		return 0, kijun.Errorf(kijun.EConflict, "users.grant_exists", nil)
	}
	return id, err
}

// RevokeGrant ends a grant; the row stays for the record.
func RevokeGrant(ctx context.Context, tx pgx.Tx, id, by int64) error {
	tag, err := tx.Exec(ctx, `UPDATE role_grants SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL`, id, by)
	if err == nil && tag.RowsAffected() == 0 {
		return kijun.ErrNotFound
	}
	return err
}
