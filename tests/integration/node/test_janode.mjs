// janode (meetecho's Node.js Janus client) against Switchyard, as an application server
// uses it: WebSocket Janus API (ws://127.0.0.1:8188, subprotocol janus-protocol) and the
// Admin API client (ws://127.0.0.1:7188, janus-admin-protocol), with the test plugin
// janus.plugin.sytest (tests/plugins/sytest.c).
//
// What janode relies on (see node_modules/janode/src/{connection,session,handle}.js):
// - create/info replies are routed by transaction at connection level, so they must carry
//   no top-level session_id; session replies carry session_id; handle replies and events
//   carry sender.
// - an asynchronous plugin request is resolved by the "event" carrying the same
//   transaction as the request (the "ack" is ignored).
// - session keepalives must get an ack within half the keepalive period.
// - {"janus":"timeout"} (no transaction, no sender) destroys the session.

import {
  Suite, assert, deferred, sleep, waitFor, withTimeout, isJanusId, WireLog, importOrFail,
  reexecInNetns,
} from './harness.mjs';

reexecInNetns();

const { default: Janode } = await importOrFail('janode', 'test_janode');
const { default: JanodeHandle } = await importOrFail('janode/handle', 'test_janode');

Janode.Logger.setLevel(process.env.SY_JANODE_LOG || 'none');

const SYTEST = 'janus.plugin.sytest';
const ADMIN_SECRET = 'switchyardoverlord';
const SESSION_TIMEOUT = 6; /* seconds, set in the server config below */
const KA_INTERVAL = 2;     /* seconds between janode keepalives (janode waits KA/2 for the ack) */

// ---------------------------------------------------------------------------------------
// A minimal janode plugin descriptor for sytest, written as janode's docs describe a custom
// plugin: a Handle subclass overriding handleMessage(), plus {id, Handle, EVENT}.

const SYTEST_EVENT = {
  SYNC: 'sytest_sync',
  ASYNC: 'sytest_async',
  EVENT: 'sytest_event',
};

class SytestHandle extends JanodeHandle {
  constructor(session, id) {
    super(session, id);
    this.handled = []; /* every janus message handleMessage() accepted, in order */
    this.messagesSent = 0;
  }

  sendRequest(request, timeout_ms) {
    if (request && request.janus === 'message') this.messagesSent++;
    return super.sendRequest(request, timeout_ms);
  }

  /* Truthy for handled messages (janode's contract). */
  handleMessage(janus_message) {
    const { plugindata, transaction } = janus_message;
    if (!plugindata || plugindata.plugin !== SYTEST || !plugindata.data || !plugindata.data.sytest) return null;
    const data = plugindata.data;
    const janode_event = this._newPluginEvent(janus_message);
    /* Emit only if this is not the reply to one of our pending transactions. */
    const emit = this.ownsTransaction(transaction) === false;
    switch (data.sytest) {
      case 'sync': janode_event.event = SYTEST_EVENT.SYNC; break;
      case 'async': janode_event.event = SYTEST_EVENT.ASYNC; break;
      case 'event': janode_event.event = SYTEST_EVENT.EVENT; break;
      default: return null;
    }
    janode_event.data = { ...data, _message: janus_message };
    this.handled.push(janus_message);
    this.closeTransactionWithSuccess(transaction, janus_message);
    if (emit) this.emit(janode_event.event, janode_event.data);
    return janode_event;
  }

  /* Sends a message and returns {request, response} (request carries the transaction). */
  async request(body) {
    const request = { janus: 'message', body };
    const response = await this.sendRequest(request);
    return { request, response };
  }
}

const SytestPlugin = { id: SYTEST, Handle: SytestHandle, EVENT: { ...SYTEST_EVENT } };

// ---------------------------------------------------------------------------------------

const suite = new Suite('test_janode', {
  ports: [8188, 8088, 7188],
  overrides: {
    'switchyard.jcfg': {
      'general.session_timeout': SESSION_TIMEOUT,
      'general.admin_secret': ADMIN_SECRET,
    },
    'switchyard.transport.websockets.jcfg': {
      'general.ws': true,
      'general.ws_port': 8188,
      'admin.admin_ws': true,
      'admin.admin_ws_ip': '127.0.0.1',
      'admin.admin_ws_port': 7188,
    },
    'switchyard.transport.http.jcfg': {
      'general.http': true,
      'general.port': 8088,
    },
  },
});

const wire = new WireLog('janode ws://127.0.0.1:8188');
const adminWire = new WireLog('janode admin ws://127.0.0.1:7188');
suite.diag(() => wire.dump(120));
suite.diag(() => adminWire.dump(40));

/* Diagnostics only: tap janode's underlying ws socket to record the JSON on the wire. */
function tapWire(connection, log) {
  const ws = connection && connection._transport && connection._transport._ws;
  if (!ws || typeof ws.on !== 'function') return;
  ws.on('message', (d) => log.add('recv', d));
  const send = ws.send.bind(ws);
  ws.send = (data, ...rest) => { log.add('send', data); return send(data, ...rest); };
}

const st = {}; /* state shared by the sequential tests */
const need = (...keys) => {
  for (const k of keys) if (!st[k]) throw new Error(`prerequisite missing: ${k} (an earlier test failed)`);
};

suite.after(async () => {
  for (const c of [st.conn, st.admin]) {
    if (c) { try { await c.close(); } catch { /* already closed */ } }
  }
});

suite.test('connect over WebSocket (janus-protocol)', async () => {
  st.conn = await Janode.connect({
    address: { url: 'ws://127.0.0.1:8188/' },
    retry_time_secs: 1,
    max_retries: 2,
  });
  tapWire(st.conn, wire);
  st.conn.on(Janode.EVENT.CONNECTION_ERROR, (e) => { st.connError = e; });
  assert.equal(st.conn._transport._ws.protocol, 'janus-protocol', 'negotiated subprotocol');
});

suite.test('getInfo returns server_info with the sytest plugin', async () => {
  need('conn');
  const info = await st.conn.getInfo();
  assert.equal(info.janus, 'server_info');
  assert.equal(typeof info.transaction, 'string');
  assert.equal(info.session_id, undefined, 'server_info must not carry session_id');
  assert.equal(typeof info.name, 'string');
  assert.ok(Number.isInteger(info.version), 'version is an integer');
  assert.equal(typeof info.version_string, 'string');
  assert.equal(info['session-timeout'], SESSION_TIMEOUT, 'session-timeout reflects the config');
  assert.equal(typeof info.plugins, 'object');
  const p = info.plugins[SYTEST];
  assert.ok(p, `plugins has ${SYTEST}: ${JSON.stringify(Object.keys(info.plugins || {}))}`);
  for (const f of ['name', 'author', 'description', 'version_string']) assert.equal(typeof p[f], 'string', `plugins[sytest].${f}`);
  assert.ok(Number.isInteger(p.version), 'plugins[sytest].version is an integer');
  assert.equal(typeof info.transports, 'object');
  assert.ok(info.transports['janus.transport.websockets'], 'transports has janus.transport.websockets');
});

suite.test('create session (integer id)', async () => {
  need('conn');
  st.session = await withTimeout(st.conn.create(KA_INTERVAL), 5000,
    'janode did not resolve create() (janode routes a reply with a top-level session_id to that session, so the create reply must have none)');
  assert.ok(isJanusId(st.session.id), `session id is a JS-safe positive integer: ${JSON.stringify(st.session.id)}`);
  st.session.on(Janode.EVENT.SESSION_DESTROYED, () => { st.sessionDestroyedAt = Date.now(); });
  /* Observe the keepalives janode sends (public Session.sendRequest). */
  st.keepalives = [];
  const orig = st.session.sendRequest.bind(st.session);
  st.session.sendRequest = (req) => {
    const p = orig(req);
    if (req.janus === 'keepalive') {
      const rec = { request: req, sentAt: Date.now() };
      st.keepalives.push(rec);
      p.then((r) => { rec.response = r; }, (e) => { rec.error = e; });
    }
    return p;
  };
});

suite.test('attach janus.plugin.sytest with a custom plugin descriptor', async () => {
  need('session');
  st.handle = await withTimeout(st.session.attach(SytestPlugin), 5000, 'janode did not resolve attach()');
  assert.ok(st.handle instanceof SytestHandle, 'janode built the descriptor Handle class');
  assert.ok(isJanusId(st.handle.id), `handle id is a JS-safe positive integer: ${JSON.stringify(st.handle.id)}`);
  assert.notEqual(st.handle.id, st.session.id);
  st.unsolicited = [];
  st.handle.on(SYTEST_EVENT.EVENT, (d) => st.unsolicited.push(d));
  st.handle.on(SYTEST_EVENT.ASYNC, (d) => { st.strayAsync = d; });
  st.handle.on(SYTEST_EVENT.SYNC, (d) => { st.straySync = d; });
  st.handle.on(Janode.EVENT.HANDLE_DETACHED, () => { st.handleDetachedAt = Date.now(); });
});

suite.test('sync request resolves with the success payload', async () => {
  need('handle');
  const body = { request: 'sync', text: 'hello', n: 7, nested: { a: [1, 2, 3] } };
  const { request, response } = await withTimeout(st.handle.request(body), 5000, 'janode did not resolve the sync request');
  assert.equal(response.janus, 'success');
  assert.equal(response.transaction, request.transaction, 'transaction echoed');
  assert.equal(response.session_id, st.session.id, 'session_id');
  assert.equal(response.sender, st.handle.id, 'sender = handle id');
  assert.equal(response.plugindata.plugin, SYTEST);
  assert.deepEqual(response.plugindata.data, { sytest: 'sync', echo: body });
  assert.equal(st.straySync, undefined, 'a sync reply must not show up as an unsolicited event');
});

suite.test('async request: janode resolves it with the event carrying the same transaction', async () => {
  need('handle');
  const body = { request: 'async', value: 'x'.repeat(100), flag: true };
  const { request, response } = await withTimeout(st.handle.request(body), 5000,
    'janode did not resolve the async request: no "event" with the request transaction (and sender) arrived');
  assert.equal(response.janus, 'event', 'resolved by the event, not the ack');
  assert.equal(response.transaction, request.transaction, 'event echoes the request transaction');
  assert.equal(response.session_id, st.session.id, 'session_id');
  assert.equal(response.sender, st.handle.id, 'sender = handle id');
  assert.equal(response.plugindata.plugin, SYTEST);
  assert.deepEqual(response.plugindata.data, { sytest: 'async', echo: body });
  /* The ack that preceded it (janode ignores acks for messages). */
  const acks = wire.received((m) => m.janus === 'ack' && m.transaction === request.transaction);
  if (wire.entries.length) {
    assert.equal(acks.length, 1, 'exactly one ack for the async request');
    assert.equal(acks[0].session_id, st.session.id, 'ack carries session_id');
  }
  await sleep(100);
  assert.equal(st.strayAsync, undefined, 'the async reply was not also delivered as unsolicited');
});

suite.test('several async requests in flight resolve to their own events', async () => {
  need('handle');
  const bodies = [1, 2, 3, 4, 5].map((i) => ({ request: 'async', i }));
  const results = await withTimeout(Promise.all(bodies.map((b) => st.handle.request(b))), 5000,
    'janode did not resolve all 5 async requests');
  results.forEach(({ request, response }, k) => {
    assert.equal(response.transaction, request.transaction);
    assert.deepEqual(response.plugindata.data, { sytest: 'async', echo: bodies[k] });
  });
});

suite.test('unsolicited events (count 3) are delivered to the handle', async () => {
  need('handle');
  st.unsolicited.length = 0;
  /* The plugin only acks this request and then pushes events without a transaction, so
   * janode's promise for it stays pending (it resolves only on success/error/event with
   * the transaction): don't await it; it is rejected when the handle goes away. */
  const p = st.handle.message({ request: 'events', count: 3 });
  p.catch(() => {});
  await waitFor(() => st.unsolicited.length >= 3, 5000, '3 sytest events');
  await sleep(300);
  assert.equal(st.unsolicited.length, 3, 'exactly 3 events');
  const seqs = st.unsolicited.map((d) => d.seq);
  for (let i = 0; i < seqs.length; i++) assert.ok(Number.isInteger(seqs[i]), `seq ${i} is an integer`);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `seq ascending by one: ${seqs}`);
  for (const d of st.unsolicited) {
    const m = d._message;
    assert.equal(m.janus, 'event');
    assert.equal(m.transaction, undefined, 'unsolicited events carry no transaction');
    assert.equal(m.sender, st.handle.id);
    assert.equal(m.session_id, st.session.id);
    assert.equal(m.plugindata.plugin, SYTEST);
  }
});

suite.test('plugin error rejects with 462', async () => {
  need('handle');
  let err = null;
  try { await st.handle.message({ request: 'error' }); } catch (e) { err = e; }
  assert.ok(err, 'the request was rejected');
  assert.match(err.message, /^462 /, `janode error message "<code> <reason>": ${err.message}`);
});

suite.test('admin API: connect (janus-admin-protocol) and info', async () => {
  st.admin = await Janode.connect({
    is_admin: true,
    address: { url: 'ws://127.0.0.1:7188/', apisecret: ADMIN_SECRET },
    retry_time_secs: 1,
    max_retries: 2,
  });
  tapWire(st.admin, adminWire);
  assert.equal(st.admin._transport._ws.protocol, 'janus-admin-protocol', 'negotiated subprotocol');
  const info = await st.admin.getInfo();
  assert.equal(info.janus, 'server_info');
  assert.ok(info.plugins && info.plugins[SYTEST], 'admin info lists the sytest plugin');
});

suite.test('admin API: listSessions contains the session', async () => {
  need('admin', 'session');
  const r = await st.admin.listSessions();
  assert.equal(r.janus, 'success');
  assert.ok(Array.isArray(r.sessions), `sessions is an array: ${JSON.stringify(r)}`);
  assert.ok(r.sessions.includes(st.session.id), `sessions ${JSON.stringify(r.sessions)} includes ${st.session.id} (as an integer)`);
});

suite.test('admin API: listHandles contains the handle', async () => {
  need('admin', 'session', 'handle');
  const r = await st.admin.listHandles(st.session.id);
  assert.equal(r.janus, 'success');
  assert.equal(r.session_id, st.session.id);
  assert.ok(Array.isArray(r.handles), `handles is an array: ${JSON.stringify(r)}`);
  assert.ok(r.handles.includes(st.handle.id), `handles ${JSON.stringify(r.handles)} includes ${st.handle.id}`);
});

suite.test('admin API: handleInfo describes the handle', async () => {
  need('admin', 'session', 'handle');
  const r = await st.admin.handleInfo(st.session.id, st.handle.id);
  assert.equal(r.janus, 'success');
  assert.equal(r.session_id, st.session.id);
  assert.equal(r.handle_id, st.handle.id);
  assert.equal(typeof r.info, 'object', `info object: ${JSON.stringify(r)}`);
  assert.equal(r.info.plugin, SYTEST, 'info.plugin is the plugin package');
  /* Janus puts the plugin's query_session() answer in info.plugin_specific; sytest counts
   * the messages the handle got. */
  assert.deepEqual(r.info.plugin_specific, { messages: st.handle.messagesSent }, 'info.plugin_specific from query_session');
});

suite.test('admin API: message_plugin reaches the plugin (generic sendRequest)', async () => {
  need('admin');
  const request = { hello: 'admin', n: [1, 2] };
  const r = await st.admin.sendRequest({ janus: 'message_plugin', plugin: SYTEST, request });
  assert.equal(r.janus, 'success');
  assert.equal(typeof r.response, 'object', `response object: ${JSON.stringify(r)}`);
  assert.equal(r.response.sytest, 'admin');
  assert.deepEqual(r.response.echo, request);
  assert.ok(Number.isInteger(r.response.sessions) && r.response.sessions >= 1, 'the plugin counts the open handle');
});

suite.test('admin API: wrong admin_secret is refused with 403', async () => {
  const bad = await Janode.connect({
    is_admin: true,
    address: { url: 'ws://127.0.0.1:7188/', apisecret: 'not-the-secret' },
    retry_time_secs: 1,
    max_retries: 0,
  });
  try {
    let err = null;
    try { await bad.listSessions(); } catch (e) { err = e; }
    assert.ok(err, 'list_sessions with a wrong secret was rejected');
    assert.match(err.message, /^403 /, err.message);
  } finally {
    await bad.close().catch(() => {});
  }
});

suite.test(`session keepalives are acked and keep the session beyond session_timeout (${SESSION_TIMEOUT} s)`, async () => {
  need('session', 'handle');
  /* Idle except for janode's keepalives for longer than session_timeout + watchdog period. */
  const idleMs = (SESSION_TIMEOUT + 4) * 1000;
  const start = st.keepalives.length;
  await sleep(idleMs);
  assert.equal(st.sessionDestroyedAt, undefined, 'janode did not destroy the session (keepalive failure or timeout)');
  const kas = st.keepalives.slice(start).filter((k) => k.response || k.error);
  assert.ok(kas.length >= 3, `at least 3 keepalives answered in ${idleMs} ms (got ${kas.length})`);
  for (const k of kas) {
    assert.equal(k.error, undefined, `keepalive error: ${k.error && k.error.message}`);
    assert.equal(k.response.janus, 'ack', `keepalive reply: ${JSON.stringify(k.response)}`);
    assert.equal(k.response.session_id, st.session.id);
    assert.equal(k.response.transaction, k.request.transaction);
  }
  /* The session and the handle still work. */
  const { response } = await st.handle.request({ request: 'sync', after: 'idle' });
  assert.deepEqual(response.plugindata.data, { sytest: 'sync', echo: { request: 'sync', after: 'idle' } });
}, { timeout: 30000 });

suite.test('plugin "end" request: the handle gets detached', async () => {
  need('session');
  const h = await st.session.attach(SytestPlugin);
  const detached = deferred();
  h.once(Janode.EVENT.HANDLE_DETACHED, ({ id }) => detached.resolve(id));
  h.message({ request: 'end' }).catch(() => {});
  const id = await withTimeout(detached.promise, 5000, 'HANDLE_DETACHED after "end"');
  assert.equal(id, h.id);
  const ev = wire.received((m) => m.janus === 'detached' && m.sender === h.id);
  if (wire.entries.length) {
    assert.equal(ev.length, 1, 'one "detached" event with sender');
    assert.equal(ev[0].session_id, st.session.id);
  }
  if (st.admin) {
    const r = await st.admin.listHandles(st.session.id);
    assert.ok(!r.handles.includes(h.id), 'the ended handle is gone');
  }
});

suite.test('detach the handle', async () => {
  need('handle');
  const detached = deferred();
  st.handle.once(Janode.EVENT.HANDLE_DETACHED, () => detached.resolve());
  /* janode's detach() swallows errors: success is seen as HANDLE_DETACHED. */
  await st.handle.detach();
  await withTimeout(detached.promise, 2000, 'HANDLE_DETACHED after detach()');
  let err = null;
  try { await st.handle.message({ request: 'sync' }); } catch (e) { err = e; }
  assert.ok(err, 'janode refuses requests on a detached handle');
  if (st.admin) {
    const r = await st.admin.listHandles(st.session.id);
    assert.ok(!r.handles.includes(st.handle.id), 'the detached handle is gone on the server');
  }
});

suite.test('destroy the session', async () => {
  need('session');
  await st.session.destroy();
  assert.ok(st.sessionDestroyedAt, 'SESSION_DESTROYED emitted');
  if (st.admin) {
    const r = await st.admin.listSessions();
    assert.ok(!r.sessions.includes(st.session.id), 'the session is gone on the server');
  }
});

suite.test(`session without keepalives times out (timeout event) after ~${SESSION_TIMEOUT} s`, async () => {
  need('conn');
  /* A keepalive period far longer than the session timeout. */
  const s = await st.conn.create(3600);
  const h = await s.attach(SytestPlugin);
  const t0 = Date.now();
  const destroyed = deferred();
  s.once(Janode.EVENT.SESSION_DESTROYED, () => destroyed.resolve(Date.now()));
  const t1 = await withTimeout(destroyed.promise, (SESSION_TIMEOUT + 8) * 1000, 'SESSION_DESTROYED by the server timeout');
  const took = (t1 - t0) / 1000;
  assert.ok(took >= SESSION_TIMEOUT - 0.5, `not before session_timeout (took ${took} s)`);
  const tm = wire.received((m) => m.janus === 'timeout' && m.session_id === s.id);
  if (wire.entries.length) assert.equal(tm.length, 1, 'one {"janus":"timeout","session_id":S} message');
  assert.equal(st.connError, undefined, 'the connection stayed up');
  assert.ok(h._detached, 'janode detached the handle with the session');
  /* The connection still works after the timeout. */
  const info = await st.conn.getInfo();
  assert.equal(info.janus, 'server_info');
  if (st.admin) {
    const r = await st.admin.listSessions();
    assert.ok(!r.sessions.includes(s.id), 'the timed-out session is gone on the server');
  }
}, { timeout: 30000 });

suite.test('close the connections', async () => {
  need('conn');
  const closed = deferred();
  st.conn.once(Janode.EVENT.CONNECTION_CLOSED, () => closed.resolve());
  await st.conn.close();
  await withTimeout(closed.promise, 2000, 'CONNECTION_CLOSED');
  st.conn = null;
  if (st.admin) {
    await st.admin.close();
    st.admin = null;
  }
});

await suite.run();
