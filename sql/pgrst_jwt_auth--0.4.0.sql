-- pgrst_jwt_auth: claims where row-level security policies need them, in schema auth,
-- implemented by pgrst_jwt's library.
-- CREATE EXTENSION pgrst_jwt_auth CASCADE;  (also creates pgrst_jwt)
--
-- * Supabase's helpers auth.uid(), auth.role(), auth.email(), auth.jwt(): Supabase's
--   results from the request settings PostgREST sets (request.jwt.claims, and the legacy
--   request.jwt.claim.*), cached per backend on the exact settings text.
-- * pg_session_jwt's verified sessions auth.init(), auth.jwt_session_init(jwt),
--   auth.session(), auth.user_id(): only claims of a token verified in this backend with
--   the configured secret (set_pgrst_secret_from_env()).
--
-- No function here runs SQL or resolves a name, so none depends on search_path; each
-- still has it pinned (SET search_path = pg_catalog), as a SECURITY-minded reader expects.
-- That costs a settings save and restore per call, which the planner support function
-- makes once per statement in a policy (see bench/rls).
\echo Use "CREATE EXTENSION pgrst_jwt_auth" to load this file. \quit

-- The extension's schema must belong to a superuser. Its owner could otherwise rename or
-- drop it and put objects with the extension's names in their place, which policies and
-- a superuser's functions would then run.
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
                                        'pgrst_jwt_auth', pg_catalog.current_schema(), owner_shown),
            DETAIL = 'The owner of a schema can rename or drop it and put objects with the extension''s names in their place, which policies and superusers would then run.',
            HINT = 'Let a superuser own schema auth: ALTER SCHEMA auth OWNER TO postgres; then CREATE EXTENSION pgrst_jwt_auth;';
    END IF;
END
$schema_check$;

-- policies and functions of every role call these
GRANT USAGE ON SCHEMA auth TO PUBLIC;

-- ---------------------------------------------------------------- Supabase's helpers

-- The planner support function of the helpers: in a statement with a FROM clause and no
-- volatile function, a call becomes (SELECT auth.uid()), an initplan evaluated once per
-- execution instead of once per row (pgrst_jwt.auth_initplan = off: never).
CREATE FUNCTION helper_support(internal) RETURNS internal
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'auth_helper_support_wrapper';

CREATE FUNCTION uid() RETURNS uuid
STABLE PARALLEL SAFE
LANGUAGE c
SET search_path = pg_catalog
SUPPORT helper_support
AS 'MODULE_PATHNAME', 'auth_uid_wrapper';

CREATE FUNCTION role() RETURNS text
STABLE PARALLEL SAFE
LANGUAGE c
SET search_path = pg_catalog
SUPPORT helper_support
AS 'MODULE_PATHNAME', 'auth_role_wrapper';

CREATE FUNCTION email() RETURNS text
STABLE PARALLEL SAFE
LANGUAGE c
SET search_path = pg_catalog
SUPPORT helper_support
AS 'MODULE_PATHNAME', 'auth_email_wrapper';

CREATE FUNCTION jwt() RETURNS jsonb
STABLE PARALLEL SAFE
LANGUAGE c
SET search_path = pg_catalog
SUPPORT helper_support
AS 'MODULE_PATHNAME', 'auth_jwt_wrapper';

COMMENT ON FUNCTION helper_support(internal) IS
  'Planner support of the auth helpers: one evaluation per statement (an initplan) where no volatile function could change the settings in between.';
COMMENT ON FUNCTION uid() IS
  'Supabase''s auth.uid(): request.jwt.claim.sub, else the sub of request.jwt.claims, as uuid (settings PostgREST sets: trusted as Supabase trusts them).';
COMMENT ON FUNCTION role() IS
  'Supabase''s auth.role(): request.jwt.claim.role, else the role of request.jwt.claims.';
COMMENT ON FUNCTION email() IS
  'Supabase''s auth.email(): request.jwt.claim.email, else the email of request.jwt.claims.';
COMMENT ON FUNCTION jwt() IS
  'Supabase''s auth.jwt(): request.jwt.claim, else request.jwt.claims, as jsonb.';

-- ---------------------------------------------------------------- verified sessions

-- (the backend-local session: parallel workers do not have it, hence PARALLEL RESTRICTED)
CREATE FUNCTION init() RETURNS void
VOLATILE PARALLEL UNSAFE
LANGUAGE c
SET search_path = pg_catalog
AS 'MODULE_PATHNAME', 'auth_init_wrapper';

CREATE FUNCTION jwt_session_init(jwt text) RETURNS void
VOLATILE PARALLEL UNSAFE
LANGUAGE c
SET search_path = pg_catalog
AS 'MODULE_PATHNAME', 'auth_jwt_session_init_wrapper';

CREATE FUNCTION session() RETURNS jsonb
STABLE PARALLEL RESTRICTED
LANGUAGE c
SET search_path = pg_catalog
SUPPORT helper_support
AS 'MODULE_PATHNAME', 'auth_session_wrapper';

CREATE FUNCTION user_id() RETURNS text
STABLE PARALLEL RESTRICTED
LANGUAGE c
SET search_path = pg_catalog
SUPPORT helper_support
AS 'MODULE_PATHNAME', 'auth_user_id_wrapper';

COMMENT ON FUNCTION init() IS
  'pg_session_jwt''s auth.init(): checks that a JWT secret is configured (set_pgrst_secret_from_env()).';
COMMENT ON FUNCTION jwt_session_init(text) IS
  'pg_session_jwt''s auth.jwt_session_init(): ends the current session, then starts one with the token once it verifies with the configured secret by PostgREST''s rules (NULL: only ends it).';
COMMENT ON FUNCTION session() IS
  'pg_session_jwt''s auth.session(): the claims of the token verified in this backend (jwt_session_init, else the bearer token of request.headers); JSON null without one.';
COMMENT ON FUNCTION user_id() IS
  'pg_session_jwt''s auth.user_id(): the sub of auth.session(), NULL without a session.';
