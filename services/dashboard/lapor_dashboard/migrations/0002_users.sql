-- Officials who may log in. Not part of the read model: a rebuild keeps them.
-- scope_code is a node of the jurisdiction tree ('ID', '18', '18.71'): the user sees that subtree only.
CREATE TABLE users (
    username      text PRIMARY KEY,
    password_hash text NOT NULL,             -- scrypt$n$r$p$salt$hash (hashlib.scrypt)
    scope_code    text NOT NULL,
    role          text NOT NULL DEFAULT 'monitor',
    display_name  text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
