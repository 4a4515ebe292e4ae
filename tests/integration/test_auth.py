#!/usr/bin/env python3
"""The auth matrix: api_secret, stored tokens, signed tokens (janus-api.md 1.8, 1.9)."""

import time
import urllib.parse

import sy
from sy import SYTEST, check_error

UNAUTHORIZED = "Unauthorized request (wrong or missing secret/token)"
API_SECRET = "s3cret-api"
SIGN_KEY = "sytest-signing-key"

SECRET = sy.Server("secret", general={"api_secret": API_SECRET}, http={"longpoll_timeout": 1})
STORED = sy.Server("stored_tokens", general={"token_auth": True},
                   ws={"ws_port": 8192}, http={"port": 8092, "longpoll_timeout": 1},
                   http_admin={"admin_port": 7092})
SIGNED = sy.Server("signed_tokens", general={"token_auth": True, "token_auth_secret": SIGN_KEY},
                   ws={"ws_port": 8193}, http={"port": 8093, "longpoll_timeout": 1},
                   http_admin={"admin_port": 7093})
BOTH = sy.Server("secret_and_tokens", general={"api_secret": API_SECRET, "token_auth": True},
                 ws={"ws_port": 8194}, http={"port": 8094}, http_admin={"admin_port": 7094})


def signed(expiry_in=600, realm="janus", plugins=(SYTEST,), key=SIGN_KEY):
    return sy.sign_token(key, time.time() + expiry_in, realm, plugins)


def denied_plugin(pkg):
    return f"Provided token can't access plugin '{pkg}'"


# ---- api_secret ------------------------------------------------------------------------

async def test_secret_info_and_ping_need_nothing():
    async with SECRET.ws() as c:
        r = await c.request({"janus": "info"})
        assert r.get("janus") == "server_info", r
        assert r["api_secret"] is True and r["auth_token"] is False, r
        r = await c.request({"janus": "ping", "transaction": "p"})
        assert r == {"janus": "pong", "transaction": "p"}, r
    r = await SECRET.http("GET", "/janus/info")
    assert r.janus_json().get("janus") == "server_info"


async def test_secret_create():
    async with SECRET.ws() as c:
        r = await c.request({"janus": "create", "transaction": "no"})
        check_error(r, 403, UNAUTHORIZED, transaction="no")
        r = await c.request({"janus": "create", "apisecret": "wrong"})
        check_error(r, 403, UNAUTHORIZED)
        r = await c.request({"janus": "create", "apisecret": API_SECRET[:-1]})
        check_error(r, 403)
        r = await c.request({"janus": "create", "apisecret": API_SECRET})
        assert r.get("janus") == "success", r


async def test_secret_every_session_request():
    async with SECRET.ws() as c:
        s = await c.create(apisecret=API_SECRET)
        r = await c.request({"janus": "keepalive", "session_id": s})
        check_error(r, 403, UNAUTHORIZED)
        r = await c.request({"janus": "attach", "session_id": s, "plugin": SYTEST})
        check_error(r, 403)
        h = await c.attach(s, apisecret=API_SECRET)
        r = await c.message(s, h, {"request": "sync"})
        check_error(r, 403)
        r = await c.message(s, h, {"request": "sync"}, apisecret=API_SECRET)
        assert r.get("janus") == "success", r
        r = await c.request({"janus": "keepalive", "session_id": s, "apisecret": API_SECRET})
        assert r.get("janus") == "ack", r


async def test_secret_checked_before_session_lookup():
    async with SECRET.ws() as c:
        r = await c.request({"janus": "keepalive", "session_id": 12345})
        check_error(r, 403)
        r = await c.request({"janus": "keepalive", "session_id": 12345, "apisecret": API_SECRET})
        check_error(r, 458)


async def test_secret_over_http():
    r = await SECRET.post("", {"janus": "create"})
    check_error(r, 403, UNAUTHORIZED)
    r = await SECRET.post("", {"janus": "create", "apisecret": API_SECRET})
    assert r.get("janus") == "success", r
    s = r["data"]["id"]
    r = await SECRET.post(f"/{s}", {"janus": "keepalive"})
    check_error(r, 403)
    for query in ("", "apisecret=wrong", "maxev=1"):
        r = await SECRET.longpoll(s, query)
        assert r.status == 403, f"GET ?{query}: HTTP {r.status}, expected 403"
        assert r.body == b"", f"the 403 body must be empty, got {r.body[:200]!r}"
    r = await SECRET.longpoll(s, f"apisecret={API_SECRET}&maxev=1")
    assert r.status == 200 and r.json() == {"janus": "keepalive"}, r


# ---- stored tokens -----------------------------------------------------------------------

async def test_stored_tokens_info_flag():
    async with STORED.ws() as c:
        r = await c.request({"janus": "info"})
        assert r["auth_token"] is True and r["api_secret"] is False, r


async def test_stored_token_lifecycle():
    async with STORED.ws() as c:
        r = await c.request({"janus": "create"})
        check_error(r, 403, UNAUTHORIZED)
        r = await c.request({"janus": "create", "token": "tok-unknown"})
        check_error(r, 403)
        r = await STORED.admin({"janus": "add_token", "token": "tok1"})
        assert r.get("janus") == "success", r
        assert isinstance(r.get("data", {}).get("plugins"), list), r
        assert SYTEST in r["data"]["plugins"], r
        r = await STORED.admin({"janus": "list_tokens"})
        assert r.get("janus") == "success", r
        tokens = r["data"]["tokens"]
        assert any(isinstance(t, dict) and t.get("token") == "tok1" for t in tokens), r
        s = await c.create(token="tok1")
        h = await c.attach(s, token="tok1")
        r = await c.request({"janus": "keepalive", "session_id": s})
        check_error(r, 403)
        r = await c.request({"janus": "keepalive", "session_id": s, "token": "tok1"})
        assert r.get("janus") == "ack", r
        r = await c.message(s, h, {"request": "sync"}, token="tok1")
        assert r.get("janus") == "success", r
        r = await STORED.admin({"janus": "remove_token", "token": "tok1"})
        assert r.get("janus") == "success", r
        r = await c.request({"janus": "create", "token": "tok1"})
        check_error(r, 403)
        r = await c.request({"janus": "keepalive", "session_id": s, "token": "tok1"})
        check_error(r, 403)
        r = await STORED.admin({"janus": "list_tokens"})
        assert not any(t.get("token") == "tok1" for t in r["data"]["tokens"]), r


async def test_stored_token_plugin_restrictions():
    r = await STORED.admin({"janus": "add_token", "token": "tok2", "plugins": [SYTEST]})
    assert r.get("janus") == "success" and r["data"]["plugins"] == [SYTEST], r
    async with STORED.ws() as c:
        s = await c.create(token="tok2")
        await c.attach(s, token="tok2")
        r = await STORED.admin({"janus": "disallow_token", "token": "tok2", "plugins": [SYTEST]})
        assert r.get("janus") == "success", r
        r = await c.request({"janus": "attach", "session_id": s, "plugin": SYTEST, "token": "tok2"})
        check_error(r, 405, denied_plugin(SYTEST))
        r = await STORED.admin({"janus": "allow_token", "token": "tok2", "plugins": [SYTEST]})
        assert r.get("janus") == "success", r
        await c.attach(s, token="tok2")
        r = await STORED.admin({"janus": "allow_token", "token": "tok2", "plugins": []})
        check_error(r, 467, "Invalid element type (plugins should be a non-empty array)")
        # A token limited to another plugin, if this build has another one.
        info = await c.request({"janus": "info"})
        others = [p for p in info["plugins"] if p != SYTEST]
        if others:
            r = await STORED.admin({"janus": "add_token", "token": "tok3", "plugins": [others[0]]})
            assert r.get("janus") == "success", r
            s3 = await c.create(token="tok3")
            r = await c.request({"janus": "attach", "session_id": s3, "plugin": SYTEST, "token": "tok3"})
            check_error(r, 405, denied_plugin(SYTEST))


async def test_stored_token_over_http():
    r = await STORED.admin({"janus": "add_token", "token": "tok-http"})
    assert r.get("janus") == "success", r
    r = await STORED.post("", {"janus": "create"})
    check_error(r, 403)
    r = await STORED.post("", {"janus": "create", "token": "tok-http"})
    assert r.get("janus") == "success", r
    s = r["data"]["id"]
    for query in ("", "token=nope"):
        r = await STORED.longpoll(s, query)
        assert r.status == 403 and r.body == b"", f"GET ?{query}: {r}"
    r = await STORED.longpoll(s, "token=tok-http")
    assert r.status == 200 and r.json() == {"janus": "keepalive"}, r


# ---- signed tokens -----------------------------------------------------------------------

async def test_signed_token_valid():
    async with SIGNED.ws() as c:
        tok = signed()
        s = await c.create(token=tok)
        h = await c.attach(s, token=tok)
        r = await c.message(s, h, {"request": "sync"}, token=tok)
        assert r.get("janus") == "success", r
        r = await c.request({"janus": "keepalive", "session_id": s})
        check_error(r, 403)


async def test_signed_token_rejections():
    good = signed()
    data, sig = good.rsplit(":", 1)
    bad = {
        "expired": signed(expiry_in=-30),
        "wrong key": signed(key="not-the-key"),
        "tampered": data.replace(SYTEST, "janus.plugin.sytesx") + ":" + sig,
        "wrong realm": signed(realm="videoroom"),
        "no signature": data,
        "empty": "",
        "garbage": "a,b:c:d",
    }
    async with SIGNED.ws() as c:
        for what, tok in bad.items():
            r = await c.request({"janus": "create", "token": tok})
            assert r.get("janus") == "error" and r["error"]["code"] == 403, f"{what} token: {r}"


async def test_signed_token_plugin_not_listed():
    async with SIGNED.ws() as c:
        tok = signed(plugins=("janus.plugin.other",))
        s = await c.create(token=tok)
        r = await c.request({"janus": "attach", "session_id": s, "plugin": SYTEST, "token": tok})
        check_error(r, 405, denied_plugin(SYTEST))
        tok2 = signed(plugins=("janus.plugin.other", SYTEST))
        s2 = await c.create(token=tok2)
        await c.attach(s2, token=tok2)


async def test_videoroom_signed_tokens_room():
    """A VideoRoom room with signed_tokens: publisher and subscriber joins need a token
    signed with token_auth_secret for janus.plugin.videoroom that lists room=<id> (433
    otherwise); the core's own signed token travels at the top level as usual."""
    vr = "janus.plugin.videoroom"
    tok = signed(plugins=(vr,))
    room_tok = sy.sign_token(SIGN_KEY, time.time() + 600, vr, ("room=4242",))
    other_tok = sy.sign_token(SIGN_KEY, time.time() + 600, vr, ("room=4243",))
    async with SIGNED.ws() as c:
        s = await c.create(token=tok)
        h = await c.attach(s, plugin=vr, token=tok)
        r = await c.message(s, h, {"request": "create", "room": 4242, "signed_tokens": True}, token=tok)
        assert r["plugindata"]["data"].get("videoroom") == "created", r
        for what, body_tok in (("no token", None), ("another room's token", other_tok),
                               ("the core's token", tok)):
            for ptype in ("publisher", "subscriber"):
                body = {"request": "join", "ptype": ptype, "room": 4242, "streams": [{"feed": 1}]}
                if body_tok:
                    body["token"] = body_tok
                r = await c.message(s, h, body, token=tok)
                ev = r if r.get("janus") == "success" else await c.event("event", timeout=10, sender=h)
                d = ev["plugindata"]["data"]
                assert d.get("error_code") == 433, (what, ptype, d)
        r = await c.message(s, h, {"request": "join", "ptype": "publisher", "room": 4242,
                                   "token": room_tok}, token=tok)
        ev = r if r.get("janus") == "success" else await c.event("event", timeout=10, sender=h)
        assert ev["plugindata"]["data"].get("videoroom") == "joined", ev


async def test_signed_token_over_http():
    tok = signed()
    r = await SIGNED.post("", {"janus": "create", "token": tok})
    assert r.get("janus") == "success", r
    s = r["data"]["id"]
    r = await SIGNED.longpoll(s, "maxev=1")
    assert r.status == 403, r
    r = await SIGNED.longpoll(s, "token=" + urllib.parse.quote(tok, safe=""))
    assert r.status == 200 and r.json() == {"janus": "keepalive"}, r


async def test_signed_mode_disables_token_management():
    r = await SIGNED.admin({"janus": "add_token", "token": "stored"})
    assert r.get("janus") == "error", f"add_token must fail with signed tokens: {r}"
    async with SIGNED.ws() as c:
        r = await c.request({"janus": "create", "token": "stored"})
        check_error(r, 403)


# ---- either the secret or the token ------------------------------------------------------

async def test_secret_or_token_passes():
    r = await BOTH.admin({"janus": "add_token", "token": "tokb"})
    assert r.get("janus") == "success", r
    async with BOTH.ws() as c:
        r = await c.request({"janus": "create", "apisecret": API_SECRET})
        assert r.get("janus") == "success", f"secret alone: {r}"
        r = await c.request({"janus": "create", "token": "tokb"})
        assert r.get("janus") == "success", f"token alone: {r}"
        r = await c.request({"janus": "create", "apisecret": "wrong", "token": "tokb"})
        assert r.get("janus") == "success", f"token with a wrong secret: {r}"
        r = await c.request({"janus": "create"})
        check_error(r, 403)
        r = await c.request({"janus": "create", "apisecret": "wrong", "token": "wrong"})
        check_error(r, 403)


# ---- the whole matrix: every state-changing core and admin request -----------------------

ADMIN_VERBS = [
    ("", {"janus": "add_token", "token": "x"}), ("", {"janus": "remove_token", "token": "x"}),
    ("", {"janus": "allow_token", "token": "x", "plugins": [SYTEST]}),
    ("", {"janus": "disallow_token", "token": "x", "plugins": [SYTEST]}),
    ("", {"janus": "list_tokens"}), ("", {"janus": "get_status"}), ("", {"janus": "list_sessions"}),
    ("", {"janus": "set_log_level", "level": 7}), ("", {"janus": "set_session_timeout", "timeout": 1}),
    ("", {"janus": "accept_new_sessions", "accept": False}),
    ("", {"janus": "message_plugin", "plugin": SYTEST, "request": {"request": "sync"}}),
    ("/S", {"janus": "list_handles"}), ("/S", {"janus": "set_session_timeout", "timeout": 1}),
    ("/S", {"janus": "destroy_session"}), ("/S/H", {"janus": "handle_info"}),
    ("/S/H", {"janus": "hangup_webrtc"}), ("/S/H", {"janus": "detach_handle"}),
]


async def test_matrix_every_core_and_admin_request():
    """No credentials / wrong secret / wrong token / removed token / token for another
    plugin on every session and handle request -> 403 (405 for the plugin scope), with
    nothing changed; every admin request without or with a wrong admin_secret -> 403."""
    r = await BOTH.admin({"janus": "add_token", "token": "live"})
    assert r.get("janus") == "success", r
    r = await BOTH.admin({"janus": "add_token", "token": "gone"})
    r = await BOTH.admin({"janus": "add_token", "token": "other", "plugins": ["janus.plugin.echotest"]})
    assert r.get("janus") == "success", r
    async with BOTH.ws() as c:
        s = await c.create(token="live")
        h = await c.attach(s, token="live")
        r = await BOTH.admin({"janus": "remove_token", "token": "gone"})
        assert r.get("janus") == "success", r
        verbs = [
            {"janus": "create"},
            {"janus": "attach", "session_id": s, "plugin": SYTEST},
            {"janus": "message", "session_id": s, "handle_id": h, "body": {"request": "sync"}},
            {"janus": "trickle", "session_id": s, "handle_id": h, "candidate": {"completed": True}},
            {"janus": "hangup", "session_id": s, "handle_id": h},
            {"janus": "detach", "session_id": s, "handle_id": h},
            {"janus": "keepalive", "session_id": s},
            {"janus": "claim", "session_id": s},
            {"janus": "destroy", "session_id": s},
        ]
        creds = {"none": {}, "wrong secret": {"apisecret": "wrong"}, "wrong token": {"token": "nope"},
                 "removed token": {"token": "gone"}, "secret prefix": {"apisecret": API_SECRET[:-1]},
                 "empty": {"apisecret": "", "token": ""}}
        n = 0
        async with BOTH.ws() as other:
            for v in verbs:
                for what, cred in creds.items():
                    r = await other.request({**v, **cred})
                    assert r.get("janus") == "error" and r["error"]["code"] == 403, \
                        f"{v['janus']} with {what}: {r}"
                    n += 1
            # A token limited to another plugin cannot attach to this one.
            s2 = await other.create(token="other")
            r = await other.request({"janus": "attach", "session_id": s2, "plugin": SYTEST, "token": "other"})
            check_error(r, 405, denied_plugin(SYTEST))
        # Nothing changed: the session and handle are alive and still ours.
        r = await c.message(s, h, {"request": "sync"}, token="live")
        assert r.get("janus") == "success", r
        r = await c.request({"janus": "destroy", "session_id": s, "token": "live"})
        assert r.get("janus") == "success", r
        s = await c.create(token="live")
        h = await c.attach(s, token="live")
        m = 0
        for path, v in ADMIN_VERBS:
            path = path.replace("S", str(s)).replace("H", str(h))
            for secret in (None, "wrong", sy.ADMIN_SECRET[:-1], ""):
                msg = dict(v) if secret is None else {**v, "admin_secret": secret}
                r = await BOTH.admin(msg, path=path, secret=False)
                assert r.get("janus") == "error" and r["error"]["code"] == 403, \
                    f"admin {v['janus']} {path} with admin_secret={secret!r}: {r}"
                m += 1
        r = await c.message(s, h, {"request": "sync"}, token="live")
        assert r.get("janus") == "success", f"an unauthorized admin request changed something: {r}"
        r = await BOTH.admin({"janus": "get_status"})
        assert r["status"]["accepting_new_sessions"] is True and r["status"]["log_level"] != 7, r
    print(f"  {n} core and {m} admin refusals")


if __name__ == "__main__":
    sy.run(globals())
