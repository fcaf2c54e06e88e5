-- Admin credentials for the triage queue (GET /triage): each bearer token is bound to one scope (a
-- jurisdiction code, ID for the nation); only the SHA-256 of the token is stored (lapor_shared.bearer).
CREATE TABLE admin_credentials (
    token_sha256  text PRIMARY KEY,
    scope         text NOT NULL,
    label         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
CREATE INDEX admin_credentials_scope ON admin_credentials (scope);
