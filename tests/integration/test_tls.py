#!/usr/bin/env python3
"""wss and https: the API over TLS when a certificate and key are configured, with
TLS 1.2 or newer and AEAD ciphers only (security.md 4)."""

import asyncio
import json
import os
import ssl
import subprocess
import tempfile
import warnings

import sy
import websockets

CERT_DIR = tempfile.mkdtemp(prefix="sy-tls-")
CERT = os.path.join(CERT_DIR, "cert.pem")
KEY = os.path.join(CERT_DIR, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", KEY, "-out", CERT, "-days", "2", "-subj", "/CN=127.0.0.1"],
               check=True, capture_output=True)

SERVER = sy.Server("tls", certificates={"cert_pem": CERT, "cert_key": KEY},
                   ws={"wss": True, "wss_ip": "127.0.0.1", "wss_port": 8989},
                   http={"https": True, "secure_port": 8089})


def client_ctx(maximum=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if maximum:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = maximum
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


async def https_get(path, ctx):
    reader, writer = await asyncio.open_connection("127.0.0.1", 8089, ssl=ctx)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 5)
        tls = writer.get_extra_info("ssl_object")
        return data.decode("utf-8", "replace"), tls.version(), tls.cipher()[0]
    finally:
        writer.close()


async def test_https_info_and_create():
    SERVER.start()
    text, version, cipher = await https_get("/janus/info", client_ctx())
    assert text.startswith("HTTP/1.1 200"), text[:200]
    body = json.loads(text.split("\r\n\r\n", 1)[1])
    assert body["janus"] == "server_info", body
    assert version in ("TLSv1.2", "TLSv1.3"), version
    assert "GCM" in cipher or "CHACHA20" in cipher, cipher


async def test_wss_session():
    SERVER.start()
    async with websockets.connect("wss://127.0.0.1:8989/", subprotocols=["janus-protocol"],
                                  ssl=client_ctx(), open_timeout=5) as ws:
        assert ws.subprotocol == "janus-protocol"
        await ws.send(json.dumps({"janus": "create", "transaction": "t1"}))
        r = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert r["janus"] == "success" and r["transaction"] == "t1", r
        sy.check_id(r["data"]["id"])


async def test_old_tls_refused():
    SERVER.start()
    warnings.simplefilter("ignore", DeprecationWarning)
    # Control: this client can speak TLS 1.1 to a server that allows it, so a failure
    # below is Switchyard's refusal, not the client's.
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.minimum_version = ssl.TLSVersion.TLSv1
    sctx.set_ciphers("ALL:@SECLEVEL=0")
    sctx.load_cert_chain(CERT, KEY)

    async def serve(reader, writer):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()
    control = await asyncio.start_server(serve, "127.0.0.1", 18443, ssl=sctx)
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", 18443, ssl=client_ctx(maximum=ssl.TLSVersion.TLSv1_1))
        assert writer.get_extra_info("ssl_object").version() == "TLSv1.1"
        writer.close()
    finally:
        control.close()
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        try:
            await https_get("/janus/info", client_ctx(maximum=old))
        except (ssl.SSLError, ConnectionError, OSError, asyncio.IncompleteReadError):
            continue
        raise AssertionError(f"a {old.name} handshake succeeded")


if __name__ == "__main__":
    sy.run(globals())
