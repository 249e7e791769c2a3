"""The auth example in a real browser (issue 17): headless Chromium (Debian's, driven by
playwright-core, pg_test/browser/drive.mjs) opens the example's login page through the
example's Caddyfile (HTTPS with Caddy's local CA), with the suite's PostgREST stand-in
(postgrest_http.py) behind it. It logs in, calls an endpoint, lets the access cookie expire,
refreshes, lets it expire again and logs out with only the refresh cookie left; then refresh
fails and the browser holds no cookie. Cookie scoping (Path, Secure, HttpOnly, SameSite,
Max-Age) is the browser's own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from auth_example_support import EXAMPLE, NO_PGCRYPTO, PostgREST, migration_files, pgcrypto_available
from caddy_support import caddy_running, low_port
from cluster import Cluster
from postgrest_http import serve

SECRET = "browser-test-secret-0123456789-never-use-it"
PASSWORD = "correct horse battery staple"
TTL = 3  # seconds an access token (and its cookie) lives in this test
BROWSER = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    assert os.path.exists(CHROMIUM), "chromium is not installed: apt-get install -y chromium (.ci/setup)"
    assert os.path.isdir(os.path.join(BROWSER, "node_modules", "playwright-core")), (
        "playwright-core is not installed: npm ci --prefix pg_test/browser (.ci/setup)")
    c = Cluster(env={"JWT_SECRET": SECRET})
    c.start()
    if not pgcrypto_available(c):
        c.cleanup()
        pytest.skip(NO_PGCRYPTO)
    c.createdb("app")
    for f in migration_files():
        c.psql(file=f, db="app", single_transaction=True)
    c.psql(f"UPDATE private.auth_config SET access_token_ttl = {TTL};", db="app")
    api = PostgREST(c, "app", SECRET)
    assert api.request("POST", "/rpc/signup", "SELECT api.signup('mallory@example.com', "
                       f"'{PASSWORD}')").status == 200
    upstream = serve(api, low_port())
    port = low_port()
    tmp = str(tmp_path_factory.mktemp("caddy"))
    try:
        with caddy_running(os.path.join(EXAMPLE, "Caddyfile"), tmp, port,
                           SITE_ADDRESS=f"https://localhost:{port}",
                           POSTGREST_UPSTREAM=f"127.0.0.1:{upstream.server_address[1]}",
                           WEB_ROOT=os.path.join(EXAMPLE, "web")):
            yield c, f"https://localhost:{port}/app/"
    finally:
        upstream.shutdown()
        upstream.server_close()
        api.close()
        c.cleanup()


def drive(url):
    node = shutil.which("node")
    assert node, "node is not installed"
    p = subprocess.run([node, "drive.mjs", url, "mallory@example.com", PASSWORD, str(TTL)],
                       cwd=BROWSER, capture_output=True, text=True, timeout=180,
                       env=dict(os.environ, CHROMIUM=CHROMIUM))
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-4000:]
    return {s["name"]: s for s in json.loads(p.stdout.strip().splitlines()[-1])}


def status(step):
    return int(step["answer"].split(" ", 1)[0])


def cookies(step):
    return {c["name"]: c for c in step["cookies"]}


def test_login_refresh_expiry_and_logout_in_a_browser(site):
    c, url = site
    s = drive(url)
    assert status(s["login"]) == 200, s["login"]
    ck = cookies(s["login"])
    assert ck["access_token"] == {"name": "access_token", "path": "/", "httpOnly": True,
                                  "secure": True, "sameSite": "Lax"}
    assert ck["refresh_token"] == {"name": "refresh_token", "path": "/auth", "httpOnly": True,
                                   "secure": True, "sameSite": "Strict"}
    assert status(s["todos"]) == 200, s["todos"]
    # the browser dropped the access cookie at its Max-Age; anonymous may not read todos
    assert set(cookies(s["access cookie expired"])) == {"refresh_token"}
    assert status(s["todos without access cookie"]) == 401
    # the refresh cookie reached /auth/refresh: new cookies, and the endpoint works again
    assert status(s["refresh"]) == 200, s["refresh"]
    assert set(cookies(s["refresh"])) == {"access_token", "refresh_token"}
    assert status(s["todos after refresh"]) == 200
    assert set(cookies(s["access cookie expired again"])) == {"refresh_token"}
    # logout with only the refresh cookie: the session is revoked, both cookies cleared
    logout = s["logout with only the refresh cookie"]
    assert status(logout) == 200 and json.loads(logout["answer"].split(" ", 1)[1]) == {"revoked": True}, logout
    assert logout["cookies"] == [], "the browser still holds a cookie after logout"
    assert status(s["refresh after logout"]) == 401
    assert status(s["todos after logout"]) == 401
    assert c.one("SELECT string_agg(coalesce(revoked_reason, 'live'), ',') FROM private.sessions",
                 db="app") == "logout"
