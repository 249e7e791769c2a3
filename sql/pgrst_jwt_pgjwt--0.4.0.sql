-- pgrst_jwt_pgjwt: pgjwt's sign() and verify(), implemented by pgrst_jwt's library.
-- CREATE EXTENSION pgrst_jwt_pgjwt SCHEMA extensions CASCADE;  (also creates pgrst_jwt)
\echo Use "CREATE EXTENSION pgrst_jwt_pgjwt" to load this file. \quit

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
                                        'pgrst_jwt_pgjwt', pg_catalog.current_schema(), owner_shown),
            DETAIL = 'The owner of a schema can rename or drop it and put objects with the extension''s names in their place, which a superuser would then run.',
            HINT = 'Install into a schema that a superuser owns: CREATE SCHEMA extensions AUTHORIZATION postgres; CREATE EXTENSION pgrst_jwt_pgjwt SCHEMA extensions;';
    END IF;
END
$schema_check$;

CREATE FUNCTION sign(payload json, secret text, algorithm text DEFAULT 'HS256')
RETURNS text
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'pgjwt_sign_wrapper';

-- verify(): a SQL function over three C functions, which PostgreSQL inlines into the
-- query: as with pgjwt's own SQL function, a column the query does not select is not
-- computed (SELECT valid FROM verify(...) never decodes the header).
CREATE FUNCTION pgjwt_verify_header(token text) RETURNS json
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'pgjwt_verify_header_wrapper';

CREATE FUNCTION pgjwt_verify_payload(token text) RETURNS json
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'pgjwt_verify_payload_wrapper';

CREATE FUNCTION pgjwt_verify_valid(token text, secret text, algorithm text) RETURNS boolean
STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'pgjwt_verify_valid_wrapper';

CREATE OR REPLACE FUNCTION verify(token text, secret text, algorithm text DEFAULT 'HS256')
RETURNS TABLE (header json, payload json, valid boolean)
STABLE PARALLEL SAFE
LANGUAGE sql
AS $$ SELECT @extschema@.pgjwt_verify_header(token), @extschema@.pgjwt_verify_payload(token),
             @extschema@.pgjwt_verify_valid(token, secret, algorithm) $$;

COMMENT ON FUNCTION pgjwt_verify_header(text) IS
  'Part of verify(): the header as pgjwt returns it.';
COMMENT ON FUNCTION pgjwt_verify_payload(text) IS
  'Part of verify(): the payload as pgjwt returns it.';
COMMENT ON FUNCTION pgjwt_verify_valid(text, text, text) IS
  'Part of verify(): valid as pgjwt computes it, and the header''s alg must be the algorithm asked for.';

COMMENT ON FUNCTION sign(json, text, text) IS
  'pgjwt''s sign(): signs the JSON text as given with HS256, HS384 or HS512 (any secret length); byte-identical tokens.';
COMMENT ON FUNCTION verify(text, text, text) IS
  'pgjwt''s verify(): header, payload and valid (signature, the algorithm asked for, nbf <= now < exp, no leeway); constant-time.';
