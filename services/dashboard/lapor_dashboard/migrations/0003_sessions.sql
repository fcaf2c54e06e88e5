-- Sessions an official opened by logging in. The cookie carries a random session id (signed); a session
-- counts only while its row is here, unexpired and not ended, so logging out ends it everywhere, even for a
-- copy of the cookie. Only the SHA-256 of the id is kept.
CREATE TABLE sessions (
    id_hash     bytea PRIMARY KEY,
    username    text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
