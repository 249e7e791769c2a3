-- Supabase's SQL definitions of auth.uid(), auth.role(), auth.email() and auth.jwt(), verbatim from
-- github supabase/auth at bc32168e13fdc928c98b449fc76bc3fdb9a293c5:
--   migrations/20220224000811_update_auth_functions.up.sql
--   migrations/20220531120530_add_auth_jwt_function.up.sql
-- The tests and bench/rls install them as the reference, with the template's namespace
-- {{ index .Options "Namespace" }} replaced by a schema of their own.

-- update auth functions

create or replace function {{ index .Options "Namespace" }}.uid() 
returns uuid 
language sql stable
as $$
  select 
  coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function {{ index .Options "Namespace" }}.role() 
returns text 
language sql stable
as $$
  select 
  coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function {{ index .Options "Namespace" }}.email() 
returns text 
language sql stable
as $$
  select 
  coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

-- add auth.jwt function

comment on function {{ index .Options "Namespace" }}.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function {{ index .Options "Namespace" }}.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
comment on function {{ index .Options "Namespace" }}.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

create or replace function {{ index .Options "Namespace" }}.jwt()
returns jsonb
language sql stable
as $$
  select 
    coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;
