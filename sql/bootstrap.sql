-- pgrst_jwt: objects the generated functions rely on.

-- The configured secret (one row at most). No privileges for PUBLIC: the extension's
-- C code reads it with the table access functions (no SQL, no change of user) whoever
-- calls, and only set_pgrst_secret_from_env() writes it. Not dumped by pg_dump on purpose: the server's
-- environment is the source of truth; run set_pgrst_secret_from_env() after a restore.
CREATE TABLE pgrst_jwt_secret (
    id          boolean     PRIMARY KEY DEFAULT true CHECK (id),
    secret      text        NOT NULL,
    is_base64   boolean     NOT NULL DEFAULT false,
    fingerprint text        NOT NULL,
    env_var     text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON TABLE pgrst_jwt_secret FROM PUBLIC;
COMMENT ON TABLE pgrst_jwt_secret IS
  'The JWT secret configured by set_pgrst_secret_from_env(); readable by superusers only. Use jwt_secret_status() to inspect.';
