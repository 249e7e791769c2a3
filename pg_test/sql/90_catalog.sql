-- The catalog: volatility, parallel safety, strictness and a comment for every function
-- of the extension (api.md: clock/setting/stored-secret readers STABLE, pure ones
-- IMMUTABLE, all PARALLEL SAFE unless they write).
CREATE EXTENSION IF NOT EXISTS pgrst_jwt;
CREATE VIEW t.ext_functions AS
SELECT p.oid, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature,
       p.provolatile, p.proparallel, p.proisstrict, p.prosecdef, p.proretset,
       obj_description(p.oid, 'pg_proc') AS comment
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgrst_jwt'
-- a build with the pg_test feature (cargo pgrx test) adds its #[pg_test]s in schema tests
WHERE p.pronamespace <> coalesce(to_regnamespace('tests'), 0);
-- the SQL functions of the contract (api.md), with their argument defaults
SELECT signature, provolatile AS vol, proparallel AS par, proisstrict AS strict, proretset AS setof
FROM t.ext_functions
WHERE signature ~ '^jwt_(sign|verify|check|decode)\('
ORDER BY signature COLLATE "C";
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments
FROM t.ext_functions f JOIN pg_proc p ON p.oid = f.oid
WHERE f.signature ~ '^jwt_(sign|verify|check|decode)\(' AND p.pronargdefaults > 0
ORDER BY p.proname, pg_get_function_arguments(p.oid) COLLATE "C";
-- every function of the extension (a new one must be added here deliberately)
SELECT signature, provolatile AS vol, proparallel AS par, proisstrict AS strict, prosecdef AS secdef
FROM t.ext_functions
ORDER BY signature COLLATE "C";
-- what each returns
SELECT signature, pg_get_function_result(oid) AS result
FROM t.ext_functions
ORDER BY signature COLLATE "C";
-- every function has a COMMENT (the list below must stay empty)
SELECT signature AS without_comment FROM t.ext_functions WHERE coalesce(comment, '') = '' ORDER BY 1;
SELECT count(*) > 0 AS has_functions, bool_and(coalesce(comment, '') <> '') AS every_function_has_a_comment
FROM t.ext_functions;
-- nothing the extension owns is SECURITY DEFINER
SELECT count(*) AS security_definer FROM t.ext_functions WHERE prosecdef;
-- the settings: those that decide what a token proves are superuser-only (suset),
-- pgrst.jwt_secret is also hidden from pg_settings (GUC_NO_SHOW_ALL)
LOAD 'pgrst_jwt';
SELECT name, context, vartype, boot_val FROM pg_settings
WHERE name ~ '^(pgrst|pgrst_jwt)\.' ORDER BY name COLLATE "C";
SELECT count(*) AS jwt_secret_in_pg_settings FROM pg_settings WHERE name = 'pgrst.jwt_secret';
