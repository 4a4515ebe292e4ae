#!/usr/bin/env python3
"""Safe defaults of the control plane (issue 8 "Safe defaults"; security.md section 4):
the sample config listens on loopback only; an API listener beyond loopback without
api_secret or token_auth needs general.allow_unauthenticated_public (refused at start
without it, warned with it); wss/https reload their certificate on SIGHUP; WebSocket
upgrades check Origin against a list; permessage-deflate is not offered (so there is no
deflate bomb to defuse, security.md row 17)."""

import asyncio
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import sy
import websockets

CERT_DIR = tempfile.mkdtemp(prefix="sy-safe-")


def make_cert(name, cn):
    cert = os.path.join(CERT_DIR, f"{name}.pem")
    key = os.path.join(CERT_DIR, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={cn}"],
                   check=True, capture_output=True)
    return cert, key


# ---- the sample config listens on loopback -----------------------------------------------

def listening_sockets(pid):
    """(proto, local ip hex, port) of every listening TCP socket the process holds."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        with open(f"/proc/{pid}/net/{proto}") as fh:
            next(fh)
            for line in fh:
                f = line.split()
                ip, port = f[1].split(":")
                listening = f[3] == "0A" if proto.startswith("tcp") else True
                if f[9] in inodes and listening:
                    found.append((proto, ip, int(port, 16)))
    return found


def is_loopback_hex(ip):
    if len(ip) == 8:  # IPv4, little-endian hex
        return ip.endswith("7F")
    return ip in ("00000000000000000000000001000000",  # ::1
                  "0000000000000000FFFF00000100007F")


def test_sample_config_binds_loopback_only():
    """The shipped conf/ as is (no override): every listener on a loopback address."""
    for fname in (sy.WS_FILE, sy.HTTP_FILE):
        with open(os.path.join(sy.SOURCE_DIR, "conf", fname)) as fh:
            cfg = sy.parse_cfg(fh.read(), fname)
        for section, keys in cfg.items():
            for k, v in keys.items():
                if k.endswith("_ip") or k == "ip":
                    assert isinstance(v, str) and v.startswith("127."), f"conf/{fname} {section}.{k} = {v!r}"
    exe = os.path.join(sy.BUILD_DIR, "switchyard")
    plugins = os.path.join(sy.BUILD_DIR, "plugins")
    tmp = tempfile.mkdtemp(prefix="sy-sample-")
    log = open(os.path.join(tmp, "log"), "wb")
    proc = subprocess.Popen([exe, "-F", os.path.join(sy.SOURCE_DIR, "conf"), "-P", plugins],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp)
    try:
        deadline = time.monotonic() + sy.START_TIMEOUT
        for port in (8188, 8088, 7088):
            while True:
                assert proc.poll() is None, open(os.path.join(tmp, "log")).read()
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"port {port} never opened"
                    time.sleep(0.05)
        socks = listening_sockets(proc.pid)
        tcp = [s for s in socks if s[0].startswith("tcp")]
        assert {s[2] for s in tcp} >= {8188, 8088, 7088}, socks
        public = [s for s in tcp if not is_loopback_hex(s[1])]
        assert not public, f"the sample config listens beyond loopback: {public}"
        print(f"  sample config listeners: {sorted((s[0], s[2]) for s in tcp)}, all on loopback")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(sy.STOP_TIMEOUT)
        log.close()
        text = open(os.path.join(tmp, "log"), errors="replace").read()
        shutil.rmtree(tmp, ignore_errors=True)
    assert code == 0, f"exit {code}\n{text}"
    assert "allow_unauthenticated_public" not in text, text


# ---- a public API listener needs auth or an explicit setting ------------------------------

def test_public_listener_without_auth_refused():
    for kw, key in (({"ws": {"ws_ip": "0.0.0.0"}}, "general.ws_ip"),
                    ({"http": {"ip": "0.0.0.0"}}, "general.ip"),
                    ({"ws": {"ws_ip": "::"}}, "general.ws_ip")):
        srv = sy.Server("public_noauth", **kw)
        code, log = srv.run_expect_exit(timeout=10)
        assert code != 0, f"started with {kw} and no auth\n{log}"
        for word in (key, "not loopback", "api_secret", "token_auth", "allow_unauthenticated_public"):
            assert word in log, f"the refusal does not name {word!r}\n{log}"
        srv.cleanup()


async def test_public_listener_explicitly_allowed_warns():
    with sy.Server("public_allowed", general={"allow_unauthenticated_public": True},
                   ws={"ws_ip": "0.0.0.0"}) as srv:
        async with srv.ws() as c:
            r = await c.request({"janus": "create"})
            assert r.get("janus") == "success", r
        log = srv.log_text()
        assert "WARN" in log and "allow_unauthenticated_public" in log and "beyond loopback" in log, log


async def test_public_listener_with_auth_starts_quietly():
    for general in ({"api_secret": "pub-secret"}, {"token_auth": True}):
        with sy.Server("public_auth", general=general, ws={"ws_ip": "0.0.0.0"},
                       http={"ip": "0.0.0.0"}) as srv:
            async with srv.ws() as c:
                r = await c.request({"janus": "create"})
                assert r.get("janus") == "error" and r["error"]["code"] == 403, r
            assert "allow_unauthenticated_public" not in srv.log_text()


# ---- TLS certificate reload on SIGHUP ------------------------------------------------------

async def peer_cn(port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        pem = ssl.DER_cert_to_PEM_cert(der)
        out = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem.encode(),
                             capture_output=True, check=True).stdout.decode()
        return out.strip().split("CN", 1)[1].lstrip(" =")
    finally:
        writer.close()


async def wait_log(srv, text, timeout=10.0):
    deadline = time.monotonic() + timeout
    while text not in srv.log_text(tail=100000):
        assert time.monotonic() < deadline, f"{text!r} not in the log\n{srv.log_text()}"
        await asyncio.sleep(0.05)


async def test_sighup_reloads_certificate():
    old_cert, old_key = make_cert("old", "sy-old")
    new_cert, new_key = make_cert("new", "sy-new")
    live_cert, live_key = os.path.join(CERT_DIR, "live.pem"), os.path.join(CERT_DIR, "live.key")
    shutil.copy(old_cert, live_cert)
    shutil.copy(old_key, live_key)
    with sy.Server("sighup", certificates={"cert_pem": live_cert, "cert_key": live_key},
                   ws={"wss": True, "wss_ip": "127.0.0.1", "wss_port": 8990},
                   http={"https": True, "secure_port": 8090}) as srv:
        assert await peer_cn(8990) == "sy-old"
        assert await peer_cn(8090) == "sy-old"
        # A wss session open across the reload keeps working.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        async with websockets.connect("wss://127.0.0.1:8990/", subprotocols=["janus-protocol"],
                                      ssl=ctx, open_timeout=5) as ws:
            for src, dst in ((new_cert, live_cert), (new_key, live_key)):
                shutil.copy(src, dst + ".tmp")
                os.replace(dst + ".tmp", dst)
            srv.proc.send_signal(signal.SIGHUP)
            await wait_log(srv, "reloaded")
            assert await peer_cn(8990) == "sy-new"
            assert await peer_cn(8090) == "sy-new"
            await ws.send(json.dumps({"janus": "ping", "transaction": "x"}))
            r = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert r == {"janus": "pong", "transaction": "x"}, r
        # A broken file: an error in the log, and the listeners keep the certificate.
        with open(live_cert, "w") as fh:
            fh.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
        srv.proc.send_signal(signal.SIGHUP)
        await wait_log(srv, "keeping the current certificate")
        assert await peer_cn(8990) == "sy-new"
        # A key that does not match the certificate: refused the same way.
        shutil.copy(old_cert, live_cert)
        shutil.copy(new_key, live_key)
        n_before = srv.log_text(tail=100000).count("keeping the current certificate")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while srv.log_text(tail=100000).count("keeping the current certificate") == n_before:
            assert time.monotonic() < deadline, srv.log_text()
            await asyncio.sleep(0.05)
        assert await peer_cn(8090) == "sy-new"


# ---- Origin on WebSocket upgrades ----------------------------------------------------------

ORIGINS = sy.Server("origins", ws={"ws_port": 8191,
                                   "allowed_origin": "https://a.example, https://B.example:8443"},
                    http={"port": 8091}, http_admin={"admin_port": 7091})


async def origin_connect(srv, origin):
    srv.start()
    kw = {"origin": origin} if origin else {}
    try:
        async with websockets.connect(f"ws://127.0.0.1:{srv.ws_port}/", subprotocols=["janus-protocol"],
                                      open_timeout=5, compression=None, **kw) as ws:
            await ws.send(json.dumps({"janus": "ping", "transaction": "o"}))
            return json.loads(await asyncio.wait_for(ws.recv(), 5)).get("janus") == "pong"
    except (websockets.InvalidStatusCode, websockets.InvalidHandshake, ConnectionError):
        return False


async def test_origin_list():
    assert await origin_connect(ORIGINS, "https://a.example")
    assert await origin_connect(ORIGINS, "https://b.example:8443")  # case-insensitive
    assert await origin_connect(ORIGINS, None)  # not a browser: no cross-site hijack
    for bad in ("https://evil.example", "https://a.example.evil.example", "https://a.exampl",
                "http://a.example", "https://b.example", "null"):
        assert not await origin_connect(ORIGINS, bad), f"Origin {bad} was accepted"
    # Without the setting any Origin is accepted.
    assert await origin_connect(sy.Server("any_origin", ws={"ws_port": 8196}, http={"port": 8096},
                                          http_admin={"admin_port": 7086}), "https://evil.example")


# ---- no permessage-deflate -----------------------------------------------------------------

async def test_no_permessage_deflate():
    ORIGINS.start()
    async with websockets.connect(f"ws://127.0.0.1:{ORIGINS.ws_port}/", subprotocols=["janus-protocol"],
                                  open_timeout=5, compression="deflate") as ws:
        assert not ws.extensions, f"the server negotiated {ws.extensions}"
        ext = ws.response_headers.get("Sec-WebSocket-Extensions")
        assert not ext, f"the server answered Sec-WebSocket-Extensions: {ext}"
        await ws.send(json.dumps({"janus": "ping", "transaction": "d"}))
        r = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert r.get("janus") == "pong", r
    # A compressed frame (RSV1 set) without the extension is a protocol error: closed.
    reader, writer = await sy.tcp_open(ORIGINS.ws_port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                 b"Sec-WebSocket-Protocol: janus-protocol\r\n"
                 b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"permessage-deflate" not in head.lower(), head
    payload = b"\xf2\x48\xcd\xc9\xc9\x07\x00"  # deflate("Hello") without the tail
    mask = b"\x01\x02\x03\x04"
    frame = bytes([0xC1, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    writer.write(frame)
    data = await asyncio.wait_for(reader.read(64), 5)
    assert data[:1] == b"\x88" and int.from_bytes(data[2:4], "big") == 1002, \
        f"expected a close frame with 1002 (protocol error) for a compressed frame, got {data!r}"
    writer.close()
    assert await origin_connect(ORIGINS, None)


if __name__ == "__main__":
    sy.run(globals())
