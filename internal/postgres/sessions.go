package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// SessionStore keeps scs sessions in PostgreSQL: pgxstore's table and
// cleanup, plus the signed-in user's id in a column of its own (migration
// 000014), so that finding a session reads its user's principal in the
// same round trip (FindCtx). Every request then makes one round trip
// before its work instead of two, and the principal is still read fresh
// on every request: a revoked grant stops working on the next one.
type SessionStore struct {
	*pgxstore.PostgresStore // All, and the cleanup of expired sessions
	db                      *pgxpool.Pool
	userOf                  func(data []byte) int64
}

// NewSessionStore returns a store over db; userOf reads the signed-in
// user's id from a session's data (0: nobody).
func NewSessionStore(db *pgxpool.Pool, cleanup time.Duration, userOf func(data []byte) int64) *SessionStore {
	return &SessionStore{PostgresStore: pgxstore.NewWithCleanupInterval(db, cleanup), db: db, userOf: userOf}
}

type principalSlotKey struct{}

// principalSlot is where FindCtx leaves the principal it read.
type principalSlot struct {
	read   bool
	userID int64
	p      *kijun.Principal // nil: the user is gone
}

// WithPrincipalSlot returns ctx with room for the principal FindCtx reads
// along with the request's session (see SessionPrincipal).
func WithPrincipalSlot(ctx context.Context) context.Context {
	return context.WithValue(ctx, principalSlotKey{}, &principalSlot{})
}

// SessionPrincipal returns the principal FindCtx read with ctx's session,
// if it read one for userID; nil with ok means the user is gone.
func SessionPrincipal(ctx context.Context, userID int64) (p *kijun.Principal, ok bool) {
	slot, _ := ctx.Value(principalSlotKey{}).(*principalSlot)
	if slot == nil || !slot.read || slot.userID != userID {
		return nil, false
	}
	return slot.p, true
}

// sessionUserSQL is the user of session $1, for queuePrincipal.
const sessionUserSQL = `(SELECT user_id FROM sessions WHERE token = $1 AND current_timestamp < expiry)`

// FindCtx returns a live session's data and, when ctx has a principal
// slot and the session a user, reads that user's principal into it, all in
// one batch (one implicit transaction, as the system).
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	slot, _ := ctx.Value(principalSlotKey{}).(*principalSlot)
	b := &pgx.Batch{}
	b.Queue(setSystemSQL)
	b.Queue(`SELECT data, coalesce(user_id, 0) FROM sessions WHERE token = $1 AND current_timestamp < expiry`, token)
	if slot != nil {
		queuePrincipal(b, sessionUserSQL, token)
	}
	br := s.db.SendBatch(ctx, b)
	data, found, rows, err := readSession(br, slot != nil)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil || !found {
		return nil, false, err
	}
	if slot != nil && rows.userID != 0 {
		// After Close: building the principal may take a connection.
		p, err := rows.principal(ctx, s.db)
		if err != nil {
			return nil, false, err
		}
		*slot = principalSlot{read: true, userID: rows.userID, p: p}
	}
	return data, true, nil
}

// sessionRows is a session's user and what queuePrincipal read for them.
type sessionRows struct {
	userID int64
	principalRows
}

// readSession reads FindCtx's batch, up to the principal's rows when
// withPrincipal (and the session has a user).
func readSession(br pgx.BatchResults, withPrincipal bool) (data []byte, found bool, rows sessionRows, err error) {
	if _, err = br.Exec(); err != nil {
		return nil, false, rows, err
	}
	err = br.QueryRow().Scan(&data, &rows.userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, rows, nil
	}
	if err != nil || !withPrincipal || rows.userID == 0 {
		return data, err == nil, rows, err
	}
	rows.principalRows, err = readPrincipalRows(br)
	return data, err == nil, rows, err
}

// CommitCtx writes a session with its user's id.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	var user any
	if id := s.userOf(data); id != 0 {
		user = id
	}
	_, err := s.db.Exec(ctx, `INSERT INTO sessions (token, data, expiry, user_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry, user_id = EXCLUDED.user_id`,
		token, data, expiry, user)
	return err
}

// DeleteCtx deletes a session.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE token = $1`, token)
	return err
}

// Find, Commit and Delete are the context-free forms scs.Store requires;
// scs calls the Ctx forms.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *SessionStore) Commit(token string, data []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, data, expiry)
}

func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}
