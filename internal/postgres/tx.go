package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/identity"
)

// InTx runs fn in a transaction whose row-level security sees what p may
// see (the baseline migration's "Tenancy and audit" has the settings and policies). A nil or
// anonymous principal sees no tenant rows.
func InTx(ctx context.Context, db *pgxpool.Pool, p *identity.Principal, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if err := setPrincipal(ctx, tx, p, false); err != nil {
			return err
		}
		return fn(tx)
	})
}

// SystemTx runs fn as the system: sign-in (before a principal exists) and
// background work. Use it for nothing a user asked to see.
func SystemTx(ctx context.Context, db *pgxpool.Pool, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if err := setPrincipal(ctx, tx, nil, true); err != nil {
			return err
		}
		return fn(tx)
	})
}

func setPrincipal(ctx context.Context, tx pgx.Tx, p *identity.Principal, system bool) error {
	_, err := tx.Exec(ctx, setPrincipalSQL, principalArgs(p, system)...)
	return err
}

// setPrincipalSQL sets the principal for the rest of the transaction
// (set_config(…, true)); principalArgs gives its arguments.
const setPrincipalSQL = `SELECT set_config('kijun.user_id', $1, true), set_config('kijun.nco', $2, true),
		set_config('kijun.ministries', $3, true), set_config('kijun.sectors', $4, true),
		set_config('kijun.operators', $5, true), set_config('kijun.system', $6, true)`

func principalArgs(p *identity.Principal, system bool) []any {
	var user, nco, ministries, sectors, operators string
	if p.SignedIn() {
		user = strconv.FormatInt(p.UserID, 10)
		if p.NCO {
			nco = "true"
		}
		ministries = pgArray(p.Ministries)
		sectors = pgArray(p.Sectors)
		ops := make([]string, len(p.Operators))
		for i, id := range p.Operators {
			ops[i] = strconv.FormatInt(id, 10)
		}
		operators = pgArray(ops)
	}
	sys := ""
	if system {
		sys = "true"
	}
	return []any{user, nco, ministries, sectors, operators, sys}
}

// pgArray writes a text[] literal of codes. Codes are checked identifiers
// (letters, digits, hyphens), but quote them anyway.
func pgArray(items []string) string {
	if len(items) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// ActAs makes the rest of tx run as p (row-level security and the
// assessment triggers see p), for seeding and maintenance that act on
// behalf of several principals in one transaction.
func ActAs(ctx context.Context, tx pgx.Tx, p *identity.Principal) error {
	return setPrincipal(ctx, tx, p, false)
}
