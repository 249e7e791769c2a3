-- 04: something to log in for: GET/POST/PATCH/DELETE /todos, each user sees and changes only
-- their own rows. Row-level security reads the request's claims (request.jwt.claims, set by
-- PostgREST per request) through extensions.jwt_claim(); anonymous requests get 401.

CREATE TABLE api.todos (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   uuid        NOT NULL DEFAULT (extensions.jwt_claim('sub'))::uuid
                           REFERENCES private.users ON DELETE CASCADE,
    task       text        NOT NULL CHECK (task <> ''),
    done       boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

ALTER TABLE api.todos ENABLE ROW LEVEL SECURITY;
-- (SELECT ...): the claim is read once per statement, not once per row
CREATE POLICY todos_own ON api.todos TO web_user
    USING (owner_id = (SELECT extensions.jwt_claim('sub'))::uuid)
    WITH CHECK (owner_id = (SELECT extensions.jwt_claim('sub'))::uuid);

GRANT SELECT, INSERT, DELETE ON api.todos TO web_user;
GRANT UPDATE (task, done) ON api.todos TO web_user;
