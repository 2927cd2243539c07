package auth

import (
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// SessionConfig sets the session cookie and timeouts.
type SessionConfig struct {
	Idle     time.Duration // ends after this long without a request
	Absolute time.Duration // ends this long after sign-in, whatever happens
	Secure   bool          // served over TLS (directly or behind a proxy)
}

// NewSessions returns a session manager storing sessions in PostgreSQL, so
// that any instance can serve any request and sign-out ends the session
// everywhere. The store (postgres.SessionStore) reads the user's principal
// with the session, and remembers both for the autosave while a request
// would leave the session unwritten (the idle timeout below). Over TLS the
// cookie is __Host- prefixed: Secure, Path=/ and no Domain, so no
// subdomain can set or read it.
//
// The idle timeout is the Manager's (see Manager.UserID), not scs's: scs
// would write the session row back on every request to move its deadline,
// a second commit on every page view and every autosave.
func NewSessions(db *pgxpool.Pool, c SessionConfig) *scs.SessionManager {
	s := scs.New()
	s.Codec = SessionCodec{}
	s.Store = postgres.NewSessionStore(db, 10*time.Minute, func(data []byte) (int64, bool) {
		_, values, err := s.Codec.Decode(data)
		if err != nil {
			return 0, false
		}
		id, _ := values[keyUserID].(int64)
		seen, _ := values[keySeen].(time.Time)
		// A tenth of the write-back interval to spare: the request's
		// Manager.UserID looks a moment later.
		return id, c.Idle <= 0 || time.Since(seen) < seenWriteBack(c.Idle)*9/10
	})
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
	return s
}
