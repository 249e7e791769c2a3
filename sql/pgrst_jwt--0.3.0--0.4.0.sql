-- pgrst_jwt 0.3.0 -> 0.4.0 (ALTER EXTENSION pgrst_jwt UPDATE TO '0.4.0').
-- Adds objects only: nothing an administrator granted, revoked or built on the existing
-- functions is touched. The stored secret is kept as it is.
\echo Use "ALTER EXTENSION pgrst_jwt UPDATE TO '0.4.0'" to load this file. \quit

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
            MESSAGE = pg_catalog.format('%s cannot be updated in schema "%s": it is owned by %s who is not a superuser',
                                        'pgrst_jwt', pg_catalog.current_schema(), owner_shown),
            DETAIL = 'The owner of a schema can rename or drop it and put objects with the extension''s names in their place, which a superuser would then run.',
            HINT = 'Give the schema to a superuser first (ALTER SCHEMA ... OWNER TO postgres), after checking what its owner put in it.';
    END IF;
END
$schema_check$;

-- Logical replication (see the install script's finalize part): on a subscriber, the
-- publisher's row replaces this node's and every backend reloads it.
CREATE FUNCTION pgrst_jwt_secret_replicated() RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'pgrst_jwt_secret_replicated_wrapper';
REVOKE ALL ON FUNCTION pgrst_jwt_secret_replicated() FROM PUBLIC;
CREATE TRIGGER pgrst_jwt_secret_replicated
    BEFORE INSERT OR UPDATE OR DELETE ON pgrst_jwt_secret
    FOR EACH ROW EXECUTE FUNCTION pgrst_jwt_secret_replicated();
ALTER TABLE pgrst_jwt_secret ENABLE REPLICA TRIGGER pgrst_jwt_secret_replicated;
COMMENT ON FUNCTION pgrst_jwt_secret_replicated() IS
  'Trigger (replicated writes only): a logically replicated secret row replaces this node''s, and every backend reloads it.';

-- A default privilege may have given the new function to others: owner only.
DO $owner_only$
DECLARE
    grantee oid;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
         WHERE p.oid OPERATOR(pg_catalog.=) 'pgrst_jwt_secret_replicated()'::pg_catalog.regprocedure
           AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION pgrst_jwt_secret_replicated() FROM %s',
            CASE WHEN grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC' ELSE grantee::pg_catalog.regrole::text END);
    END LOOP;
END
$owner_only$;
