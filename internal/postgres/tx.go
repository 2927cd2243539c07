package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// InTx runs fn in a transaction whose row-level security sees what p may
// see (the baseline migration's "Tenancy and audit" has the settings and policies). A nil or
// anonymous principal sees no tenant rows.
//
// When the request's session was served from memory (SessionStore), the
// transaction first holds it: ErrSessionStale if it no longer holds.
func InTx(ctx context.Context, db *pgxpool.Pool, p *kijun.Principal, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if err := setPrincipal(ctx, tx, p, false); err != nil {
			return err
		}
		if held := heldSessionOf(ctx); held != nil {
			_, err := tx.Exec(ctx, holdSessionSQL, held.token, held.userID, held.version)
			if err = sessionErr(err, held); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// ErrSessionStale is the refusal of work on a session served from memory
// that has ended, or whose user's principal has changed, since it was
// read (kijun_hold_session, migration 000016). The memory of it is gone
// by then: the request, sent again, reads both afresh.
var ErrSessionStale = errors.New("postgres: the remembered session no longer holds")

const (
	holdSessionSQL       = `SELECT kijun_hold_session($1, $2, $3)`
	sqlStateSessionStale = "KJ012"
)

// sessionErr turns kijun_hold_session's refusal into ErrSessionStale.
func sessionErr(err error, held *heldSession) error {
	if pgCode(err) != sqlStateSessionStale {
		return err
	}
	held.forget()
	return ErrSessionStale
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
// in InTx. A session served from memory is held as in InTx, by one more
// statement in the same pipeline.
func QueryRowAs(ctx context.Context, db *pgxpool.Pool, p *kijun.Principal, sql string, args ...any) pgx.Row {
	b := &pgx.Batch{}
	b.Queue(setPrincipalSQL, principalArgs(p, false)...)
	held := heldSessionOf(ctx)
	if held != nil {
		b.Queue(holdSessionSQL, held.token, held.userID, held.version)
	}
	b.Queue(sql, args...)
	return settingsThenRow{db.SendBatch(ctx, b), held}
}

// settingsThenRow is the row of QueryRowAs's statement, after the
// settings (and the hold); Scan reads it and then ends the batch, whose
// Close reports an error of the implicit commit.
type settingsThenRow struct {
	br   pgx.BatchResults
	held *heldSession
}

func (r settingsThenRow) Scan(dest ...any) error {
	_, err := r.br.Exec()
	if err == nil && r.held != nil {
		_, err = r.br.Exec()
		err = sessionErr(err, r.held)
	}
	if err != nil {
		r.br.Close()
		return err
	}
	err = r.br.QueryRow().Scan(dest...)
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
