-- pgrst_jwt_pgjwt 0.3.0 -> 0.4.0 (ALTER EXTENSION pgrst_jwt_pgjwt UPDATE TO '0.4.0').
-- Nothing changes in the catalog: the drop-in's version follows the library's, whose
-- 0.4.0 is what its functions call.
\echo Use "ALTER EXTENSION pgrst_jwt_pgjwt UPDATE TO '0.4.0'" to load this file. \quit
