"""Shared harness for Switchyard's integration tests (stdlib + python3-websockets).

A test file defines plain functions test_* (sync or async), in the order they should
run, and ends with:

    if __name__ == "__main__":
        sy.run(globals())

Servers: sy.Server(general={...}, http={...}, ws={...}, ...) describes a server with a
private config folder (conf/*.jcfg of the source tree with the given keys overridden)
and a private plugins folder (the built product plugins plus the test plugins). It
starts on first use; sy.run() stops every server at the end and counts an unclean
exit (non-zero code, sanitizer report, no exit within 10 s) as a failed test. A test
may also use a server as a context manager (`with sy.Server(...) as s:`): it stops,
and is checked, when the block ends.

Environment (set by ctest): SY_BUILD_DIR, SY_SOURCE_DIR, SY_SANITIZE. Run by hand,
a test file re-executes itself inside a fresh network namespace (run_netns.sh), with
SY_BUILD_DIR defaulting to <source>/build. Extra arguments select tests by substring:
    python3 tests/integration/test_api_ws.py info trickle
"""

import asyncio
import base64
import hashlib
import hmac
import inspect
import itertools
import json
import os
import shlex
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("SY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BUILD_DIR = os.environ.get("SY_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
SANITIZE = os.environ.get("SY_SANITIZE", "0").lower() in ("1", "on", "true", "yes")

SYTEST = "janus.plugin.sytest"
ADMIN_SECRET = "sytest-admin-secret"
SAMPLE_ADMIN_SECRET = "switchyardoverlord"
MAX_ID = 2**53  # IDs are masked to 53 bits: 0 < id < MAX_ID

CORE_FILE = "switchyard.jcfg"
WS_FILE = "switchyard.transport.websockets.jcfg"
HTTP_FILE = "switchyard.transport.http.jcfg"

# Startup is slower under the sanitizers.
START_TIMEOUT = 30.0 if SANITIZE else 15.0
STOP_TIMEOUT = 10.0
DEFAULT_TEST_TIMEOUT = 90.0


# --------------------------------------------------------------------------------------
# libconfig (.jcfg) reading and writing
# --------------------------------------------------------------------------------------

class ConfigSyntaxError(Exception):
    pass


class _CfgParser:
    """Parses libconfig text into dicts (groups), lists ([arrays]) and tuples ((lists))."""

    _token_re = re.compile(r"""
        (?P<ws>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<float>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)|[-+]?(?:\d+\.\d*|\.\d+))
      | (?P<hex>0[xX][0-9a-fA-F]+L{0,2})
      | (?P<int>[-+]?\d+L{0,2})
      | (?P<name>[A-Za-z*][-A-Za-z0-9_*]*)
      | (?P<punct>[=:;,{}\[\]()])
      | (?P<include>@include)
    """, re.X | re.S)

    def __init__(self, text, where):
        self.where = where
        self.toks = []
        pos = 0
        while pos < len(text):
            m = self._token_re.match(text, pos)
            if not m:
                raise ConfigSyntaxError(f"{where}: cannot parse near {text[pos:pos + 30]!r}")
            pos = m.end()
            kind = m.lastgroup
            if kind == "ws":
                continue
            if kind == "include":
                raise ConfigSyntaxError(f"{where}: @include is not supported by the test harness")
            self.toks.append((kind, m.group(kind)))
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1] != value):
            raise ConfigSyntaxError(f"{self.where}: expected {value!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def settings(self, closing):
        out = {}
        while True:
            kind, val = self.peek()
            if kind is None and closing is None:
                return out
            if kind == "punct" and val == closing:
                self.take()
                return out
            if kind != "name":
                raise ConfigSyntaxError(f"{self.where}: expected a setting name, got {val!r}")
            self.take()
            sep = self.take()[1]
            if sep not in ("=", ":"):
                raise ConfigSyntaxError(f"{self.where}: expected = or : after {val}")
            out[val] = self.value()
            if self.peek() in (("punct", ";"), ("punct", ",")):
                self.take()

    def value(self):
        kind, val = self.take()
        if kind == "punct" and val == "{":
            return self.settings("}")
        if kind == "punct" and val in "[(":
            close = "]" if val == "[" else ")"
            items = []
            while self.peek() != ("punct", close):
                items.append(self.value())
                if self.peek() == ("punct", ","):
                    self.take()
            self.take(close)
            return items if val == "[" else tuple(items)
        if kind == "string":
            parts = [_unquote(val)]
            while self.peek()[0] == "string":
                parts.append(_unquote(self.take()[1]))
            return "".join(parts)
        if kind == "int":
            return int(val.rstrip("L"))
        if kind == "hex":
            return int(val.rstrip("L"), 16)
        if kind == "float":
            return float(val)
        if kind == "name" and val.lower() in ("true", "false"):
            return val.lower() == "true"
        raise ConfigSyntaxError(f"{self.where}: unexpected {val!r}")


def _unquote(tok):
    body = tok[1:-1]
    out, i = [], 0
    esc = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "\\": "\\", '"': '"'}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n == "x" and i + 3 < len(body):
                out.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append(esc.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_cfg(text, where="<config>"):
    return _CfgParser(text, where).settings(None)


def _cfg_value(v, indent):
    pad = "  " * indent
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v) + ("L" if not -2**31 <= v < 2**31 else "")
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, dict):
        inner = "".join(f"{pad}  {k} = {_cfg_value(x, indent + 1)};\n" for k, x in v.items())
        return "{\n" + inner + pad + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_cfg_value(x, indent) for x in v) + "]"
    if isinstance(v, tuple):
        return "(" + ", ".join(_cfg_value(x, indent) for x in v) + ")"
    raise TypeError(f"cannot write {v!r} to a config file")


def dump_cfg(settings):
    return "".join(f"{k} = {_cfg_value(v, 0)};\n" for k, v in settings.items())


def merge_cfg(base, over):
    """Overrides keys of base (nested dicts merge; None deletes a key)."""
    for k, v in over.items():
        if v is None:
            base.pop(k, None)
        elif isinstance(v, dict) and isinstance(base.get(k), dict):
            merge_cfg(base[k], v)
        else:
            base[k] = v
    return base


# --------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------

_servers = []      # every Server made, for the final shutdown check
_touched = []      # servers used by the running test (their logs print on failure)


def _touch(srv):
    if srv not in _touched:
        _touched.append(srv)


def run_loadgen(server, *args, timeout=240, setup_timeout=30):
    """Runs tools/loadgen against a started server (its WebSocket API, 127.0.0.1 ICE, the
    server's PID for CPU/RSS) with args; returns (its JSON result, its text output).
    The setup timeout is doubled under the sanitizers."""
    server.start()
    loadgen = os.path.join(BUILD_DIR, "tools", "loadgen")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        cmd = [loadgen, "--url", f"ws://127.0.0.1:{server.ws_port}/", "--ice-ip", "127.0.0.1",
               "--server-pid", str(server.proc.pid), "--json", out, "--quiet",
               "--setup-timeout", str(setup_timeout * (2 if SANITIZE else 1)), *args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        text = p.stdout.decode(errors="replace")
        assert p.returncode == 0, f"loadgen exited with {p.returncode}\n{text}"
        with open(out) as f:
            return json.load(f), text


class ServerError(AssertionError):
    pass


# Per-address limits of both transports for test servers (see Server).
TEST_PEER_LIMITS = {"max_connections_per_address": 100000,
                    "requests_per_second_per_address": 1000000,
                    "request_burst_per_address": 1000000}


class Server:
    """One switchyard process with its own config and plugins folders.

    Keyword arguments name config sections to override:
      general, certificates, plugins_cfg -> switchyard.jcfg general / certificates / plugins
      ws, ws_admin                       -> switchyard.transport.websockets.jcfg general / admin
      http, http_admin, cors             -> switchyard.transport.http.jcfg general / admin / cors
      files={name: {section: {key: value}}}  any other file
      raw={name: "text"}                 a file written verbatim (after the overrides)
      args=[...]                         extra command-line options
    A value of None removes the key. Unless a test sets them, every server gets
    admin_secret=ADMIN_SECRET, listeners on 127.0.0.1, html_folder=<source>/html and
    TEST_PEER_LIMITS (tests drive many connections and requests from loopback; the
    limits still run, far above what a test does; test_peer_limits.py sets its own).
    """

    _counter = itertools.count(1)

    def __init__(self, name=None, *, general=None, certificates=None, plugins_cfg=None,
                 ws=None, ws_admin=None, http=None, http_admin=None, cors=None,
                 files=None, raw=None, args=None, debug_level=4, html_folder=None):
        self.name = name or f"server{next(self._counter)}"
        self.overrides = {
            CORE_FILE: {"general": {"admin_secret": ADMIN_SECRET}},
            WS_FILE: {"general": {"ws_ip": "127.0.0.1", **TEST_PEER_LIMITS}},
            HTTP_FILE: {"general": {"ip": "127.0.0.1",
                                    "html_folder": html_folder or os.path.join(SOURCE_DIR, "html"),
                                    **TEST_PEER_LIMITS}},
        }
        for fname, section, val in ((CORE_FILE, "general", general),
                                    (CORE_FILE, "certificates", certificates),
                                    (CORE_FILE, "plugins", plugins_cfg),
                                    (WS_FILE, "general", ws), (WS_FILE, "admin", ws_admin),
                                    (HTTP_FILE, "general", http), (HTTP_FILE, "admin", http_admin),
                                    (HTTP_FILE, "cors", cors)):
            if val is not None:
                merge_cfg(self.overrides.setdefault(fname, {}), {section: val})
        for fname, sections in (files or {}).items():
            merge_cfg(self.overrides.setdefault(fname, {}), sections)
        self.raw = raw or {}
        self.args = list(args or [])
        self.debug_level = debug_level
        self.proc = None
        self.tmp = None
        self.log_path = None
        self.returncode = None
        self.checked = False
        self.cfg = {}
        _servers.append(self)

    # ---- config ----------------------------------------------------------------------

    def _write_config(self):
        self.tmp = tempfile.mkdtemp(prefix=f"sy-{self.name}-")
        self.conf_dir = os.path.join(self.tmp, "conf")
        self.plugins_dir = os.path.join(self.tmp, "plugins")
        os.makedirs(self.conf_dir)
        os.makedirs(self.plugins_dir)
        src_conf = os.path.join(SOURCE_DIR, "conf")
        files = {}
        if os.path.isdir(src_conf):
            for f in sorted(os.listdir(src_conf)):
                if f.endswith(".jcfg"):
                    path = os.path.join(src_conf, f)
                    with open(path) as fh:
                        files[f] = fh.read()
        for f in set(self.overrides) | set(files):
            text = files.get(f, "")
            if f in self.overrides:
                settings = parse_cfg(text, f"conf/{f}")
                merge_cfg(settings, self.overrides[f])
                self.cfg[f] = settings
                text = dump_cfg(settings)
            else:
                self.cfg[f] = None
            with open(os.path.join(self.conf_dir, f), "w") as fh:
                fh.write(text)
        for f, text in self.raw.items():
            with open(os.path.join(self.conf_dir, f), "w") as fh:
                fh.write(text)
        for d in (os.path.join(BUILD_DIR, "plugins"), os.path.join(BUILD_DIR, "tests", "plugins")):
            if os.path.isdir(d):
                for so in sorted(os.listdir(d)):
                    if so.endswith(".so"):
                        link = os.path.join(self.plugins_dir, so)
                        if not os.path.exists(link):
                            os.symlink(os.path.join(d, so), link)

    def _get(self, fname, section, key, default):
        v = (self.cfg.get(fname) or {}).get(section, {}).get(key, default)
        return v

    def _arg(self, opt):
        for i, a in enumerate(self.args):
            if a == opt and i + 1 < len(self.args):
                return self.args[i + 1]
            if a.startswith(opt + "="):
                return a.split("=", 1)[1]
        return None

    def _port(self, fname, section, enable_key, enable_default, port_key, port_default, cli):
        enabled = self._get(fname, section, enable_key, enable_default)
        port = self._get(fname, section, port_key, port_default)
        arg = self._arg(cli)
        if arg is not None:
            port = int(arg)
            enabled = enabled and port != 0
        return port if enabled and port else None

    def _ports(self):
        self.ws_port = self._port(WS_FILE, "general", "ws", True, "ws_port", 8188, "--ws-port")
        self.http_port = self._port(HTTP_FILE, "general", "http", True, "port", 8088, "--http-port")
        self.admin_http_port = self._port(HTTP_FILE, "admin", "admin_http", True, "admin_port", 7088,
                                          "--admin-http-port")
        self.admin_ws_port = self._port(WS_FILE, "admin", "admin_ws", False, "admin_ws_port", 7188,
                                        "--admin-ws-port")
        self.base_path = self._get(HTTP_FILE, "general", "base_path", "/janus")
        self.admin_base_path = self._get(HTTP_FILE, "admin", "admin_base_path", "/admin")

    # ---- process ---------------------------------------------------------------------

    def command(self):
        # The binary runs through a symlink with its own name, so that a broad
        # "pkill switchyard" by someone else on the machine does not hit test servers.
        exe = os.path.join(self.tmp, "sy-testsrv")
        if not os.path.exists(exe):
            os.symlink(os.path.join(BUILD_DIR, "switchyard"), exe)
        # SY_SERVER_WRAPPER runs the server under a profiler, e.g.
        # "valgrind --tool=callgrind --toggle-collect=ice_recv".
        wrapper = shlex.split(os.environ.get("SY_SERVER_WRAPPER", ""))
        return wrapper + [exe, "-F", self.conf_dir, "-P", self.plugins_dir,
                          "-d", str(self.debug_level)] + self.args

    def _spawn(self):
        self._write_config()
        self._ports()
        self.log_path = os.path.join(self.tmp, "server.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.tmp)
        self.checked = False
        self.returncode = None

    def start(self):
        """Starts the server and waits until every enabled listener accepts connections."""
        _touch(self)
        if self.proc is not None and self.proc.poll() is None:
            return self
        if self.proc is not None:
            raise ServerError(f"{self.name} already exited with {self.proc.returncode} before this "
                              "test (a crash, or killed from outside?)\n" + self.log_text())
        self._spawn()
        ports = [p for p in (self.ws_port, self.http_port, self.admin_http_port, self.admin_ws_port) if p]
        deadline = time.monotonic() + START_TIMEOUT
        pending = list(ports)
        while pending:
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                self.checked = True
                raise ServerError(f"{self.name} exited with {self.returncode} during startup\n"
                                  + self.log_text())
            port = pending[0]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    pending.pop(0)
                    continue
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"{self.name}: port {port} not accepting after {START_TIMEOUT} s\n"
                                  + self.log_text())
            time.sleep(0.05)
        return self

    def run_expect_exit(self, timeout=10.0):
        """Starts the server expecting it to exit by itself; returns (code, log text)."""
        _touch(self)
        self._spawn()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.checked = True
            raise ServerError(f"{self.name} did not exit within {timeout} s\n" + self.log_text())
        self.returncode = self.proc.returncode
        self.checked = True
        self._log.close()
        return self.returncode, self.log_text()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM; the server must exit 0 within 10 s with no sanitizer report."""
        if self.proc is None or self.checked:
            return
        self.checked = True
        _touch(self)
        if self.proc.poll() is not None:
            self.returncode = self.proc.returncode
            raise ServerError(f"{self.name} had already exited with {self.returncode} before the "
                              "end of the test (crash?)\n" + self.log_text())
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise ServerError(f"{self.name} did not exit within {STOP_TIMEOUT} s of SIGTERM\n"
                              + self.log_text())
        finally:
            self._log.close()
        log = self.log_text()
        if self.returncode != 0:
            raise ServerError(f"{self.name} exited with {self.returncode} after SIGTERM (expected 0)\n"
                              + log)
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "WARNING: ThreadSanitizer"):
            if marker in log:
                raise ServerError(f"{self.name}: sanitizer report in the log ({marker})\n" + log)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.checked = True

    def cleanup(self):
        if self.tmp and not os.environ.get("SY_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def rss_kib(self):
        """The running server's VmRSS in KiB (from /proc)."""
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def fd_count(self):
        """How many file descriptors the running server has open."""
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def log_text(self, tail=400):
        try:
            with open(self.log_path, "rb") as fh:
                lines = fh.read().decode("utf-8", "replace").splitlines()
        except (OSError, TypeError):
            return "(no log)"
        cut = len(lines) > tail
        lines = lines[-tail:]
        head = f"----- {self.name} log" + (f" (last {tail} lines)" if cut else "") + " -----"
        return "\n".join([head] + lines + [f"----- end of {self.name} log -----"])

    def __enter__(self):
        return self.start()

    def __exit__(self, et, ev, tb):
        if et is not None:
            self.kill()
            return False
        self.stop()
        return False

    # ---- clients ---------------------------------------------------------------------

    def ws(self, subprotocol="janus-protocol", port=None, **kw):
        self.start()
        return WSClient(f"ws://127.0.0.1:{port or self.ws_port}/", subprotocol, **kw)

    def admin_ws(self, **kw):
        self.start()
        return WSClient(f"ws://127.0.0.1:{self.admin_ws_port}/", "janus-admin-protocol", **kw)

    async def http(self, method, path, body=None, **kw):
        """HTTP request to the API listener; path is absolute ('/janus/...')."""
        self.start()
        return await http_request(self.http_port, method, path, body, **kw)

    async def admin_http(self, method, path, body=None, **kw):
        self.start()
        return await http_request(self.admin_http_port, method, path, body, **kw)

    async def post(self, path, msg, **kw):
        """POST a Janus request (a transaction is added) to base_path + path; returns the
        parsed JSON reply after checking HTTP 200 and the JSON content type."""
        self.start()
        msg = with_tx(msg)
        r = await self.http("POST", self.base_path + path, msg, **kw)
        return r.janus_json(msg)

    async def admin(self, msg, path="", secret=True, **kw):
        """POST an admin request to admin_base_path + path (admin_secret added)."""
        self.start()
        msg = with_tx(msg)
        if secret and "admin_secret" not in msg:
            msg["admin_secret"] = ADMIN_SECRET
        r = await self.admin_http("POST", self.admin_base_path + path, msg, **kw)
        return r.janus_json(msg)

    async def longpoll(self, session_id, query="", timeout=15.0):
        self.start()
        sep = "?" if query else ""
        return await self.http("GET", f"{self.base_path}/{session_id}{sep}{query}", timeout=timeout)

    async def session_count(self):
        r = await self.admin({"janus": "list_sessions"})
        assert r.get("janus") == "success", r
        return len(r["sessions"])


# --------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------

_tx_counter = itertools.count(1)


def tx():
    return f"tx-{os.getpid()}-{next(_tx_counter)}"


def with_tx(msg):
    if isinstance(msg, dict):
        msg = dict(msg)
        msg.setdefault("transaction", tx())
    return msg


def _short(m, limit=600):
    s = m if isinstance(m, str) else json.dumps(m)
    return s if len(s) <= limit else s[:limit] + "..."


class WSClient:
    """A WebSocket API client: `async with srv.ws() as c:`."""

    def __init__(self, url, subprotocol, open_timeout=5, max_size=None):
        self.url = url
        self.subprotocol = subprotocol
        self.open_timeout = open_timeout
        self.max_size = max_size
        self.ws = None
        self.msgs = []        # every parsed message received, in order
        self.raw = []         # every frame received (text)
        self._used = set()    # indexes of messages already returned by wait()
        self._changed = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code = None
        self._reader = None

    async def connect(self):
        self.ws = await websockets.connect(
            self.url, subprotocols=[self.subprotocol] if self.subprotocol else None,
            open_timeout=self.open_timeout, close_timeout=2, ping_interval=None,
            max_size=self.max_size, compression=None)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    async def __aenter__(self):
        return await self.connect()

    async def __aexit__(self, *exc):
        await self.close()

    async def _read(self):
        try:
            async for frame in self.ws:
                if isinstance(frame, bytes):
                    frame = frame.decode("utf-8", "replace")
                self.raw.append(frame)
                try:
                    self.msgs.append(json.loads(frame))
                except ValueError:
                    self.msgs.append({"__unparsable__": frame})
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # noqa: BLE001 - recorded for the test to see
            self.msgs.append({"__reader_error__": repr(e)})
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()
            self._changed.set()

    async def send(self, msg):
        """Sends a dict as JSON, or a str/bytes/iterable (fragments) as is."""
        if isinstance(msg, dict):
            msg = json.dumps(msg)
        await self.ws.send(msg)

    async def wait(self, pred, timeout=5.0, what="a matching message"):
        """Returns the first message not yet returned that satisfies pred."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.msgs):
                if i not in self._used and pred(m):
                    self._used.add(i)
                    return m
            if self.closed.is_set():
                raise AssertionError(f"connection closed (code {self.close_code}) while waiting for "
                                     f"{what}; unclaimed messages: {self.pending()}")
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; "
                                     f"unclaimed messages: {self.pending()}")
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    def pending(self):
        return [_short(m) for i, m in enumerate(self.msgs) if i not in self._used]

    async def request(self, msg, timeout=5.0):
        """Sends msg (a transaction is added) and returns the first message carrying
        the same transaction."""
        msg = with_tx(msg)
        await self.send(msg)
        t = msg.get("transaction")
        return await self.wait(lambda m: m.get("transaction") == t, timeout,
                               f"the reply to {_short(msg, 200)}")

    async def event(self, janus="event", timeout=5.0, **fields):
        """Waits for a message with this janus value and these top-level field values
        (pass transaction=None to require that no transaction is present)."""
        def pred(m):
            if m.get("janus") != janus:
                return False
            for k, v in fields.items():
                if v is None:
                    if k in m:
                        return False
                elif m.get(k) != v:
                    return False
            return True
        return await self.wait(pred, timeout, f"a '{janus}' message with {fields}")

    async def expect_nothing(self, pred=lambda m: True, duration=1.0, what="message"):
        """Asserts that no unclaimed message satisfying pred arrives within duration."""
        await asyncio.sleep(duration)
        bad = [m for i, m in enumerate(self.msgs) if i not in self._used and pred(m)]
        assert not bad, f"unexpected {what}: {[_short(m) for m in bad]}"

    async def wait_closed(self, timeout=5.0):
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"connection not closed by the server within {timeout} s") from None
        return self.close_code

    async def close(self):
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:  # noqa: BLE001
                self.abort()
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 3)
            except Exception:  # noqa: BLE001
                self._reader.cancel()

    def abort(self):
        """Drops the TCP connection without a closing handshake."""
        if self.ws is not None and self.ws.transport is not None:
            self.ws.transport.abort()

    # ---- Janus helpers ---------------------------------------------------------------

    async def create(self, **extra):
        r = await self.request({"janus": "create", **extra})
        assert r.get("janus") == "success", f"create failed: {r}"
        sid = r["data"]["id"]
        check_id(sid)
        return sid

    async def attach(self, session_id, plugin=SYTEST, **extra):
        r = await self.request({"janus": "attach", "session_id": session_id, "plugin": plugin, **extra})
        assert r.get("janus") == "success", f"attach failed: {r}"
        hid = r["data"]["id"]
        check_id(hid)
        return hid

    async def session_handle(self, **extra):
        s = await self.create(**extra)
        h = await self.attach(s, **extra)
        return s, h

    async def message(self, s, h, body, jsep=None, **extra):
        msg = {"janus": "message", "session_id": s, "handle_id": h, "body": body, **extra}
        if jsep is not None:
            msg["jsep"] = jsep
        return await self.request(msg)


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.header_list = headers
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise AssertionError(f"HTTP {self.status}: body is not JSON: {self.body[:300]!r}") from None

    def janus_json(self, request=None):
        """Checks what every Janus POST reply must be (HTTP 200, JSON content type) and
        returns the parsed body."""
        what = f" to {_short(request, 200)}" if request is not None else ""
        assert self.status == 200, f"HTTP {self.status}{what} (expected 200): {self.body[:300]!r}"
        ctype = self.headers.get("content-type", "")
        assert ctype.split(";")[0].strip().lower() == "application/json", \
            f"Content-Type {ctype!r}{what} (expected application/json)"
        return self.json()

    def __repr__(self):
        return f"<HTTP {self.status} {self.headers} {self.body[:200]!r}>"


async def http_request(port, method, path, body=None, headers=None, timeout=5.0, raw=None):
    """A small HTTP/1.1 client (one request per connection). body: dict/list -> JSON,
    str/bytes as is. raw: bytes sent instead of a generated request."""
    async def go():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            if raw is not None:
                data = raw
            else:
                payload = b""
                hdrs = {"Host": f"127.0.0.1:{port}", "Connection": "close"}
                if body is not None:
                    if isinstance(body, (dict, list)):
                        payload = json.dumps(body).encode()
                        hdrs["Content-Type"] = "application/json"
                    else:
                        payload = body.encode() if isinstance(body, str) else body
                    hdrs["Content-Length"] = str(len(payload))
                elif method in ("POST", "PUT", "PATCH"):
                    hdrs["Content-Length"] = "0"
                for k, v in (headers or {}).items():
                    for hk in list(hdrs):
                        if hk.lower() == k.lower():
                            del hdrs[hk]
                    if v is not None:
                        hdrs[k] = v
                head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
                data = head.encode() + b"\r\n" + payload
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionResetError, BrokenPipeError):
                pass  # the server may answer (413) and close before reading everything
            return await _read_response(reader, method)
        finally:
            writer.close()
    try:
        return await asyncio.wait_for(go(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"HTTP {method} {path[:100]}: no response within {timeout} s") from None


async def _read_response(reader, method):
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as e:
            raise AssertionError(f"connection closed before a complete HTTP response "
                                 f"(got {e.partial[:200]!r})") from None
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.append((k.strip(), v.strip()))
        if status != 100:
            break
    h = {k.lower(): v for k, v in headers}
    if method == "HEAD" or status in (204, 304):
        body = b""
    elif "chunked" in h.get("transfer-encoding", "").lower():
        body = b""
        while True:
            size_line = await reader.readline()
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    elif "content-length" in h:
        body = await reader.readexactly(int(h["content-length"]))
    else:
        body = await reader.read()
    return Response(status, reason, headers, body)


async def tcp_open(port):
    return await asyncio.open_connection("127.0.0.1", port)


async def wait_eof(reader, timeout):
    """True if the peer closes the connection within timeout seconds."""
    try:
        while True:
            data = await asyncio.wait_for(reader.read(65536), timeout)
            if not data:
                return True
    except (asyncio.TimeoutError,):
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


# --------------------------------------------------------------------------------------
# Assertions and protocol helpers
# --------------------------------------------------------------------------------------

def check_id(x, what="id"):
    assert isinstance(x, int) and not isinstance(x, bool), f"{what} {x!r} is not a JSON integer"
    assert 0 < x < MAX_ID, f"{what} {x} is not in 1..2^53-1"


def check_keys(msg, required=(), forbidden=(), exact=None):
    if exact is not None:
        assert set(msg) == set(exact), f"keys {sorted(msg)} != expected {sorted(exact)}: {_short(msg)}"
    for k in required:
        assert k in msg, f"missing '{k}' in {_short(msg)}"
    for k in forbidden:
        assert k not in msg, f"unexpected '{k}' in {_short(msg)}"


def check_error(msg, code, reason=None, transaction=None, session_id=None, reason_contains=None):
    assert msg.get("janus") == "error", f"expected error {code}, got {_short(msg)}"
    err = msg.get("error")
    assert isinstance(err, dict), f"error member missing or not an object: {_short(msg)}"
    assert err.get("code") == code, f"expected error code {code}, got {_short(msg)}"
    assert isinstance(err.get("reason"), str) and err["reason"], f"no reason string: {_short(msg)}"
    if reason is not None:
        assert err["reason"] == reason, f"reason {err['reason']!r} != {reason!r}"
    if reason_contains is not None:
        assert reason_contains in err["reason"], f"reason {err['reason']!r} lacks {reason_contains!r}"
    if transaction is not None:
        assert msg.get("transaction") == transaction, f"transaction not echoed: {_short(msg)}"
    if session_id is not None:
        assert msg.get("session_id") == session_id, f"session_id {session_id} missing: {_short(msg)}"
    return err


def check_success(msg, request=None):
    assert msg.get("janus") == "success", f"expected success, got {_short(msg)}"
    if request is not None:
        assert msg.get("transaction") == request.get("transaction")
    return msg


def sign_token(secret, expiry, realm="janus", plugins=(SYTEST,)):
    """A signed token as token_auth_secret expects:
    <expiry>,<realm>,<plugin>...:<base64 HMAC-SHA1 of the part before the colon>."""
    data = ",".join([str(int(expiry)), realm] + list(plugins))
    sig = base64.b64encode(hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()).decode()
    return f"{data}:{sig}"


def offer_sdp():
    """A plausible browser audio offer (for jsep plumbing tests; no media flows)."""
    return ("v=0\r\n"
            "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
            "s=-\r\n"
            "t=0 0\r\n"
            "a=group:BUNDLE 0\r\n"
            "a=msid-semantic: WMS\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            "a=rtcp:9 IN IP4 0.0.0.0\r\n"
            "a=ice-ufrag:sYtE\r\n"
            "a=ice-pwd:sytestsytestsytestsytest\r\n"
            "a=ice-options:trickle\r\n"
            "a=fingerprint:sha-256 "
            "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"
            "a=setup:actpass\r\n"
            "a=mid:0\r\n"
            "a=sendrecv\r\n"
            "a=rtcp-mux\r\n"
            "a=rtpmap:111 opus/48000/2\r\n"
            "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
            "a=ssrc:1001 cname:sytest\r\n")


def timeout(seconds):
    """Decorator: a per-test time limit (default DEFAULT_TEST_TIMEOUT)."""
    def deco(fn):
        fn.sy_timeout = seconds
        return fn
    return deco


# --------------------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------------------

def _reexec_in_netns():
    if os.environ.get("SY_NETNS") == "1":
        return
    script = os.path.abspath(sys.argv[0])
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    os.environ.setdefault("SY_SOURCE_DIR", SOURCE_DIR)
    os.environ.setdefault("SY_BUILD_DIR", BUILD_DIR)
    runner = os.path.join(HERE, "run_netns.sh")
    os.execv(runner, [runner, py, script] + sys.argv[1:])


def _format_exc(e):
    """The traceback without the frames of the runner and asyncio."""
    tb = traceback.TracebackException(type(e), e, e.__traceback__)
    tb.stack = traceback.StackSummary.from_list(
        [f for f in tb.stack if "/asyncio/" not in f.filename and f.name != "run"])
    return "".join(tb.format()).rstrip()


def _print_logs(servers):
    for srv in servers:
        if srv.log_path:
            print(srv.log_text(), flush=True)


def run(ns):
    """Runs the test_* functions of a module namespace in order; prints PASS/FAIL per
    test and a final 'N passed, M failed' line; exits 1 on any failure."""
    _reexec_in_netns()
    if not os.access(os.path.join(BUILD_DIR, "switchyard"), os.X_OK):
        print(f"FAIL setup: {BUILD_DIR}/switchyard does not exist (build first)")
        print("0 passed, 1 failed")
        sys.exit(1)
    selectors = sys.argv[1:]
    tests = [(n, f) for n, f in ns.items()
             if n.startswith("test_") and callable(f) and getattr(f, "__module__", None) == ns["__name__"]
             and (not selectors or any(s in n for s in selectors))]
    passed = failed = 0
    print(f"# {os.path.basename(sys.argv[0])}: {len(tests)} tests, build {BUILD_DIR}, "
          f"sanitizers {'on' if SANITIZE else 'off'}", flush=True)
    for name, fn in tests:
        _touched.clear()
        t0 = time.monotonic()
        limit = getattr(fn, "sy_timeout", DEFAULT_TEST_TIMEOUT)
        try:
            if inspect.iscoroutinefunction(fn):
                asyncio.run(asyncio.wait_for(fn(), limit))
            else:
                fn()
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # noqa: BLE001
            failed += 1
            if isinstance(e, asyncio.TimeoutError):
                msg = f"test exceeded its time limit of {limit} s"
            else:
                msg = _format_exc(e)
            print(f"FAIL {name} ({time.monotonic() - t0:.1f}s)\n{msg}", flush=True)
            if not isinstance(e, ServerError):  # ServerError already carries the log
                _print_logs(_touched)
        else:
            passed += 1
            print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
        for srv in _touched:  # servers a test started in a `with` block are done
            if srv.checked:
                srv.cleanup()
    # Shut every remaining server down; an unclean exit is a failure.
    for srv in _servers:
        if srv.proc is None or srv.checked:
            continue
        _touched.clear()
        try:
            srv.stop()
        except BaseException as e:  # noqa: BLE001
            failed += 1
            print(f"FAIL shutdown_{srv.name}\n{e}", flush=True)
        else:
            passed += 1
            print(f"PASS shutdown_{srv.name} (exit code 0)", flush=True)
    for srv in _servers:  # logs of failures were printed above; SY_KEEP_TMP=1 keeps them
        srv.cleanup()
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
