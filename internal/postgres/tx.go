package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// InTx runs fn in a transaction whose row-level security sees what p may
// see (see migration 000002 for the settings and policies). A nil or
// anonymous principal sees no tenant rows.
func InTx(ctx context.Context, db *pgxpool.Pool, p *kijun.Principal, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if err := setPrincipal(ctx, tx, p, false); err != nil {
			return err
		}
		return fn(tx)
	})
}

// QueryRowAs runs one statement as p without a BEGIN and a COMMIT of its
// own: the principal's settings and the statement go to PostgreSQL as one
// pipeline with a single Sync, which PostgreSQL runs as one implicit
// transaction. set_config(…, true) therefore holds for the statement and
// ends with it, exactly as in InTx. What the statement writes is
// committed (the WAL flushed) before Scan returns, unless the database
// reported an error, which rolls it all back; Scan returns that error,
// including one raised at the commit. One round trip instead of InTx's four
// (BEGIN, settings, statement, COMMIT), for hot paths whose work is one
// statement: the autosave's tenant read, and its save (SaveAnswerAs;
// docs/performance.md, "Saving an answer"). Work of more than one
// statement, or that must read before it decides what to write, belongs
// in InTx.
func QueryRowAs(ctx context.Context, db *pgxpool.Pool, p *kijun.Principal, sql string, args ...any) pgx.Row {
	b := &pgx.Batch{}
	b.Queue(setPrincipalSQL, principalArgs(p, false)...)
	b.Queue(sql, args...)
	return settingsThenRow{db.SendBatch(ctx, b)}
}

// settingsThenRow is the row of QueryRowAs's statement, after the
// settings; Scan reads it and then ends the batch, whose Close reports an
// error of the implicit commit.
type settingsThenRow struct {
	br pgx.BatchResults
}

func (r settingsThenRow) Scan(dest ...any) error {
	if _, err := r.br.Exec(); err != nil {
		r.br.Close()
		return err
	}
	err := r.br.QueryRow().Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
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

func setPrincipal(ctx context.Context, tx pgx.Tx, p *kijun.Principal, system bool) error {
	_, err := tx.Exec(ctx, setPrincipalSQL, principalArgs(p, system)...)
	return err
}

// setPrincipalSQL sets the principal for the rest of the transaction
// (set_config(…, true)); principalArgs gives its arguments.
const setPrincipalSQL = `SELECT set_config('kijun.user_id', $1, true), set_config('kijun.nco', $2, true),
		set_config('kijun.ministries', $3, true), set_config('kijun.sectors', $4, true),
		set_config('kijun.operators', $5, true), set_config('kijun.system', $6, true)`

func principalArgs(p *kijun.Principal, system bool) []any {
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
func ActAs(ctx context.Context, tx pgx.Tx, p *kijun.Principal) error {
	return setPrincipal(ctx, tx, p, false)
}
