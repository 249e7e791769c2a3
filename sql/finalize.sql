-- pgrst_jwt: privileges, triggers and comments, after every function exists.

-- Only a superuser changes the stored secret: a role given INSERT, UPDATE, DELETE or
-- TRUNCATE (a routine GRANT ... ON ALL TABLES IN SCHEMA does that) is refused before the
-- statement touches a row. set_pgrst_secret_from_env() writes without the executor, so
-- no trigger fires for it (it checks for a superuser itself).
CREATE TRIGGER pgrst_jwt_secret_write_guard
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pgrst_jwt_secret
    FOR EACH STATEMENT EXECUTE FUNCTION pgrst_jwt_secret_write_guard();

-- Every change to the stored secret invalidates each backend's cached keys, on this
-- server and on hot standbys (relcache invalidations are WAL-logged). The extension's own
-- writes send the invalidation themselves (they do not go through the executor, so no
-- trigger fires for them); this trigger covers a superuser's own SQL on the table.
CREATE TRIGGER pgrst_jwt_secret_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pgrst_jwt_secret
    FOR EACH STATEMENT EXECUTE FUNCTION pgrst_jwt_secret_changed();

-- Logical replication: a publication FOR ALL TABLES (or naming this table) sends the secret
-- to its subscribers. There the publisher's row replaces the subscriber's own (its key would
-- conflict, and a table-sync worker would fail every few seconds for as long as the
-- subscription lives), and the subscriber's backends reload it: each node verifies with the
-- secret jwt_secret_status() reports, which names the subscription it follows. ENABLE
-- REPLICA: the trigger fires for replicated writes only (session_replication_role =
-- replica, which the apply and table-sync workers run with).
CREATE TRIGGER pgrst_jwt_secret_replicated
    BEFORE INSERT OR UPDATE OR DELETE ON pgrst_jwt_secret
    FOR EACH ROW EXECUTE FUNCTION pgrst_jwt_secret_replicated();
ALTER TABLE pgrst_jwt_secret ENABLE REPLICA TRIGGER pgrst_jwt_secret_replicated;

-- Signing with the configured secret: only roles explicitly granted (the owner of a
-- SECURITY DEFINER login function), never PUBLIC.
REVOKE ALL ON FUNCTION jwt_sign(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION jwt_sign(json) FROM PUBLIC;
REVOKE ALL ON FUNCTION jwt_sign(text) FROM PUBLIC;
-- Reading the server's environment: superusers only (checked inside as well).
REVOKE ALL ON FUNCTION set_pgrst_secret_from_env(text, boolean, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgrst_jwt_secret_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgrst_jwt_secret_write_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgrst_jwt_secret_replicated() FROM PUBLIC;

-- Default privileges made before CREATE EXTENSION (ALTER DEFAULT PRIVILEGES ... GRANT
-- EXECUTE ON FUNCTIONS / ALL ON TABLES TO anon, as hosted platforms do) were applied to
-- every object created above and survive a REVOKE ... FROM PUBLIC. The objects that sign
-- with, store or configure the secret keep no entry but their owner's.
DO $owner_only$
DECLARE
    obj record;
    grantee oid;
BEGIN
    FOR obj IN
        SELECT 'FUNCTION' AS kind, p.oid::pg_catalog.regprocedure::text AS name, p.proacl AS acl,
               p.proowner AS owner
          FROM pg_catalog.pg_proc p
         WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY[
               'jwt_sign(jsonb)', 'jwt_sign(json)', 'jwt_sign(text)',
               'set_pgrst_secret_from_env(text, boolean, name)',
               'pgrst_jwt_secret_changed()', 'pgrst_jwt_secret_write_guard()',
               'pgrst_jwt_secret_replicated()']::pg_catalog.regprocedure[])
        UNION ALL
        SELECT 'TABLE', c.oid::pg_catalog.regclass::text, c.relacl, c.relowner
          FROM pg_catalog.pg_class c
         WHERE c.oid OPERATOR(pg_catalog.=) 'pgrst_jwt_secret'::pg_catalog.regclass
    LOOP
        FOR grantee IN
            SELECT DISTINCT a.grantee FROM pg_catalog.aclexplode(obj.acl) a
             WHERE a.grantee OPERATOR(pg_catalog.<>) obj.owner
        LOOP
            EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM %s', obj.kind, obj.name,
                CASE WHEN grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                     ELSE grantee::pg_catalog.regrole::text END);
        END LOOP;
    END LOOP;
END
$owner_only$;

COMMENT ON FUNCTION jwt_sign(jsonb, text, text) IS
  'Sign claims (a JSON object) with an HMAC secret (32 bytes at least), a private PEM key or a private JWK; algorithm HS256 by default, NULL for the key''s own.';
COMMENT ON FUNCTION jwt_sign(json, text, text) IS
  'Sign claims given as json (e.g. row_to_json(r)), keeping their key order; see jwt_sign(jsonb, text, text).';
COMMENT ON FUNCTION jwt_sign(text, text, text) IS
  'Sign claims given as JSON text (untyped literals resolve here); see jwt_sign(jsonb, text, text).';
COMMENT ON FUNCTION jwt_sign(jsonb) IS
  'Sign claims with the configured secret (never passes through SQL). EXECUTE is not granted to PUBLIC.';
COMMENT ON FUNCTION jwt_sign(json) IS
  'Sign json claims with the configured secret. EXECUTE is not granted to PUBLIC.';
COMMENT ON FUNCTION jwt_sign(text) IS
  'Sign JSON text claims with the configured secret. EXECUTE is not granted to PUBLIC.';
COMMENT ON FUNCTION jwt_verify(text, text, text, integer, text) IS
  'Verify a token with the given secret, PEM key, JWK or JWK Set; returns the claims or raises (SQLSTATE 28000 for a rejected token).';
COMMENT ON FUNCTION jwt_verify(text) IS
  'Verify a token with the configured secret exactly as PostgREST would (30 s skew, pgrst.jwt_aud); returns the claims or raises.';
COMMENT ON FUNCTION jwt_check(text, text, text, integer, text) IS
  'Check a token without raising: valid, a stable reason code, and the decoded header and claims. secret NULL: the configured one.';
COMMENT ON FUNCTION jwt_decode(text) IS
  'Decode a token''s header and claims WITHOUT verifying it.';
COMMENT ON FUNCTION set_pgrst_secret_from_env(text, boolean, name) IS
  'Superusers: store the JWT secret read from the server''s environment (default JWT_SECRET) where ordinary roles cannot read it; returns its fingerprint.';
COMMENT ON FUNCTION jwt_secret_status() IS
  'Whether and where a JWT secret is configured, its fingerprint, and whether and how any non-superuser could read it (exposures). Never the secret.';
COMMENT ON FUNCTION jwt_role(jsonb) IS
  'The role PostgREST would switch to for these claims (pgrst.jwt_role_claim_key, default $.role); NULL for its anonymous role.';
COMMENT ON FUNCTION jwt_claims() IS
  'The current PostgREST request''s claims (request.jwt.claims), NULL outside a request.';
COMMENT ON FUNCTION jwt_claim(text) IS
  'One top-level claim of the current PostgREST request as text, NULL when absent.';
COMMENT ON FUNCTION jwt_generate_key(text, text) IS
  'A new private JWK: RSA (2048), EC (P-256) or OKP (Ed25519), with a kid (RFC 7638 thumbprint when NULL).';
COMMENT ON FUNCTION jwt_public_jwks(text) IS
  'The public JWK Set of the given key, JWK or JWK Set (HMAC keys left out).';
COMMENT ON FUNCTION jwt_public_jwks() IS
  'The public JWK Set of the configured secret (empty for an HMAC secret): publish it to PostgREST, gateways and other verifiers.';
COMMENT ON FUNCTION pgrst_jwt_secret_changed() IS
  'Trigger: invalidates cached keys in every backend when the stored secret changes.';
COMMENT ON FUNCTION pgrst_jwt_secret_write_guard() IS
  'Trigger: refuses writes to the stored secret by anyone but a superuser.';
COMMENT ON FUNCTION pgrst_jwt_secret_replicated() IS
  'Trigger (replicated writes only): a logically replicated secret row replaces this node''s, and every backend reloads it.';
