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
	return pgx.BeginTxFunc(ctx, db, pgx.TxOptions{BeginQuery: beginAs(p, false)}, fn)
}

// SystemTx runs fn as the system: sign-in (before a principal exists) and
// background work. Use it for nothing a user asked to see.
func SystemTx(ctx context.Context, db *pgxpool.Pool, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db, pgx.TxOptions{BeginQuery: beginAs(nil, true)}, fn)
}

// beginAs is BEGIN and p's settings in one statement string, so that a
// transaction starts in one round trip (pgx sends a query without
// arguments as a simple query, which may hold several statements). The
// values are escape-string literals (E'…' with every backslash and quote
// doubled), which read the same whatever standard_conforming_strings says.
func beginAs(p *identity.Principal, system bool) string {
	lit := strings.NewReplacer(`\`, `\\`, `'`, `''`)
	vals := make([]string, len(principalSettings))
	for i, a := range principalArgs(p, system) {
		vals[i] = "E'" + lit.Replace(a.(string)) + "'"
	}
	return "BEGIN; " + selectSettings(vals)
}

func setPrincipal(ctx context.Context, tx pgx.Tx, p *identity.Principal, system bool) error {
	_, err := tx.Exec(ctx, setPrincipalSQL, principalArgs(p, system)...)
	return err
}

// principalSettings are the settings row-level security reads, in the
// order of principalArgs.
var principalSettings = []string{"kijun.user_id", "kijun.nco", "kijun.ministries", "kijun.sectors", "kijun.operators", "kijun.system"}

// setPrincipalSQL sets the principal for the rest of the transaction
// (set_config(…, true)); principalArgs gives its arguments.
var setPrincipalSQL = selectSettings([]string{"$1", "$2", "$3", "$4", "$5", "$6"})

// selectSettings is the SELECT that sets principalSettings to vals (SQL
// expressions) for the rest of the transaction.
func selectSettings(vals []string) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, name := range principalSettings {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("set_config('" + name + "', " + vals[i] + ", true)")
	}
	return b.String()
}

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
