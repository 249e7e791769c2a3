-- pgrst_jwt: objects the generated functions rely on.

-- The extension's schema must belong to a superuser. Its owner could otherwise rename or
-- drop it and put objects with the extension's names in their place, which a superuser's
-- next documented step (configuration, rotation) would run with superuser rights. On
-- PostgreSQL 15+ `public` belongs to pg_database_owner: the database's owner.
DO $schema_check$
DECLARE
    schema_oid oid := pg_catalog.to_regnamespace(pg_catalog.current_schema());
    owner_oid oid;
    owner_shown text;
BEGIN
    SELECT n.nspowner INTO owner_oid FROM pg_catalog.pg_namespace n
     WHERE n.oid OPERATOR(pg_catalog.=) schema_oid;
    owner_shown := pg_catalog.format('"%s"', owner_oid::pg_catalog.regrole);
    IF owner_oid OPERATOR(pg_catalog.=) pg_catalog.to_regrole('pg_database_owner') THEN
        SELECT d.datdba INTO owner_oid FROM pg_catalog.pg_database d
         WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database();
        owner_shown := pg_catalog.format('pg_database_owner, that is the database''s owner "%s",',
                                         owner_oid::pg_catalog.regrole);
    END IF;
    IF NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r
                      WHERE r.oid OPERATOR(pg_catalog.=) owner_oid), false) THEN
        RAISE EXCEPTION USING
            ERRCODE = '42501',
            MESSAGE = pg_catalog.format('%s cannot be installed in schema "%s": it is owned by %s who is not a superuser',
                                        'pgrst_jwt', pg_catalog.current_schema(), owner_shown),
            DETAIL = 'The owner of a schema can rename or drop it and put objects with the extension''s names in their place, which a superuser would then run.',
            HINT = 'Install into a schema that a superuser owns: CREATE SCHEMA extensions AUTHORIZATION postgres; CREATE EXTENSION pgrst_jwt SCHEMA extensions;';
    END IF;
END
$schema_check$;

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
