package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SessionConfig sets the session cookie and timeouts.
type SessionConfig struct {
	Idle     time.Duration // ends after this long without a request
	Absolute time.Duration // ends this long after sign-in, whatever happens
	Secure   bool          // served over TLS (directly or behind a proxy)
}

// NewSessions returns a session manager storing sessions in PostgreSQL
// (scs's pgxstore and its sessions table, with scs's own codec), so that
// any instance can serve any request and sign-out ends the session
// everywhere: every request reads its session from the table, and
// nothing of it is kept in memory. The table is keyed by SessionKey of the
// cookie's token, never by the token itself. Over TLS the cookie is __Host-
// prefixed: Secure, Path=/ and no Domain, so no subdomain can set or read
// it.
//
// The idle timeout is the Manager's (see Manager.UserID), not scs's: scs
// would write the session row back on every request to move its deadline,
// a second commit on every page view and every autosave.
func NewSessions(db *pgxpool.Pool, c SessionConfig) *scs.SessionManager {
	s := scs.New()
	s.Store = hashedStore{pgxstore.New(db)}
	s.Lifetime = c.Absolute
	s.Cookie.Name = "kijun_session"
	if c.Secure {
		s.Cookie.Name = "__Host-kijun_session"
	}
	s.Cookie.HttpOnly = true
	s.Cookie.SameSite = http.SameSiteLaxMode
	s.Cookie.Secure = c.Secure
	s.Cookie.Path = "/"
	s.Cookie.Persist = false
	// A request cancelled by shutdown keeps the session as it was: its
	// changes belong to work that rolled back, and it sends its own reply.
	fail := s.ErrorFunc
	s.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() != nil {
			return
		}
		fail(w, r, err)
	}
	return s
}

// SignedInSession is the data of a session signed in as userID through
// provider, as Establish leaves it in the store (scs's codec): for the
// load generator, whose users sign in without a provider.
func SignedInSession(userID int64, provider string, deadline time.Time) ([]byte, error) {
	return scs.GobCodec{}.Encode(deadline, map[string]any{keyUserID: userID, keyProvider: provider, keySeen: time.Now()})
}

// SessionKey is the sessions table's key for a session whose cookie holds
// token: its SHA-256 in hex. Whoever reads the table (a backup, a leaked
// dump, a compromised reporting role) learns no token that signs anyone
// in; the token's 256 random bits make a slow hash unnecessary.
func SessionKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// hashedStore is pgxstore (its table and its cleanup of expired rows)
// keyed by SessionKey: scs hands it the cookie's token, the table sees
// only the hash.
type hashedStore struct{ pg *pgxstore.PostgresStore }

func (h hashedStore) Find(token string) ([]byte, bool, error) { return h.pg.Find(SessionKey(token)) }

func (h hashedStore) Commit(token string, b []byte, expiry time.Time) error {
	return h.pg.Commit(SessionKey(token), b, expiry)
}

func (h hashedStore) Delete(token string) error { return h.pg.Delete(SessionKey(token)) }
