// Test harness for the Node.js client-compatibility tests (janode, janus.js).
//
// - Server: starts $SY_BUILD_DIR/switchyard with a private copy of $SY_SOURCE_DIR/conf (keys
//   rewritten per test file), a private plugins folder (symlinks to the product plugins and
//   the test plugins), waits for the listening ports, and on teardown sends SIGTERM and
//   requires exit code 0 within 10 s.
// - Suite: a tiny sequential runner printing "PASS <name>" / "FAIL <name>: <why>" per test
//   and a final line "N passed, M failed"; the process exits non-zero on any failure.
//
// Environment: SY_BUILD_DIR (default <source>/build), SY_SOURCE_DIR (default: this repo),
// SY_SANITIZE (ON/1/true: longer test timeouts), SY_KEEP_TMP=1 keeps the temp folders,
// SY_TEST_VERBOSE=1 prints the server log and the wire traffic even on success.
// Run inside a network namespace with only loopback (tests/integration/run_netns.sh).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assertStrict from 'node:assert/strict';

export const assert = assertStrict;

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.SY_SOURCE_DIR || path.resolve(HERE, '../../..');
export const BUILD_DIR = process.env.SY_BUILD_DIR || path.join(SOURCE_DIR, 'build');
const truthy = (v) => /^(1|on|true|yes)$/i.test(String(v || '').trim());
export const SANITIZE = truthy(process.env.SY_SANITIZE);
export const VERBOSE = truthy(process.env.SY_TEST_VERBOSE);
/* Timeouts of the tests (not the 10 s shutdown limit) scale under sanitizers. */
export const TIME_FACTOR = SANITIZE ? 3 : 1;

/* Run by hand (not by ctest), a test file re-runs itself inside a fresh network namespace
 * with only loopback (run_netns.sh sets SY_NETNS=1), like the Python tests. */
export function reexecInNetns() {
  if (process.env.SY_NETNS === '1') return;
  const runner = path.resolve(HERE, '..', 'run_netns.sh');
  const env = { ...process.env, SY_SOURCE_DIR: SOURCE_DIR, SY_BUILD_DIR: BUILD_DIR };
  const r = spawnSync(runner, [process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env });
  if (r.error) {
    console.log(`FAIL run in a network namespace: ${r.error.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  process.exit(r.status === null ? 1 : r.status);
}

// ---------------------------------------------------------------------------------------
// Small async helpers

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/* Resolves/rejects like p, or rejects with "timeout after N ms: what". Limits (here and in
 * waitFor) are upper bounds, scaled by TIME_FACTOR under sanitizers. */
export function withTimeout(p, ms, what) {
  ms *= TIME_FACTOR;
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(p), t]).finally(() => clearTimeout(timer));
}

/* Polls fn() until it returns a truthy value (which is returned). */
export async function waitFor(fn, ms, what, interval = 25) {
  ms *= TIME_FACTOR;
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timeout after ${ms} ms waiting for: ${what}`);
    await sleep(interval);
  }
}

export const isJanusId = (v) => Number.isSafeInteger(v) && v > 0;

/* Records JSON messages seen on the wire, for assertions and for failure reports. */
export class WireLog {
  constructor(name) { this.name = name; this.entries = []; }
  add(dir, data, extra = {}) {
    let json = data;
    if (typeof data === 'string' || Buffer.isBuffer(data)) {
      try { json = JSON.parse(String(data)); } catch { json = { unparsable: String(data) }; }
    }
    this.entries.push({ t: Date.now(), dir, json, ...extra });
    return json;
  }
  /* Every object received (arrays unpacked), optionally filtered. */
  received(filter = () => true) {
    const out = [];
    for (const e of this.entries) {
      if (e.dir !== 'recv') continue;
      for (const m of Array.isArray(e.json) ? e.json : [e.json]) if (m && filter(m, e)) out.push(m);
    }
    return out;
  }
  sent(filter = () => true) {
    return this.entries.filter((e) => e.dir === 'send' && filter(e.json, e)).map((e) => e.json);
  }
  dump(last = 80) {
    const t0 = this.entries.length ? this.entries[0].t : 0;
    const lines = this.entries.slice(-last).map((e) => {
      const meta = e.meta ? ` ${e.meta}` : '';
      return `  +${String(e.t - t0).padStart(6)}ms ${e.dir === 'send' ? '>>' : '<<'}${meta} ${JSON.stringify(e.json)}`;
    });
    return `--- wire log ${this.name} (last ${lines.length} of ${this.entries.length}) ---\n${lines.join('\n')}`;
  }
}

// ---------------------------------------------------------------------------------------
// libconfig (.jcfg) editing: set or delete "group.sub.key" keeping the rest of the file.

function tokenize(text) {
  const toks = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') { if (text[j] === '\\') j++; j++; }
      toks.push({ t: 'str', s: i, e: j + 1, v: text.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    if ('{}()[]=:;,'.includes(c)) { toks.push({ t: c, s: i, e: i + 1 }); i++; continue; }
    let j = i;
    while (j < n && !/[\s{}()[\]=:;,"#]/.test(text[j]) &&
           !(text[j] === '/' && (text[j + 1] === '/' || text[j + 1] === '*'))) j++;
    toks.push({ t: 'word', s: i, e: j, v: text.slice(i, j) });
    i = j;
  }
  return toks;
}

function parseSettings(toks, p, closer, file) {
  const settings = [];
  const bad = (msg) => new Error(`${file}: cannot parse config (${msg}) at offset ${toks[p] ? toks[p].s : 'EOF'}`);
  while (p < toks.length && toks[p].t !== closer) {
    const tk = toks[p];
    if (tk.t === ';' || tk.t === ',') { p++; continue; }
    if (tk.t === 'word' && tk.v.startsWith('@')) { p += 2; continue; } /* @include "x" */
    if (tk.t !== 'word') throw bad(`unexpected '${tk.t}'`);
    p++;
    if (!toks[p] || (toks[p].t !== '=' && toks[p].t !== ':')) throw bad(`expected = or : after ${tk.v}`);
    p++;
    const v = parseValue(toks, p, file);
    p = v.p;
    let termEnd = v.end;
    if (toks[p] && (toks[p].t === ';' || toks[p].t === ',')) { termEnd = toks[p].e; p++; }
    settings.push({ name: tk.v, start: tk.s, end: v.end, termEnd, value: v.value });
  }
  if (closer && p >= toks.length) throw bad(`missing '${closer}'`);
  return { settings, p };
}

function parseValue(toks, p, file) {
  const tk = toks[p];
  if (!tk) throw new Error(`${file}: cannot parse config (value expected at EOF)`);
  if (tk.t === '{') {
    const r = parseSettings(toks, p + 1, '}', file);
    const close = toks[r.p];
    return { value: { group: r.settings, open: tk.s, close: close.s }, p: r.p + 1, end: close.e };
  }
  if (tk.t === '(' || tk.t === '[') {
    const closer = tk.t === '(' ? ')' : ']';
    const items = [];
    p++;
    while (toks[p] && toks[p].t !== closer) {
      if (toks[p].t === ',') { p++; continue; }
      const v = parseValue(toks, p, file);
      items.push(v.value);
      p = v.p;
    }
    if (!toks[p]) throw new Error(`${file}: cannot parse config (missing '${closer}')`);
    return { value: { list: items }, p: p + 1, end: toks[p].e };
  }
  if (tk.t === 'str') {
    let s = '';
    let end = tk.e;
    while (toks[p] && toks[p].t === 'str') {
      try { s += JSON.parse(toks[p].v); } catch { s += toks[p].v.slice(1, -1); }
      end = toks[p].e;
      p++;
    }
    return { value: { scalar: s }, p, end };
  }
  if (tk.t === 'word') return { value: { scalar: tk.v }, p: p + 1, end: tk.e };
  throw new Error(`${file}: cannot parse config (unexpected '${tk.t}' at offset ${tk.s})`);
}

export function formatJcfgValue(v) {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`bad config number ${v}`);
    return Number.isInteger(v) ? String(v) : (String(v).includes('.') ? String(v) : `${v}.0`);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (v && typeof v === 'object' && typeof v.raw === 'string') return v.raw;
  throw new Error(`unsupported config value ${JSON.stringify(v)}`);
}

/* Returns text with "a.b.key" set to value (undefined deletes it). Missing groups are
 * appended. Comments are left alone. */
export function setJcfgKey(text, dotted, value, file = 'config') {
  const parts = dotted.split('.');
  const key = parts.pop();
  const root = parseSettings(tokenize(text), 0, undefined, file).settings;
  let settings = root;
  let close = null; /* position of the '}' of the current group; null = end of file */
  let depth = 0;
  for (let k = 0; k < parts.length; k++) {
    const g = settings.find((s) => s.name === parts[k] && s.value.group);
    if (!g) {
      if (value === undefined) return text;
      let block = `${key} = ${formatJcfgValue(value)}`;
      for (let m = parts.length - 1; m >= k; m--) block = `${parts[m]}: {\n${indent(block)}\n}`;
      const at = close === null ? text.length : close;
      const pre = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
      return text.slice(0, at) + pre + indentBy(block, depth) + '\n' + text.slice(at);
    }
    settings = g.value.group;
    close = g.value.close;
    depth++;
  }
  const existing = settings.filter((s) => s.name === key);
  if (value === undefined) {
    for (const s of existing.reverse()) text = text.slice(0, s.start) + text.slice(s.termEnd);
    return text;
  }
  const line = `${key} = ${formatJcfgValue(value)}`;
  if (existing.length) {
    /* Replace the first, drop any duplicates (libconfig rejects duplicates anyway). */
    for (const s of existing.slice(1).reverse()) text = text.slice(0, s.start) + text.slice(s.termEnd);
    const s = existing[0];
    return text.slice(0, s.start) + line + text.slice(s.end);
  }
  const at = close === null ? text.length : close;
  const pre = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
  return text.slice(0, at) + pre + indentBy(line, depth) + '\n' + text.slice(at);
}

/* Reads "a.b.key" (scalars only; strings unquoted). undefined when absent. */
export function getJcfgKey(text, dotted, file = 'config') {
  const parts = dotted.split('.');
  let settings = parseSettings(tokenize(text), 0, undefined, file).settings;
  for (let k = 0; k < parts.length; k++) {
    const s = settings.find((x) => x.name === parts[k]);
    if (!s) return undefined;
    if (k === parts.length - 1) return s.value.scalar;
    if (!s.value.group) return undefined;
    settings = s.value.group;
  }
  return undefined;
}

const indent = (s) => s.split('\n').map((l) => `\t${l}`).join('\n');
const indentBy = (s, d) => s.split('\n').map((l) => '\t'.repeat(d) + l).join('\n');

// ---------------------------------------------------------------------------------------
// The server under test

function canConnect(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok) => { sock.removeAllListeners(); sock.destroy(); resolve(ok); };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

export class Server {
  /**
   * overrides: { "switchyard.jcfg": { "general.session_timeout": 6 }, ... } (undefined deletes)
   * ports: TCP ports on 127.0.0.1 that must accept before the tests start
   * args: extra command-line arguments
   */
  constructor({ overrides = {}, ports = [8188, 8088], args = [] } = {}) {
    /* Defaults (as the Python harness): listeners on loopback, html from the source tree. */
    const defaults = {
      'switchyard.transport.websockets.jcfg': { 'general.ws_ip': '127.0.0.1' },
      'switchyard.transport.http.jcfg': {
        'general.ip': '127.0.0.1', 'general.html_folder': path.join(SOURCE_DIR, 'html'),
      },
    };
    this.overrides = {};
    for (const f of new Set([...Object.keys(defaults), ...Object.keys(overrides)]))
      this.overrides[f] = { ...(defaults[f] || {}), ...(overrides[f] || {}) };
    this.ports = ports;
    this.args = args;
    this.proc = null;
    this.exit = null; /* {code, signal} once exited */
    this.logChunks = [];
    this.tmp = null;
  }

  get log() { return this.logChunks.join(''); }

  async start() {
    const exe = path.join(BUILD_DIR, 'switchyard');
    if (!fs.existsSync(exe)) throw new Error(`server binary not found: ${exe} (set SY_BUILD_DIR)`);
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-node-'));
    const conf = path.join(this.tmp, 'conf');
    const plugins = path.join(this.tmp, 'plugins');
    const srcConf = path.join(SOURCE_DIR, 'conf');
    fs.mkdirSync(conf);
    if (fs.existsSync(srcConf)) {
      for (const f of fs.readdirSync(srcConf)) {
        if (f.endsWith('.jcfg')) fs.copyFileSync(path.join(srcConf, f), path.join(conf, f));
      }
    }
    for (const [file, kv] of Object.entries(this.overrides)) {
      const f = path.join(conf, file);
      let text = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
      for (const [k, v] of Object.entries(kv)) text = setJcfgKey(text, k, v, file);
      fs.writeFileSync(f, text);
    }
    fs.mkdirSync(plugins);
    for (const dir of [path.join(BUILD_DIR, 'plugins'), path.join(BUILD_DIR, 'tests', 'plugins')]) {
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) {
        if (!f.endsWith('.so')) continue;
        const link = path.join(plugins, f);
        if (fs.existsSync(link)) fs.unlinkSync(link);
        fs.symlinkSync(path.join(dir, f), link);
      }
    }
    const argv = ['-F', conf, '-P', plugins, ...this.args];
    this.cmdline = `${exe} ${argv.join(' ')}`;
    const logFile = fs.createWriteStream(path.join(this.tmp, 'server.log'));
    this.proc = spawn(exe, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const onData = (d) => { this.logChunks.push(d.toString()); logFile.write(d); };
    this.proc.stdout.on('data', onData);
    this.proc.stderr.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    this.proc.once('error', (e) => { this.logChunks.push(`[harness] spawn error: ${e.message}\n`); });

    const deadline = Date.now() + 20000 * TIME_FACTOR;
    for (const port of this.ports) {
      for (;;) {
        if (this.exit) {
          throw new Error(`server exited during startup (code ${this.exit.code}, signal ${this.exit.signal})`);
        }
        if (await canConnect(port)) break;
        if (Date.now() > deadline) throw new Error(`server did not accept on port ${port} in time`);
        await sleep(100);
      }
    }
  }

  /* SIGTERM, then exit code 0 within 10 s and no sanitizer report are required.
   * Returns {ok, reason}. */
  async stop(limitMs = 10000) {
    if (!this.proc) return { ok: false, reason: 'server was never started' };
    if (this.exit) {
      return { ok: false, reason: `server had already exited before teardown (code ${this.exit.code}, signal ${this.exit.signal})` };
    }
    const t0 = Date.now();
    this.proc.kill('SIGTERM');
    const r = await Promise.race([this.exited, sleep(limitMs).then(() => null)]);
    if (!r) {
      this.proc.kill('SIGKILL');
      await this.exited;
      return { ok: false, reason: `server did not exit within ${limitMs / 1000} s of SIGTERM (killed)` };
    }
    const ms = Date.now() - t0;
    if (r.code !== 0) return { ok: false, reason: `server exit code ${r.code}, signal ${r.signal} (after ${ms} ms)` };
    for (const marker of ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:']) {
      if (this.log.includes(marker)) return { ok: false, reason: `sanitizer report in the server log (${marker})` };
    }
    return { ok: true, reason: `exit 0 after ${ms} ms` };
  }

  cleanup(keep) {
    if (!this.tmp) return;
    if (keep || truthy(process.env.SY_KEEP_TMP)) {
      console.log(`# kept temp folder ${this.tmp}`);
      return;
    }
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// The runner

export class Suite {
  constructor(name, serverOptions) {
    this.name = name;
    this.serverOptions = serverOptions;
    this.tests = [];
    this.afters = [];
    this.diagnostics = []; /* functions returning text printed when something failed */
    this.server = null;
  }

  test(name, fn, { timeout = 20000 } = {}) { this.tests.push({ name, fn, timeout }); }
  /* Cleanup run after the tests, before the server is stopped (close clients). */
  after(fn) { this.afters.push(fn); }
  diag(fn) { this.diagnostics.push(fn); }

  async run() {
    let passed = 0;
    let failed = 0;
    let current = null;
    const stray = [];
    const onAsyncError = (e) => {
      if (current) current.asyncErrors.push(e);
      else stray.push(e);
    };
    process.on('unhandledRejection', onAsyncError);
    process.on('uncaughtException', onAsyncError);

    const report = (ok, name, why) => {
      if (ok) { passed++; console.log(`PASS ${name}`); }
      else { failed++; console.log(`FAIL ${name}: ${why}`); }
    };
    const errText = (e) => (e && e.stack ? e.stack : String(e));

    console.log(`# ${this.name}: server ${path.join(BUILD_DIR, 'switchyard')}`);
    this.server = new Server(this.serverOptions);
    let started = true;
    try {
      await this.server.start();
      console.log(`# ${this.server.cmdline}`);
    } catch (e) {
      started = false;
      report(false, 'server start', e.message);
      for (const t of this.tests) report(false, t.name, 'not run: the server did not start');
    }

    if (started) {
      for (const t of this.tests) {
        current = { asyncErrors: [] };
        const t0 = Date.now();
        try {
          await withTimeout(t.fn(this), t.timeout, `test "${t.name}"`);
          await sleep(0);
          if (current.asyncErrors.length) throw current.asyncErrors[0];
          report(true, `${t.name} (${Date.now() - t0} ms)`);
        } catch (e) {
          report(false, t.name, e && e.message ? e.message : String(e));
          console.log(errText(e).split('\n').map((l) => `#   ${l}`).join('\n'));
        }
        current = null;
        if (this.server.exit) {
          console.log(`# the server exited (code ${this.server.exit.code}, signal ${this.server.exit.signal})`);
        }
      }
      for (const fn of this.afters) {
        try { await withTimeout(fn(), 10000, 'cleanup'); } catch (e) { console.log(`# cleanup error: ${e.message}`); }
      }
      const st = await this.server.stop();
      report(st.ok, 'server exits with code 0 within 10 s of SIGTERM', st.reason);
    }
    for (const e of stray) report(false, 'unhandled error outside a test', e && e.message ? e.message : String(e));

    if (failed || VERBOSE) {
      for (const d of this.diagnostics) {
        try { console.log(d()); } catch (e) { console.log(`# diagnostic failed: ${e.message}`); }
      }
      const lines = this.server.log.split('\n');
      const shown = lines.slice(-1500);
      console.log(`--- server log (${shown.length} of ${lines.length} lines) ---`);
      console.log(shown.join('\n'));
      console.log('--- end of server log ---');
    }
    this.server.cleanup(failed > 0);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }
}

/* Imports a client package, failing the whole file with a clear message if node_modules is
 * missing (run "npm ci" in the repository root). */
// Debian's headless Chromium for the browser tests (never a downloaded one): fake camera and
// microphone (at `fps` frames per second when given), no permission prompts, loopback
// candidates allowed and IPv6 candidates off (the test namespace has only 127.0.0.1).
// fieldTrials are appended to WebRTC-IPv6Default/Disabled/; args are extra switches.
export function launchChromium(chromium, { fps = null, fieldTrials = '', args = [] } = {}) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      fps ? `--use-fake-device-for-media-stream=fps=${fps}` : '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
      `--force-fieldtrials=WebRTC-IPv6Default/Disabled/${fieldTrials}`,
      ...args,
    ],
  });
}

// A new page whose console messages and errors are printed with the suite's failure
// diagnostics (under `label`).
export async function loggedPage(browser, suite, label = '', options = {}) {
  const page = await browser.newPage(options);
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  suite.diag(() => `browser console${label ? ` (${label})` : ''}:\n${logs.join('\n')}`);
  return page;
}

export async function importOrFail(spec, suiteName) {
  try {
    return await import(spec);
  } catch (e) {
    console.log(`# ${suiteName}: cannot import '${spec}' (${e.message}); run "npm ci" in ${SOURCE_DIR}`);
    console.log(`FAIL import ${spec}: ${e.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
