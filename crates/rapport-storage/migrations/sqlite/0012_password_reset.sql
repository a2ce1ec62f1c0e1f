-- Password reset: single-use, expiring links. Only the SHA-256 of a link's token is stored.
CREATE TABLE password_reset_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX password_reset_tokens_user ON password_reset_tokens (user_id, created_at);

-- Requests for a reset link, by e-mail and client address, for throttling (kept a day).
CREATE TABLE password_reset_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX password_reset_requests_email ON password_reset_requests (email, at);
CREATE INDEX password_reset_requests_ip ON password_reset_requests (ip, at);
