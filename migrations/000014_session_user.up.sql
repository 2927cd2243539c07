-- Each session row names its signed-in user (issue 7: one round trip
-- fewer per request; docs/security.md, "Sessions"). The session store
-- (postgres.SessionStore) writes user_id from the session's data when it
-- commits, and reads the session and that user's principal in one round
-- trip. Deleting a user ends their sessions.
ALTER TABLE sessions ADD COLUMN user_id bigint REFERENCES users(id) ON DELETE CASCADE;
CREATE INDEX sessions_user ON sessions(user_id);
