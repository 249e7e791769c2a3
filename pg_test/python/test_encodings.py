"""Any database encoding (issue 18): tokens are UTF-8 JSON whatever the database's encoding.
Claims are converted from it when signing and to it when returned; a character it cannot
hold is 22P05 naming the claim; text that is not UTF-8 where it must be (SQL_ASCII holds any
bytes) is 22021; never XX000, never a replaced character. Both extensions, in UTF8, LATIN1,
SQL_ASCII and EUC_JP databases, round-tripping non-ASCII claims through PyJWT (escaped, as
PyJWT writes them, and raw)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt as pyjwt
import pytest

from cluster import literal

SECRET = "encodings-suite-secret-0123456789-abcdefgh"
# encoding -> (a value it holds, a value it cannot hold or None)
ENCODINGS = {
    "UTF8": ("café 日本 😀", None),
    "LATIN1": ("café", "日本"),
    "SQL_ASCII": ("café 日本", None),
    "EUC_JP": ("日本", "😀"),
}
UTF8 = "SET client_encoding = 'UTF8';\n"


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def raw_token(claims: dict) -> str:
    """HS256 with the payload's non-ASCII characters written as UTF-8, not escaped."""
    h = b64url(b'{"alg":"HS256","typ":"JWT"}')
    p = b64url(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
    sig = hmac.new(SECRET.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(sig)}"


@pytest.fixture(scope="module", params=sorted(ENCODINGS))
def enc(request, cluster):
    name = request.param
    db = f"enc_{name.lower()}"
    cluster.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE); CREATE DATABASE {db} ENCODING '{name}' "
                 "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;")
    cluster.psql("CREATE EXTENSION pgrst_jwt; CREATE EXTENSION pgrst_jwt_pgjwt;", db=db)
    yield cluster, db, name
    cluster.dropdb(db)


def one(c, db, sql):
    return c.psql(UTF8 + sql, db=db).out


def error(c, db, sql):
    r = c.psql("\\set VERBOSITY verbose\n" + UTF8 + sql, db=db, check=False)
    e = r.error()
    assert e is not None, f"no error: {r.stdout}"
    assert e.sqlstate != "XX000", e
    return e


def test_signing_converts_from_the_database_encoding(enc):
    c, db, name = enc
    held = ENCODINGS[name][0]
    claims = json.dumps({"role": "x", "name": held}, ensure_ascii=False)
    for form in ("jsonb", "json", "text"):
        token = one(c, db, f"SELECT jwt_sign({literal(claims)}::{form}, {literal(SECRET)})")
        assert pyjwt.decode(token, SECRET, algorithms=["HS256"])["name"] == held, (name, form)
    token = one(c, db, f"SELECT sign({literal(claims)}::json, {literal(SECRET)})")
    assert pyjwt.decode(token, SECRET, algorithms=["HS256"])["name"] == held, (name, "pgjwt")


@pytest.mark.parametrize("style", ["escaped", "raw"])
def test_verifying_converts_to_the_database_encoding(enc, style):
    c, db, name = enc
    held = ENCODINGS[name][0]
    claims = {"role": "x", "name": held, held: 1}
    token = pyjwt.encode(claims, SECRET, algorithm="HS256") if style == "escaped" else raw_token(claims)
    t = literal(token)
    assert one(c, db, f"SELECT jwt_verify({t}, {literal(SECRET)}) ->> 'name'") == held
    assert one(c, db, f"SELECT (jwt_verify({t}, {literal(SECRET)}) -> {literal(held)})::int") == "1"
    assert one(c, db, f"SELECT claims ->> 'name' FROM jwt_check({t}, {literal(SECRET)})") == held
    assert one(c, db, f"SELECT claims ->> 'name' FROM jwt_decode({t})") == held
    # the drop-in returns the payload's JSON text as pgjwt does (escapes kept: PostgreSQL's
    # own ->> then decodes them, which a SQL_ASCII database refuses for non-ASCII ones)
    payload = base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
    assert one(c, db, f"SELECT payload::text FROM verify({t}, {literal(SECRET)})") == payload
    valid = f"SELECT valid FROM verify({t}, {literal(SECRET)})"
    if name == "SQL_ASCII" and style == "escaped":
        # pgjwt reads nbf/exp with ->>, whose decoding of such escapes SQL_ASCII refuses:
        # valid fails exactly as pgjwt (PostgreSQL's own ->>) does there
        ours = error(c, db, valid)
        theirs = error(c, db, f"SELECT {literal(payload)}::json ->> 'nbf'")
        assert (ours.sqlstate, ours.message) == (theirs.sqlstate, theirs.message), (ours, theirs)
    else:
        assert one(c, db, valid) == "t"
    # the request helpers
    assert one(c, db, f"SELECT set_config('request.jwt.claims', {literal(json.dumps(claims, ensure_ascii=False))}, "
                      "false) IS NOT NULL; SELECT jwt_claim('name')").splitlines()[-1] == held


def test_a_character_the_database_cannot_hold_is_22P05_naming_the_claim(enc):
    c, db, name = enc
    foreign = ENCODINGS[name][1]
    if foreign is None:
        pytest.skip(f"{name} holds every character")
    for style in ("escaped", "raw"):
        claims = {"role": "x", "greeting": foreign}
        token = pyjwt.encode(claims, SECRET, algorithm="HS256") if style == "escaped" else raw_token(claims)
        e = error(c, db, f"SELECT jwt_verify({literal(token)}, {literal(SECRET)})")
        assert e.sqlstate == "22P05" and 'claim "greeting"' in (e.detail or ""), (style, e)
        assert one(c, db, f"SELECT reason FROM jwt_check({literal(token)}, {literal(SECRET)})") == "invalid_claim"


def test_text_that_is_not_utf8_is_22021_in_sql_ascii(enc):
    c, db, name = enc
    if name != "SQL_ASCII":
        pytest.skip("only SQL_ASCII takes any bytes")
    for sql in ("SELECT jwt_decode(E'a.\\xff.b')", "SELECT jwt_sign('{}', E'\\xff' || repeat('s', 40))",
                "SELECT jwt_sign(E'{\"a\":\"\\xff\"}', repeat('s', 40))"):
        e = error(c, db, sql)
        assert e.sqlstate == "22021", (sql, e)


def test_auth_helpers_agree_with_supabase_in_every_encoding(enc):
    """pgrst_jwt_auth's helpers read the settings in the database's encoding, as Supabase's
    SQL definitions do: the same results (a non-ASCII email included) in each database."""
    from auth_support import reference_sql
    c, db, name = enc
    c.psql("CREATE EXTENSION pgrst_jwt_auth; CREATE SCHEMA supabase_ref;" + reference_sql("supabase_ref"),
           db=db)
    held = ENCODINGS[name][0]
    claims = json.dumps({"sub": "8f2e6a4c-0b1d-4c53-9d38-6f1c2b7e9a10", "role": "web_user",
                         "email": f"{held}@example.com"}, ensure_ascii=False)
    try:
        q = ("SELECT {s}.uid()::text || '|' || {s}.role() || '|' || {s}.email() || '|' || "
             "({s}.jwt() ->> 'email')")
        got = {}
        for schema in ("auth", "supabase_ref"):
            got[schema] = one(c, db, f"BEGIN; SET LOCAL request.jwt.claims = {literal(claims)};\n"
                                     + q.format(s=schema) + ";\nCOMMIT;")
        assert got["auth"] == got["supabase_ref"], got
        assert got["auth"] == f"8f2e6a4c-0b1d-4c53-9d38-6f1c2b7e9a10|web_user|{held}@example.com|{held}@example.com"
    finally:
        c.psql("DROP EXTENSION pgrst_jwt_auth; DROP SCHEMA supabase_ref CASCADE;", db=db)
