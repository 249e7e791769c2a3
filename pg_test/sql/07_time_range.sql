-- Time claims when signing: whole seconds that must fit in 64 bits. PostgREST reads a
-- larger number as 0, so such a token would be expired the moment it is issued.
CREATE EXTENSION IF NOT EXISTS pgrst_jwt;
\set VERBOSITY default
\set secret '''reallyreallyreallyreallyverysafe'''
SELECT t.part(jwt_sign('{"exp": 9223372036854775807, "nbf": -9223372036854775808}', :secret), 2) AS i64_limits;
SELECT jwt_sign('{"exp": 1e300}'::json, :secret);
SELECT jwt_sign('{"exp": 9223372036854775808.5}', :secret);
-- the same numbers written as plain integers must be refused the same way (jsonb prints 1e300 as digits)
SELECT jwt_sign('{"exp": 1e300}'::jsonb, :secret);
SELECT jwt_sign('{"exp": 9223372036854775808}', :secret);
SELECT jwt_sign('{"iat": 99999999999999999999}'::jsonb, :secret);
