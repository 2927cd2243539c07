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

// LoadRequestPrincipal is LoadPrincipal for every request, with the
// user's count of unread notifications (the header shows it), in one
// round trip: the statements go as one batch, which PostgreSQL runs as one
// implicit transaction, so the system setting holds for the reads and ends
// with them. Nothing of it is kept between requests.
func LoadRequestPrincipal(ctx context.Context, db *pgxpool.Pool, userID int64) (p *identity.Principal, unread int, err error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('kijun.system', 'true', true)`)
	r := queuePrincipal(b, userID)
	b.Queue(`SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID).QueryRow(func(row pgx.Row) error {
		return row.Scan(&unread)
	})
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return nil, 0, err
	}
	return r.principal(), unread, nil
}

// queuePrincipal queues the reads of a user's principal; they fill the
// returned rows when the batch is closed.
func queuePrincipal(b *pgx.Batch, userID int64) *principalRows {
	return queuePrincipalOf(b, "$1::bigint", userID)
}

// queuePrincipalOf is queuePrincipal of the user whose id the SQL
// expression who gives, with args (an API token's service account, read
// in the batch that uses the token).
func queuePrincipalOf(b *pgx.Batch, who string, args ...any) *principalRows {
	r := &principalRows{}
	b.Queue(`SELECT id, display_name, email FROM users WHERE id = `+who, args...).QueryRow(func(row pgx.Row) error {
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
		FROM role_grants g `+grantJoins+` WHERE g.user_id = `+who+` AND g.revoked_at IS NULL ORDER BY g.id`, args...).
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
	// The delegations naming the user as deputy that have not ended, of
	// absent users who still do the internal check (authz.DeputyFor
	// decides which hold).
	b.Queue(`SELECT d.id, d.operator_id, d.user_id, d.user_name, d.starts_on, d.ends_on FROM operator_delegations d
		WHERE d.deputy_id = `+who+` AND d.cancelled_at IS NULL AND d.ends_on >= (now() AT TIME ZONE 'Asia/Tokyo')::date
		AND EXISTS (SELECT FROM role_grants g WHERE g.user_id = d.user_id AND g.operator_id = d.operator_id
			AND g.revoked_at IS NULL AND g.role IN ('operator_admin', 'operator_reviewer'))
		ORDER BY d.id`, args...).Query(func(rows pgx.Rows) (err error) {
		r.deputyships, err = pgx.CollectRows(rows, pgx.RowToStructByPos[identity.Deputyship])
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
	deputyships []identity.Deputyship
}

// principal builds the principal, nil for no user.
func (r *principalRows) principal() *identity.Principal {
	if !r.found {
		return nil
	}
	p := identity.NewPrincipal(r.id, r.name, r.email, r.grants, r.oversight)
	p.Deputyships = r.deputyships
	return p
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
	// EmailVerified: the provider asserts that the user controls Email
	// (the email_verified claim). Only then may an invitation be accepted.
	EmailVerified bool
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

// SignInResult is what a sign-in did.
type SignInResult struct {
	UserID int64
	// Unresolved are claim grants that could not be applied (e.g. an
	// unknown corporate number).
	Unresolved []ClaimGrant
	// Withheld are claim grants an admin revoked: they stay revoked.
	Withheld []ClaimGrant
	// Accepted are the invitations this sign-in turned into grants.
	Accepted []identity.Invitation
	// Conflicting are open invitations to the asserted address that were
	// not given because the account is known under another address.
	Conflicting []int64
}

// SignIn records a sign-in as the system: it finds or creates the user of
// the identity, refreshes name and e-mail, accepts the open invitations to
// the address when the provider asserts it as verified, and makes the
// user's grants from this provider's claims match what the claims say now
// (new ones granted, vanished ones revoked; directory grants are left
// alone; a grant an admin revoked is not given again).
func SignIn(ctx context.Context, tx pgx.Tx, id Identity) (res SignInResult, err error) {
	var userID int64
	var before string // the account's address before this sign-in
	created := false
	err = tx.QueryRow(ctx, `SELECT i.user_id, u.email FROM identities i JOIN users u ON u.id = i.user_id
		WHERE i.issuer = $1 AND i.subject = $2 FOR UPDATE OF u`, id.Issuer, id.Subject).Scan(&userID, &before)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		created = true
		if err = tx.QueryRow(ctx, `INSERT INTO users (display_name, email, last_login_at) VALUES ($1, $2, now()) RETURNING id`,
			id.Name, id.Email).Scan(&userID); err != nil {
			return res, err
		}
		if _, err = tx.Exec(ctx, `INSERT INTO identities (issuer, subject, user_id, provider) VALUES ($1, $2, $3, $4)`,
			id.Issuer, id.Subject, userID, id.Provider); err != nil {
			return res, err
		}
	case err != nil:
		return res, err
	default:
		if _, err = tx.Exec(ctx, `UPDATE users SET display_name = coalesce(nullif($2, ''), display_name),
			email = coalesce(nullif($3, ''), email), last_login_at = now() WHERE id = $1`, userID, id.Name, id.Email); err != nil {
			return res, err
		}
	}
	res.UserID = userID
	if err := acceptInvitations(ctx, tx, id, userID, created, before, &res); err != nil {
		return res, err
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
				res.Unresolved = append(res.Unresolved, cg)
				continue
			}
			if err != nil {
				return res, err
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
		return res, err
	}
	if len(stale) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE role_grants SET revoked_at = now() WHERE id = ANY($1)`, stale); err != nil {
			return res, err
		}
	}
	for k, cg := range want {
		if have[k] {
			continue
		}
		// The newest row of this role and scope, revoked by an admin,
		// holds the claim back until an admin restores it.
		var withheld bool
		err := tx.QueryRow(ctx, `SELECT revoked_by IS NOT NULL FROM role_grants
			WHERE user_id = $1 AND role = $2 AND coalesce(ministry_code, '') = $3 AND coalesce(operator_id, 0) = $4
			ORDER BY id DESC LIMIT 1`, userID, k.role, k.ministry, k.operator).Scan(&withheld)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return res, err
		}
		if withheld {
			res.Withheld = append(res.Withheld, cg)
			continue
		}
		// A directory grant of the same role and scope may already exist;
		// the claim adds nothing then.
		if _, err := tx.Exec(ctx, `INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source, provider)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			userID, k.role, nullStr(k.ministry), nullInt(k.operator), nullStr(wantSector[k]), cg.Source, id.Provider); err != nil {
			return res, err
		}
	}
	return res, nil
}

// acceptInvitations turns the open invitations to the address the
// provider asserts as verified into grants of the account signing in. It
// never looks at other accounts with that address. An account that was
// already known under another address does not take them: it is not who
// the admin invited as far as the portal knows (the invitations stay
// open and the sign-in's audit event names them).
func acceptInvitations(ctx context.Context, tx pgx.Tx, id Identity, userID int64, created bool, before string, res *SignInResult) error {
	email, ok := identity.NormalizeEmail(id.Email)
	if !ok || !id.EmailVerified {
		return nil
	}
	rows, _ := tx.Query(ctx, `SELECT `+invitationColumns+` FROM invitations v `+invitationJoins+`
		WHERE v.email = $1 AND v.revoked_at IS NULL AND v.accepted_at IS NULL AND v.expires_at > now()
		ORDER BY v.id FOR UPDATE OF v`, email)
	open, err := pgx.CollectRows(rows, scanInvitation)
	if err != nil || len(open) == 0 {
		return err
	}
	if prior, _ := identity.NormalizeEmail(before); !created && before != "" && prior != email {
		for _, inv := range open {
			res.Conflicting = append(res.Conflicting, inv.ID)
		}
		return nil
	}
	for _, inv := range open {
		// An active grant of the same role and scope makes the invitation
		// accepted without a new row.
		err := tx.QueryRow(ctx, `WITH ins AS (
				INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source, granted_by)
				SELECT $1, role, ministry_code, operator_id, sector_code, 'directory', invited_by FROM invitations WHERE id = $2
				ON CONFLICT DO NOTHING RETURNING id)
			SELECT coalesce((SELECT id FROM ins), (SELECT g.id FROM role_grants g JOIN invitations v ON v.id = $2
				WHERE g.user_id = $1 AND g.role = v.role AND g.revoked_at IS NULL
				  AND coalesce(g.ministry_code, '') = coalesce(v.ministry_code, '') AND coalesce(g.operator_id, 0) = coalesce(v.operator_id, 0)))`,
			userID, inv.ID).Scan(&inv.GrantID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET accepted_by = $2, accepted_at = now(), grant_id = $3 WHERE id = $1`,
			inv.ID, userID, inv.GrantID); err != nil {
			return err
		}
		res.Accepted = append(res.Accepted, inv)
	}
	return nil
}

// ListUsers returns the users holding a grant, active or revoked, that
// the transaction's principal can see (RLS on role_grants decides), with
// their active grants.
func ListUsers(ctx context.Context, tx pgx.Tx) ([]identity.UserSummary, error) {
	rows, _ := tx.Query(ctx, `SELECT u.id, u.display_name, u.email, u.last_login_at, g.revoked_at IS NULL, `+grantColumns+`
		FROM role_grants g JOIN users u ON u.id = g.user_id `+grantJoins+`
		WHERE NOT u.service ORDER BY u.display_name, u.id, g.id`)
	var out []identity.UserSummary
	idx := map[int64]int{}
	_, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var u identity.UserSummary
		var g identity.Grant
		var active bool
		err := r.Scan(append([]any{&u.ID, &u.Name, &u.Email, &u.LastLoginAt, &active}, grantDest(&g)...)...)
		if err != nil {
			return struct{}{}, err
		}
		i, ok := idx[u.ID]
		if !ok {
			i = len(out)
			idx[u.ID] = i
			out = append(out, u)
		}
		if active {
			out[i].Grants = append(out[i].Grants, g)
		}
		return struct{}{}, nil
	})
	return out, err
}

// GetUser returns a user visible to the principal with the active grants
// the principal can see and the revoked ones it could restore.
func GetUser(ctx context.Context, tx pgx.Tx, id int64) (identity.UserSummary, error) {
	var u identity.UserSummary
	err := tx.QueryRow(ctx, `SELECT id, display_name, email, last_login_at FROM users WHERE id = $1 AND NOT service`, id).
		Scan(&u.ID, &u.Name, &u.Email, &u.LastLoginAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, kijun.ErrNotFound
	}
	if err != nil {
		return u, err
	}
	rows, _ := tx.Query(ctx, `SELECT `+grantColumns+` FROM role_grants g `+grantJoins+`
		WHERE g.user_id = $1 AND g.revoked_at IS NULL ORDER BY g.id`, id)
	if u.Grants, err = pgx.CollectRows(rows, scanGrant); err != nil {
		return u, err
	}
	rows, _ = tx.Query(ctx, `SELECT `+grantColumns+`, g.revoked_at, coalesce(rb.display_name, '')
		FROM role_grants g `+grantJoins+` LEFT JOIN users rb ON rb.id = g.revoked_by
		WHERE g.user_id = $1 AND `+restorable+` ORDER BY g.revoked_at DESC, g.id`, id)
	u.Revoked, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (identity.Grant, error) {
		var g identity.Grant
		err := r.Scan(append(grantDest(&g), &g.RevokedAt, &g.RevokedBy)...)
		return g, err
	})
	return u, err
}

// restorable is the condition on role_grants g of a grant an admin
// revoked that is still the newest of its role and scope: the one that
// withholds claims at sign-in, and the one an admin may restore.
const restorable = `g.revoked_by IS NOT NULL AND NOT EXISTS (SELECT FROM role_grants n
	WHERE n.user_id = g.user_id AND n.role = g.role AND coalesce(n.ministry_code, '') = coalesce(g.ministry_code, '')
	  AND coalesce(n.operator_id, 0) = coalesce(g.operator_id, 0) AND n.id > g.id)`

// GetRestorableGrant returns a revoked grant visible to the principal that
// can be restored.
func GetRestorableGrant(ctx context.Context, tx pgx.Tx, id int64) (identity.Grant, error) {
	rows, _ := tx.Query(ctx, `SELECT `+grantColumns+` FROM role_grants g `+grantJoins+`
		WHERE g.id = $1 AND `+restorable, id)
	g, err := pgx.CollectExactlyOneRow(rows, scanGrant)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, kijun.ErrNotFound
	}
	return g, err
}

// RestoreGrant gives a revoked grant again as a new row of the same role,
// scope, source and provider, granted by the admin: the revoked row stays
// for the record, and the new one is the newest of its key, so sign-in
// keeps it in line with the claims again. The caller has checked the
// policy; RLS checks the scope again.
func RestoreGrant(ctx context.Context, tx pgx.Tx, id, by int64) (int64, error) {
	var nid int64
	err := tx.QueryRow(ctx, `INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source, provider, granted_by)
		SELECT user_id, role, ministry_code, operator_id, sector_code, source, provider, $2 FROM role_grants g
		WHERE g.id = $1 AND `+restorable+` RETURNING id`, id, by).Scan(&nid)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, kijun.ErrNotFound
	case IsUniqueViolation(err):
		return 0, kijun.Errorf(kijun.EConflict, "users.grant_exists", nil)
	}
	return nid, err
}

// GetGrant returns one grant visible to the principal, active or revoked.
func GetGrant(ctx context.Context, tx pgx.Tx, id int64) (identity.Grant, error) {
	rows, _ := tx.Query(ctx, `SELECT `+grantColumns+` FROM role_grants g `+grantJoins+`
		WHERE g.id = $1`, id)
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

// RevokeGrant ends a grant; the row stays for the record. A grant revoked
// already (by another admin meanwhile, or at sign-in) is a conflict.
func RevokeGrant(ctx context.Context, tx pgx.Tx, id, by int64) error {
	tag, err := tx.Exec(ctx, `UPDATE role_grants SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL`, id, by)
	if err != nil || tag.RowsAffected() > 0 {
		return err
	}
	var revoked bool
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM role_grants WHERE id = $1 AND revoked_at IS NOT NULL)`, id).Scan(&revoked)
	switch {
	case err != nil:
		return err
	case revoked:
		return kijun.Errorf(kijun.EConflict, "users.grant_revoked", nil)
	}
	return kijun.ErrNotFound
}

// invitationColumns and scanInvitation read an invitations row joined to
// its operator and inviting user (aliases v, o, ib).
const invitationColumns = `v.id, v.email, v.role, coalesce(v.ministry_code, ''), coalesce(v.operator_id, 0),
	coalesce(o.name_ja, ''), coalesce(o.name_en, ''), coalesce(v.sector_code, ''), coalesce(ib.display_name, ''),
	v.invited_at, v.expires_at, coalesce(v.grant_id, 0)`

const invitationJoins = `LEFT JOIN operators o ON o.id = v.operator_id LEFT JOIN users ib ON ib.id = v.invited_by`

func scanInvitation(r pgx.CollectableRow) (identity.Invitation, error) {
	var i identity.Invitation
	err := r.Scan(&i.ID, &i.Email, &i.Role, &i.MinistryCode, &i.OperatorID, &i.OperatorName.Ja, &i.OperatorName.En,
		&i.SectorCode, &i.InvitedBy, &i.InvitedAt, &i.ExpiresAt, &i.GrantID)
	return i, err
}

// CreateInvitation records an invitation of inv.Email (normalised) to a
// role, open for identity.InvitationLifetime; the same invitation open
// already is a conflict. The caller has checked the policy; RLS checks
// the scope again.
func CreateInvitation(ctx context.Context, tx pgx.Tx, inv identity.Invitation, by int64) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO invitations (email, role, ministry_code, operator_id, sector_code, invited_by, expires_at)
		SELECT $1::text, $2::text, $3::text, $4::bigint, $5::text, $6::bigint, now() + $7::interval
		WHERE NOT EXISTS (SELECT FROM invitations v WHERE v.email = $1 AND v.role = $2
			AND coalesce(v.ministry_code, '') = coalesce($3, '') AND coalesce(v.operator_id, 0) = coalesce($4, 0)
			AND v.revoked_at IS NULL AND v.accepted_at IS NULL AND v.expires_at > now())
		RETURNING id`,
		inv.Email, inv.Role, nullStr(inv.MinistryCode), nullInt(inv.OperatorID), nullStr(inv.SectorCode), by,
		identity.InvitationLifetime).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, kijun.Errorf(kijun.EConflict, "users.error.invited", nil)
	}
	return id, err
}

// ListInvitations returns the invitations visible to the principal that
// are neither accepted nor revoked (expired ones included), newest first.
func ListInvitations(ctx context.Context, tx pgx.Tx) ([]identity.Invitation, error) {
	rows, _ := tx.Query(ctx, `SELECT `+invitationColumns+` FROM invitations v `+invitationJoins+`
		WHERE v.accepted_at IS NULL AND v.revoked_at IS NULL ORDER BY v.id DESC`)
	return pgx.CollectRows(rows, scanInvitation)
}

// GetInvitation returns an invitation visible to the principal that is
// neither accepted nor revoked.
func GetInvitation(ctx context.Context, tx pgx.Tx, id int64) (identity.Invitation, error) {
	rows, _ := tx.Query(ctx, `SELECT `+invitationColumns+` FROM invitations v `+invitationJoins+`
		WHERE v.id = $1 AND v.accepted_at IS NULL AND v.revoked_at IS NULL`, id)
	inv, err := pgx.CollectExactlyOneRow(rows, scanInvitation)
	if errors.Is(err, pgx.ErrNoRows) {
		return inv, kijun.ErrNotFound
	}
	return inv, err
}

// RevokeInvitation closes an open invitation; the row stays for the record.
func RevokeInvitation(ctx context.Context, tx pgx.Tx, id, by int64) error {
	tag, err := tx.Exec(ctx, `UPDATE invitations SET revoked_at = now(), revoked_by = $2
		WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL`, id, by)
	if err == nil && tag.RowsAffected() == 0 {
		return kijun.ErrNotFound
	}
	return err
}
