"""Attack: a backend keeps the old secret after rotation (issue 7, finding 5).

Session A (an ordinary role, as PostgREST's pooled connection; signing through a
SECURITY DEFINER login helper) holds a transaction snapshot taken before session B
rotates the secret; A then processes the invalidation and loads the secret. The load
must not use A's old snapshot, and never be kept: old tokens are refused from then on,
in that transaction and for the rest of the connection, and A signs with the new secret.
"""

from __future__ import annotations

import jwt as pyjwt
import pytest

from attack_support import Session, ensure_roles, setup_db
from cluster import Cluster, literal

OLD = "rotation-suite-old-secret-0123456789-abcdefgh"
NEW = "rotation-suite-new-secret-0123456789-ijklmnop"
OLD_TOKEN = pyjwt.encode({"role": "web_user", "k": "old"}, OLD, algorithm="HS256")
NEW_TOKEN = pyjwt.encode({"role": "web_user", "k": "new"}, NEW, algorithm="HS256")
VARS = {OLD: "JWT_SECRET", NEW: "JWT_SECRET_NEXT"}


@pytest.fixture(scope="module")
def rc():
    c = Cluster(env={"JWT_SECRET": OLD, "JWT_SECRET_NEXT": NEW})
    c.start()
    ensure_roles(c, "app")
    ensure_roles(c, "login_owner", login=False)
    setup_db(c, "rot")
    c.psql("""
GRANT EXECUTE ON FUNCTION extensions.jwt_sign(jsonb) TO login_owner;
CREATE FUNCTION public.sign_helper(c jsonb) RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$ BEGIN RETURN extensions.jwt_sign(c); END $$;
ALTER FUNCTION public.sign_helper(jsonb) OWNER TO login_owner;
""", db="rot")
    yield c
    c.cleanup()


def verify(s, token):
    return s.run(f"SELECT extensions.jwt_verify({literal(token)}) ->> 'k';")


def assert_refused(o, what):
    assert o.error is not None, f"{what}: the token of the rotated-out secret was accepted ({o.out!r})"
    assert o.error.sqlstate == "28000", f"{what}: {o}"


def race(c, current, rotated, isolation, warm):
    """A: BEGIN; SELECT 1 -- B rotates -- A: reads a table, verifies the old token, COMMIT."""
    old_token = OLD_TOKEN if current == OLD else NEW_TOKEN
    new_token = NEW_TOKEN if current == OLD else OLD_TOKEN
    with Session(c, "rot") as b:
        b.ok(f"SELECT extensions.set_pgrst_secret_from_env('{VARS[current]}');")
        with Session(c, "rot", "app") as a:
            if warm:
                assert verify(a, old_token).out == ("old" if current == OLD else "new")
            a.ok(f"BEGIN ISOLATION LEVEL {isolation};")
            a.ok("SELECT 1;")
            b.ok(f"SELECT extensions.set_pgrst_secret_from_env('{VARS[rotated]}');")
            a.ok("SELECT count(*) FROM pg_catalog.pg_class;")
            inside = verify(a, old_token)
            a.run("COMMIT;")
            after_old, after_new = verify(a, old_token), verify(a, new_token)
            signed = a.run("SELECT public.sign_helper('{\"role\":\"web_user\"}'::jsonb);")
            status = a.value("SELECT fingerprint FROM extensions.jwt_secret_status();")
        expected_fp = b.value("SELECT fingerprint FROM extensions.jwt_secret_status();")
    what = f"{isolation}, {'warm' if warm else 'cold'} cache"
    assert_refused(inside, f"{what}, in the racing transaction")
    assert_refused(after_old, f"{what}, after the racing transaction, same connection")
    assert after_new.error is None and after_new.out == ("new" if current == OLD else "old"), (
        f"{what}: the new secret is not used after the race: {after_new}")
    assert signed.error is None, f"{what}: signing failed: {signed}"
    try:
        pyjwt.decode(signed.out, rotated, algorithms=["HS256"])
    except pyjwt.InvalidSignatureError:
        pytest.fail(f"{what}: after the race the connection still signs with the rotated-out secret")
    assert status == expected_fp, f"{what}: jwt_secret_status() reports the old secret's fingerprint"


@pytest.mark.parametrize("warm", [True, False], ids=["warm cache", "cold cache"])
def test_rotation_racing_a_repeatable_read_snapshot(rc, warm):
    race(rc, OLD, NEW, "REPEATABLE READ", warm)


@pytest.mark.parametrize("warm", [True, False], ids=["warm cache", "cold cache"])
def test_reverse_rotation_racing_read_committed(rc, warm):
    race(rc, NEW, OLD, "READ COMMITTED", warm)


def test_rotation_racing_a_serializable_snapshot(rc):
    race(rc, OLD, NEW, "SERIALIZABLE", True)


@pytest.mark.parametrize("sign", [False, True], ids=["verify", "sign"])
def test_rotation_inside_an_open_read_committed_transaction(rc, sign):
    """Issue 16: everything A needs is cached (secret, functions, the helper): the rotation B
    commits while A's READ COMMITTED transaction is open must apply to A's next statement,
    with no catalog access in between."""
    with Session(rc, "rot") as b:
        b.ok("SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET');")
        with Session(rc, "rot", "app") as a:
            a.ok("BEGIN ISOLATION LEVEL READ COMMITTED;")
            assert verify(a, OLD_TOKEN).out == "old"
            a.ok("SELECT public.sign_helper('{\"role\":\"web_user\"}'::jsonb);")
            b.ok("SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET_NEXT');")
            if sign:
                signed = a.value("SELECT public.sign_helper('{\"role\":\"web_user\"}'::jsonb);")
                try:
                    pyjwt.decode(signed, NEW, algorithms=["HS256"])
                except pyjwt.InvalidSignatureError:
                    pytest.fail("the open transaction's next statement signed with the rotated-out secret")
            else:  # jwt_check: a refusal must not abort the open transaction
                valid = "SELECT valid FROM extensions.jwt_check({});"
                assert a.value(valid.format(literal(OLD_TOKEN))) == "f", (
                    "READ COMMITTED, the next statement: the rotated-out secret's token is valid")
                assert a.value(valid.format(literal(NEW_TOKEN))) == "t"
            a.run("COMMIT;")
