-- pgrst_jwt_pgjwt 0.2.0 -> 0.3.0: the functions are unchanged; the update checks that
-- the schema still belongs to a superuser.
\echo Use "ALTER EXTENSION pgrst_jwt_pgjwt UPDATE TO '0.3.0'" to load this file. \quit

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
                                        'pgrst_jwt_pgjwt', pg_catalog.current_schema(), owner_shown),
            DETAIL = 'The owner of a schema can rename or drop it and put objects with the extension''s names in their place, which a superuser would then run.',
            HINT = 'Give the schema to a superuser first (ALTER SCHEMA ... OWNER TO postgres), after checking what its owner put in it.';
    END IF;
END
$schema_check$;
