"""Issue 19: logical replication. A publication FOR ALL TABLES includes the secret table
(PostgreSQL 15-18 cannot leave a table out of it). The design: on a subscriber the
publisher's row replaces the subscriber's own (a replica trigger), so no table-sync worker
fails on the row's key, every backend there reloads it (replicated writes fire no
statement trigger), each node verifies with the secret its jwt_secret_status() reports,
and a subscriber says that it follows a publisher and may be stale."""

from __future__ import annotations

import time

import jwt as pyjwt

from attack_support import Session
from cluster import literal, wait_for

PUB_SECRET = "publisher-secret-0123456789-abcdefghijklmnop"
PUB_NEXT = "publisher-rotated-0123456789-abcdefghijklmnop"
SUB_SECRET = "subscriber-own-0123456789-abcdefghijklmnopqr"
SCHEMA = ("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;"
          "CREATE TABLE public.items (id int PRIMARY KEY, v text);")


def token(secret: str, role: str = "web_user") -> str:
    return pyjwt.encode({"role": role, "exp": int(time.time()) + 600}, secret, algorithm="HS256")


def verify(session: Session, tok: str) -> str:
    """The role, or the SQLSTATE of the error (as a PostgREST request would see it)."""
    o = session.run(f"SELECT extensions.jwt_verify({literal(tok)}) ->> 'role';")
    return o.error.sqlstate if o.error else o.out


def synced(sub) -> bool:
    return sub.one("SELECT count(*) FILTER (WHERE srsubstate <> 'r') || '/' || count(*) "
                   "FROM pg_subscription_rel", db="app") == "0/2"


def test_a_subscriber_follows_the_publishers_secret_and_says_so(fresh_cluster):
    pub = fresh_cluster(env={"JWT_SECRET": PUB_SECRET, "JWT_SECRET_NEXT": PUB_NEXT},
                        conf={"wal_level": "logical"})
    sub = fresh_cluster(env={"JWT_SECRET": SUB_SECRET})
    for c in (pub, sub):
        c.createdb("app")
        c.psql(SCHEMA + "SELECT extensions.set_pgrst_secret_from_env();"
               "CREATE ROLE web_user LOGIN; GRANT USAGE ON SCHEMA extensions TO web_user;",
               db="app")
    pub.psql("INSERT INTO items VALUES (1, 'one'); CREATE PUBLICATION p FOR ALL TABLES;", db="app")
    pub_fp = pub.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db="app")
    # the publisher reports that its secret leaves the server
    assert 'publication \\"p\\" replicates the secret table' in pub.one(
        "SELECT exposures FROM extensions.jwt_secret_status()", db="app")

    # a PostgREST-style session on the subscriber, its cached keys loaded (its own secret)
    s = Session(sub, db="app", user="web_user")
    try:
        assert verify(s, token(SUB_SECRET)) == "web_user"
        sub.psql(f"CREATE SUBSCRIPTION s CONNECTION 'host={pub.host} port={pub.port} "
                 "dbname=app user=postgres' PUBLICATION p;", db="app")
        assert wait_for(lambda: synced(sub), timeout=30), sub.log_text()[-3000:]
        # the table-sync worker did not fail on the row's key (it would retry every 5 s)
        time.sleep(1)
        log = sub.log_text()
        assert "duplicate key" not in log and "worker" not in " ".join(
            x for x in log.splitlines() if "ERROR" in x), log[-3000:]
        assert sub.one("SELECT v FROM items", db="app") == "one"

        # the subscriber verifies with the publisher's secret, and reports it
        assert sub.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db="app") == pub_fp
        assert verify(s, token(PUB_SECRET)) == "web_user"
        assert verify(s, token(SUB_SECRET)) == "28000"
        status = sub.one("SELECT exposures FROM extensions.jwt_secret_status()", db="app")
        assert 'subscription \\"s\\" replicates the secret table from its publisher' in status, status
        assert "stale while the subscription lags" in status, status

        # a rotation on the publisher reaches the subscriber's open session
        new_fp = pub.one("SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET_NEXT')", db="app")
        assert new_fp != pub_fp
        assert wait_for(lambda: sub.one("SELECT fingerprint FROM extensions.jwt_secret_status()",
                                        db="app") == new_fp, timeout=30)
        assert verify(s, token(PUB_NEXT)) == "web_user"
        assert verify(s, token(PUB_SECRET)) == "28000"

        # a disabled subscription: the subscriber says its secret is stale
        sub.psql("ALTER SUBSCRIPTION s DISABLE;", db="app")
        status = sub.one("SELECT exposures FROM extensions.jwt_secret_status()", db="app")
        assert "the subscription is disabled: the secret here is stale" in status, status
        # (and the publisher's status is unchanged by it)
        assert pub.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db="app") == new_fp
    finally:
        s.close()
    assert "duplicate key" not in sub.log_text()


def test_a_replicated_write_by_a_non_superuser_subscription_owner_is_refused(fresh_cluster):
    """The replica trigger is a writer of the secret table like any other: a session that
    is not a superuser cannot use session_replication_role to slip a row in (it is a
    superuser-only setting), and the trigger checks the current user itself."""
    c = fresh_cluster(env={"JWT_SECRET": SUB_SECRET})
    c.createdb("app")
    c.psql(SCHEMA + "SELECT extensions.set_pgrst_secret_from_env();"
           "CREATE ROLE owner_like LOGIN; GRANT USAGE ON SCHEMA extensions TO owner_like;"
           "GRANT INSERT, UPDATE ON extensions.pgrst_jwt_secret TO owner_like;", db="app")
    fp = c.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db="app")
    r = c.psql("SET session_replication_role = replica;", db="app", user="owner_like",
               check=False, verbose_errors=True)
    assert r.error() is not None and r.error().sqlstate == "42501", r.stderr
    # a superuser who switches to the role in replica mode: the trigger refuses the write
    r = c.psql("SET session_replication_role = replica; SET ROLE owner_like;"
               "INSERT INTO extensions.pgrst_jwt_secret (secret, fingerprint, env_var) "
               "VALUES ('attacker-secret-0123456789-abcdefghijklm', 'x', 'X');",
               db="app", check=False, verbose_errors=True)
    assert r.error() is not None and r.error().sqlstate == "42501", r.stderr
    assert c.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db="app") == fp


def test_a_superusers_replica_mode_insert_replaces_the_row_and_reaches_open_sessions(fresh_cluster):
    """What the apply worker does, by hand: an INSERT in replica mode (a superuser's) replaces
    the row instead of failing on its key, and an open session reloads at once."""
    c = fresh_cluster(env={"JWT_SECRET": SUB_SECRET})
    c.createdb("app")
    c.psql(SCHEMA + "SELECT extensions.set_pgrst_secret_from_env();"
           "CREATE ROLE web_user LOGIN; GRANT USAGE ON SCHEMA extensions TO web_user;", db="app")
    s = Session(c, db="app", user="web_user")
    try:
        assert verify(s, token(SUB_SECRET)) == "web_user"
        c.psql("SET session_replication_role = replica;"
               "INSERT INTO extensions.pgrst_jwt_secret (secret, fingerprint, env_var) "
               f"VALUES ({literal(PUB_SECRET)}, 'not used', 'JWT_SECRET');", db="app")
        assert c.one("SELECT count(*) FROM extensions.pgrst_jwt_secret", db="app") == "1"
        assert verify(s, token(PUB_SECRET)) == "web_user"
        assert verify(s, token(SUB_SECRET)) == "28000"
        # the fingerprint is computed here, not taken from the replicated row
        assert c.one("SELECT fingerprint <> 'not used' FROM extensions.jwt_secret_status()",
                     db="app") == "t"
    finally:
        s.close()
