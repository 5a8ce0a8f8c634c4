-- Single sign-on (issue 13): the portal's sessions and the one-time codes of
-- `cwctl login`. Secrets are stored hashed (SHA-256 of 256-bit random values): the session
-- id lives only in the person's cookie, the login code only in the loopback redirect.
-- granted holds the roles the person's groups gave them at sign-in (project name to
-- role; "*" for every project).

CREATE TABLE sessions (
    id          bigserial PRIMARY KEY,
    secret_hash bytea NOT NULL UNIQUE,
    subject     text NOT NULL,
    email       text NOT NULL DEFAULT '',
    granted     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- A login code is taken once (deleted as it is exchanged) within minutes; challenge is
-- the S256 PKCE challenge of the cwctl that asked for it.
CREATE TABLE login_codes (
    code_hash  bytea PRIMARY KEY,
    challenge  text NOT NULL,
    subject    text NOT NULL,
    email      text NOT NULL DEFAULT '',
    granted    jsonb NOT NULL DEFAULT '{}',
    expires_at timestamptz NOT NULL
);

-- A person's own token from `cwctl login` holds, besides their memberships, the roles
-- their groups gave them when they signed in for it (like a session).
ALTER TABLE api_tokens ADD COLUMN owner_granted jsonb NOT NULL DEFAULT '{}';

---- create above / drop below ----

ALTER TABLE api_tokens DROP COLUMN owner_granted;
DROP TABLE login_codes;
DROP TABLE sessions;
