package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/memo"
)

// SessionStore keeps scs sessions in PostgreSQL: pgxstore's table and
// cleanup, plus the signed-in user's id in a column of its own (migration
// 000014), so that finding a session reads its user's principal in the
// same round trip (FindCtx). Every request then makes one round trip
// before its work instead of two, and the principal is still read fresh
// on every request: a revoked grant stops working on the next one.
//
// The one exception is a request whose work holds its session itself
// (WithPrincipalSlot's remember): it may get the session and principal
// an earlier request read, from memory, with no round trip at all, and
// then every statement it sends as that principal first checks in the
// same transaction that the session is live and the principal unchanged
// (kijun_hold_session, migration 000016; QueryRowAs, InTx). So a
// remembered session never does what a fresh one would refuse.
type SessionStore struct {
	*pgxstore.PostgresStore // All, and the cleanup of expired sessions
	db                      *pgxpool.Pool
	facts                   SessionFacts
	memo                    sessionMemo
}

// SessionFacts reads from a session's data its signed-in user (0: nobody)
// and whether a request now would leave the session unwritten: only
// then may it be served from memory, since writing back data that
// another instance may have changed, or a session that has ended, would
// be wrong.
type SessionFacts func(data []byte) (userID int64, unwritten bool)

// NewSessionStore returns a store over db.
func NewSessionStore(db *pgxpool.Pool, cleanup time.Duration, facts SessionFacts) *SessionStore {
	return &SessionStore{PostgresStore: pgxstore.NewWithCleanupInterval(db, cleanup), db: db, facts: facts,
		memo: sessionMemo{Max: maxSessionMemo}}
}

type principalSlotKey struct{}

// principalSlot is where FindCtx leaves the principal it read.
type principalSlot struct {
	remember bool // the request may be served a remembered session
	read     bool
	userID   int64
	p        *kijun.Principal // nil: the user is gone
	held     *heldSession     // non-nil: remembered, so its work must hold it
}

// heldSession is a remembered session as its request's statements check
// it (kijun_hold_session).
type heldSession struct {
	token   string
	userID  int64
	version int64
	forget  func() // drops the memory of it, once the database refused it
}

// WithPrincipalSlot returns ctx with room for the principal FindCtx reads
// along with the request's session (see SessionPrincipal). remember says
// that the request's handler only does work through QueryRowAs or InTx,
// which hold a remembered session, and shows nothing else: only then may
// FindCtx serve the session from memory.
func WithPrincipalSlot(ctx context.Context, remember bool) context.Context {
	return context.WithValue(ctx, principalSlotKey{}, &principalSlot{remember: remember})
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

// heldSessionOf returns ctx's session if it was served from memory.
func heldSessionOf(ctx context.Context) *heldSession {
	slot, _ := ctx.Value(principalSlotKey{}).(*principalSlot)
	if slot == nil {
		return nil
	}
	return slot.held
}

// sessionUserSQL is the user of session $1, for queuePrincipal.
const sessionUserSQL = `(SELECT user_id FROM sessions WHERE token = $1 AND current_timestamp < expiry)`

// FindCtx returns a live session's data and, when ctx has a principal
// slot and the session a user, reads that user's principal into it, all in
// one batch (one implicit transaction, as the system). A slot that may be
// remembered gets the session from memory when an earlier request read it
// and it would stay unwritten.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	slot, _ := ctx.Value(principalSlotKey{}).(*principalSlot)
	if slot != nil && slot.remember {
		if e, ok := s.memo.Get(token); ok && time.Since(e.read) < rememberFor {
			if _, unwritten := s.facts(e.data); unwritten {
				*slot = principalSlot{remember: true, read: true, userID: e.userID, p: e.p,
					held: &heldSession{token: token, userID: e.userID, version: e.version, forget: func() { s.memo.Forget(token) }}}
				return e.data, true, nil
			}
		}
	}
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
		slot.read, slot.userID, slot.p = true, rows.userID, p
		if p != nil {
			s.memo.Put(token, memoEntry{data: data, userID: rows.userID, version: rows.version, p: p, read: time.Now()})
		}
	}
	return data, true, nil
}

// sessionMemo remembers the sessions FindCtx read, with their principals,
// for requests that hold them (see SessionStore); at a few hundred bytes
// an entry, a few MB at most.
type sessionMemo = memo.Bounded[string, memoEntry]

const maxSessionMemo = 10_000

type memoEntry struct {
	data    []byte
	userID  int64
	version int64 // the principal's users.principal_version
	p       *kijun.Principal
	read    time.Time
}

// rememberFor is how long a session is remembered after it was read: no
// longer than the ministries' sectors in its principal are (the oversight
// cache), which the principal's version does not cover.
const rememberFor = oversightTTL

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

// errRememberedWrite refuses to write a remembered session: its data may
// be older than the row's, or the session over (see SessionFacts).
var errRememberedWrite = errors.New("postgres: a session served from memory is never written back")

// CommitCtx writes a session with its user's id.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	if heldSessionOf(ctx) != nil {
		return errRememberedWrite
	}
	s.memo.Forget(token)
	var user any
	if id, _ := s.facts(data); id != 0 {
		user = id
	}
	_, err := s.db.Exec(ctx, `INSERT INTO sessions (token, data, expiry, user_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry, user_id = EXCLUDED.user_id`,
		token, data, expiry, user)
	return err
}

// DeleteCtx deletes a session.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	s.memo.Forget(token)
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
