"""Attack: read the stored secret by a route jwt_secret_status() does not report
(issue 7, finding 8).

jwt_secret_status() returns (configured, source, fingerprint, readable_by_public,
exposures text[]): exposures is '{}' when only superusers can read the secret, else one
entry per route naming the role or publication. Each route is opened, checked (also
that the route really reads the secret, so the test is not vacuous), and closed again.
"""

from __future__ import annotations

import pytest

from attack_support import Session, ensure_roles, setup_db
from cluster import Cluster

SECRET = "status-suite-real-secret-0123456789-abcdefgh"
T = "extensions.pgrst_jwt_secret"
STATUS = "SELECT readable_by_public, exposures FROM extensions.jwt_secret_status();"

ROUTES = {
    # name: (open, close, who can then read it, names one of these)
    "column grant on secret": (f"GRANT SELECT (secret) ON {T} TO alice;",
                               f"REVOKE SELECT (secret) ON {T} FROM alice;", "alice", ["alice"]),
    "table grant through a group": (f"GRANT SELECT ON {T} TO grp; GRANT grp TO carol;",
                                    f"REVOKE SELECT ON {T} FROM grp; REVOKE grp FROM carol;", "carol",
                                    ["grp", "carol"]),
    "column grant through a group": (f"GRANT SELECT (secret) ON {T} TO grp; GRANT grp TO carol;",
                                     f"REVOKE SELECT (secret) ON {T} FROM grp; REVOKE grp FROM carol;",
                                     "carol", ["grp", "carol"]),
    "pg_read_all_data": ("GRANT pg_read_all_data TO bob;", "REVOKE pg_read_all_data FROM bob;", "bob", ["bob"]),
    "pg_read_all_data through a group": ("GRANT pg_read_all_data TO grp2; GRANT grp2 TO dave;",
                                         "REVOKE grp2 FROM dave; REVOKE pg_read_all_data FROM grp2;", "dave",
                                         ["grp2", "dave"]),
    "grant to PUBLIC": (f"GRANT SELECT ON {T} TO PUBLIC;", f"REVOKE SELECT ON {T} FROM PUBLIC;", "alice",
                        ["public"]),
    "table owner": (f"ALTER TABLE {T} OWNER TO erin;", f"ALTER TABLE {T} OWNER TO postgres;", "erin",
                    ["erin"]),
    "publication for the table": (f"CREATE PUBLICATION p1 FOR TABLE {T};", "DROP PUBLICATION p1;", None,
                                  ["p1"]),
    "publication for all tables": ("CREATE PUBLICATION p2 FOR ALL TABLES;", "DROP PUBLICATION p2;", None,
                                   ["p2"]),
    "authenticator's role settings": (f"ALTER ROLE authenticator SET pgrst.jwt_secret = '{SECRET}';",
                                      "ALTER ROLE authenticator RESET pgrst.jwt_secret;", None,
                                      ["pg_db_role_setting"]),
    "database settings": (f"ALTER DATABASE status SET pgrst.jwt_secret = '{SECRET}';",
                          "ALTER DATABASE status RESET pgrst.jwt_secret;", None, ["pg_db_role_setting"]),
}


@pytest.fixture(scope="module")
def stc():
    c = Cluster(env={"JWT_SECRET": SECRET})
    c.start()
    ensure_roles(c, "alice", "bob", "carol", "dave", "erin", "authenticator", "anon")
    ensure_roles(c, "grp", "grp2", login=False)
    setup_db(c, "status")
    yield c
    c.cleanup()


def status(c):
    """(readable_by_public, exposures) as an ordinary role sees them."""
    with Session(c, "status", "anon") as s:
        o = s.run(STATUS)
    assert o.error is None, f"jwt_secret_status() has no readable_by_public/exposures columns: {o}"
    readable, exposures = o.out.split("|", 1)
    return readable, exposures


def test_baseline_nobody_but_superusers(stc):
    assert status(stc) == ("f", "{}"), "a fresh installation reports exposures"


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_to_the_secret_is_reported(stc, route):
    opening, closing, reader, names = ROUTES[route]
    stc.psql(opening, db="status")
    try:
        if reader:  # the route is real: that role reads the secret now
            r = stc.psql(f"SELECT secret FROM {T};", db="status", user=reader, check=False)
            assert SECRET in r.stdout, f"setup: {reader} cannot read the secret via {route}: {r.stderr}"
        readable, exposures = status(stc)
        assert readable == "t", f"{route}: readable_by_public = {readable} while the secret is readable"
        assert any(n in exposures.lower() for n in names), (
            f"{route}: exposures {exposures} do not name {' or '.join(names)}")
    finally:
        stc.psql(closing, db="status")
    assert status(stc) == ("f", "{}"), f"{route}: still reported after it was closed"


def test_grant_of_other_columns_is_no_exposure(stc):
    stc.psql(f"GRANT SELECT (fingerprint, updated_at) ON {T} TO alice;", db="status")
    try:
        assert status(stc) == ("f", "{}"), "a grant of non-secret columns is reported as an exposure"
    finally:
        stc.psql(f"REVOKE SELECT (fingerprint, updated_at) ON {T} FROM alice;", db="status")
