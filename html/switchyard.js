// switchyard.js: a small, dependency-free client of the Janus API over WebSocket, for the
// Switchyard demo pages (ES module; any Janus-compatible server works).
//
// API
//   Janus.connect(url?, options?) -> Promise<Janus>
//       Opens the WebSocket (subprotocol "janus-protocol"; url defaults to
//       ws://<page host>:8188/), creates a session and sends a keepalive every 25 s.
//       An http(s):// url (e.g. http://host:8088/janus) uses the REST API instead: requests
//       are POSTed, events come from long polls (GET <url>/<session>?maxev=10).
//       When the WebSocket drops, it reconnects and claims the session (best effort; the
//       server must keep sessions, reclaim_session_timeout); pending requests fail.
//       Rejects with a JanusError (code 'unreachable') when the server cannot be reached.
//       options: { keepaliveMs = 25000, timeoutMs = 15000 (per request),
//                  reconnectAttempts = 5 (0: no reconnection) }
//   janus.sessionId                  the session id
//   janus.attach(plugin) -> Promise<Handle>
//   janus.destroy() -> Promise        destroys the session and closes the socket; also done
//                                     (best effort) when the page is unloaded
//   janus.onclose = (reason) => {}    the socket closed or the session timed out / ended
//   janus.onreconnect = (state) => {} 'lost' when the WebSocket dropped, 'reconnected' after
//   janus.request(msg) -> Promise<msg> any core request; session_id is filled in
//
//   handle.id, handle.plugin
//   handle.send(body, jsep?) -> Promise<{data, jsep}>
//       A plugin "message". A synchronous reply ("success") and an asynchronous one ("ack"
//       then the "event" carrying the same transaction) both resolve with plugindata.data
//       and the event's jsep (if any). Janus errors and plugin errors (data.error_code)
//       reject with a JanusError {code, message}.
//   handle.onevent = (data, jsep, msg) => {}  unsolicited plugin events on this handle
//   handle.onwebrtcup / onhangup(reason) / onmedia(msg) / onslowlink(msg) / ondetached()
//   handle.detach() -> Promise
//
//   localDescription(pc, kind = 'offer'|'answer', gatherMs = 3000) -> Promise<{type, sdp}>
//       createOffer/createAnswer, setLocalDescription, then waits for ICE gathering to
//       complete (half trickle: the server gets one SDP with every candidate).
//
// Usage
//   import { Janus, localDescription } from './switchyard.js';
//   const janus = await Janus.connect();
//   const pub = await janus.attach('janus.plugin.videoroom');
//   pub.onevent = (data) => console.log('room event', data);
//   const { data } = await pub.send({ request: 'join', ptype: 'publisher', room: 1234, display: 'me' });
//   const pc = new RTCPeerConnection();
//   (await navigator.mediaDevices.getUserMedia({ audio: true, video: true }))
//     .getTracks().forEach((t) => pc.addTrack(t));
//   const { jsep } = await pub.send({ request: 'publish' }, await localDescription(pc, 'offer'));
//   await pc.setRemoteDescription(jsep);
//   // later: await pub.detach(); await janus.destroy();

export class JanusError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'JanusError';
    this.code = code;
  }
}

const newTransaction = () => Math.random().toString(36).slice(2, 12) + Date.now().toString(36);

export function defaultServerUrl() {
  const host = location.hostname || 'localhost';
  return location.protocol === 'https:' ? `wss://${host}:8989/` : `ws://${host}:8188/`;
}

export async function localDescription(pc, kind = 'offer', gatherMs = 3000) {
  const desc = kind === 'offer' ? await pc.createOffer() : await pc.createAnswer();
  await pc.setLocalDescription(desc);
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((resolve) => {
      const timer = setTimeout(done, gatherMs);
      function done() {
        clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      }
      function check() { if (pc.iceGatheringState === 'complete') done(); }
      pc.addEventListener('icegatheringstatechange', check);
    });
  }
  return { type: pc.localDescription.type, sdp: pc.localDescription.sdp };
}

export class Handle {
  constructor(janus, id, plugin) {
    this.janus = janus;
    this.id = id;
    this.plugin = plugin;
    this.onevent = null;
    this.onwebrtcup = null;
    this.onhangup = null;
    this.onmedia = null;
    this.onslowlink = null;
    this.ondetached = null;
  }

  async send(body, jsep) {
    const msg = { janus: 'message', handle_id: this.id, body };
    if (jsep) msg.jsep = jsep;
    const reply = await this.janus.request(msg, { async: true });
    const data = reply.plugindata?.data || {};
    if (data.error_code || data.error) {
      throw new JanusError(data.error_code || 0, data.error || 'plugin error');
    }
    return { data, jsep: reply.jsep || null };
  }

  async detach() {
    if (!this.janus.handles.has(this.id)) return;
    this.janus.handles.delete(this.id);
    await this.janus.request({ janus: 'detach', handle_id: this.id }).catch(() => {});
  }

  _deliver(msg) {
    const call = (fn, ...args) => {
      if (!fn) return;
      try { fn(...args); } catch (e) { console.error('switchyard.js: handler error', e); }
    };
    switch (msg.janus) {
      case 'event': call(this.onevent, msg.plugindata?.data || {}, msg.jsep || null, msg); break;
      case 'webrtcup': call(this.onwebrtcup, msg); break;
      case 'hangup': call(this.onhangup, msg.reason || '', msg); break;
      case 'media': call(this.onmedia, msg); break;
      case 'slowlink': call(this.onslowlink, msg); break;
      case 'detached':
        this.janus.handles.delete(this.id);
        call(this.ondetached, msg);
        break;
      default: break;
    }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function openWebSocket(url) {
  return new Promise((resolve, reject) => {
    let ws;
    try {
      ws = new WebSocket(url, 'janus-protocol');
    } catch (e) {
      reject(new JanusError('unreachable', `cannot connect to ${url}: ${e.message}`));
      return;
    }
    const fail = () => reject(new JanusError('unreachable', `the server is unreachable (${url})`));
    ws.onerror = fail;
    ws.onclose = fail;
    ws.onopen = () => {
      ws.onerror = null;
      ws.onclose = null;
      resolve(ws);
    };
  });
}

export class Janus {
  constructor(url, options) {
    this.url = url;
    this.ws = null;
    this.http = /^https?:/i.test(url);
    this.options = options;
    this.sessionId = 0;
    this.handles = new Map();  // handle id -> Handle
    this.pending = new Map();  // transaction -> {resolve, reject, async, timer}
    this.onclose = null;
    this.onreconnect = null;   // (state: 'lost' | 'reconnected') => {}
    this.closed = false;
    this.reconnecting = false;
    this.keepalive = 0;
    this.pollAbort = null;
    this._unload = () => this._destroyNow();
  }

  /* HTTP(S) urls use the REST API with long polls, ws(s) urls the WebSocket. */
  static async connect(url = defaultServerUrl(), options = {}) {
    const opts = { keepaliveMs: 25000, timeoutMs: 15000, reconnectAttempts: 5, ...options };
    const janus = new Janus(url, opts);
    if (!janus.http) janus._useWebSocket(await openWebSocket(url));
    try {
      const r = await janus.request({ janus: 'create' });
      janus.sessionId = r.data.id;
    } catch (e) {
      if (janus.ws) janus.ws.close();
      throw e;
    }
    if (janus.http) janus._poll();
    janus.keepalive = setInterval(() => {
      janus.request({ janus: 'keepalive' }).catch(() => {});
    }, opts.keepaliveMs);
    window.addEventListener('pagehide', janus._unload);
    window.addEventListener('beforeunload', janus._unload);
    return janus;
  }

  _useWebSocket(ws) {
    this.ws = ws;
    ws.onmessage = (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      this._receive(msg);
    };
    ws.onclose = () => { if (this.ws === ws) this._lost(); };
  }

  _receive(msg) {
    for (const m of Array.isArray(msg) ? msg : [msg]) this._dispatch(m);
  }

  _isOpen() {
    if (this.closed) return false;
    return this.http || (this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  _rejectPending(code, reason) {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new JanusError(code, reason));
    }
    this.pending.clear();
  }

  /* The WebSocket dropped: reconnect and claim the session again (best effort). */
  async _lost() {
    if (this.closed || this.reconnecting) return;
    const reason = 'the connection to the server was closed';
    if (!this.sessionId || !this.options.reconnectAttempts) { this._closed(reason); return; }
    this.reconnecting = true;
    this._rejectPending('closed', reason);
    if (this.onreconnect) try { this.onreconnect('lost'); } catch { /* ignore */ }
    for (let i = 0; i < this.options.reconnectAttempts && !this.closed; i++) {
      await sleep(Math.min(500 * 2 ** i, 4000));
      if (this.closed) return;
      let ws;
      try { ws = await openWebSocket(this.url); } catch { continue; }
      this._useWebSocket(ws);
      try {
        await this.request({ janus: 'claim' }, { force: true });
        this.reconnecting = false;
        if (this.onreconnect) try { this.onreconnect('reconnected'); } catch { /* ignore */ }
        return;
      } catch (e) {
        this.reconnecting = false;
        this._closed(`${reason} and the session could not be claimed again (${e.message})`);
        ws.close();
        return;
      }
    }
    this.reconnecting = false;
    this._closed(reason);
  }

  /* HTTP: the long poll loop (GET <url>/<session>?maxev=10). */
  async _poll() {
    let failures = 0;
    while (!this.closed) {
      this.pollAbort = new AbortController();
      try {
        const r = await fetch(`${this.url.replace(/\/+$/, '')}/${this.sessionId}?maxev=10&rid=${Date.now()}`,
                              { cache: 'no-store', signal: this.pollAbort.signal });
        const msg = await r.json();
        failures = 0;
        this._receive(msg);
      } catch {
        if (this.closed) return;
        if (++failures >= 3) { this._closed('the connection to the server was lost'); return; }
        await sleep(1000);
      }
    }
  }

  _post(out) {
    let url = this.url.replace(/\/+$/, '');
    if (out.janus !== 'create' && out.session_id) {
      url += `/${out.session_id}`;
      if (out.handle_id) url += `/${out.handle_id}`;
    }
    return fetch(url, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(out),
      cache: 'no-store', keepalive: out.janus === 'destroy',
    });
  }

  /* Sends a core request; resolves with the reply (for async: the event after the ack). */
  request(msg, { async = false, force = false } = {}) {
    if (!this._isOpen() || (this.reconnecting && !force)) {
      return Promise.reject(new JanusError('closed', 'not connected to the server'));
    }
    const transaction = newTransaction();
    const out = { ...msg, transaction };
    if (this.sessionId && out.janus !== 'create') out.session_id = this.sessionId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new JanusError('timeout', `no reply to "${msg.janus}" in ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.pending.set(transaction, { resolve, reject, async, timer });
      if (!this.http) {
        this.ws.send(JSON.stringify(out));
        return;
      }
      this._post(out).then((r) => r.json()).then((m) => this._receive(m)).catch((e) => {
        const p = this.pending.get(transaction);
        if (!p) return;
        this.pending.delete(transaction);
        clearTimeout(p.timer);
        p.reject(new JanusError(this.sessionId ? 'closed' : 'unreachable',
                                `the server is unreachable (${this.url}): ${e.message}`));
      });
    });
  }

  async attach(plugin) {
    const r = await this.request({ janus: 'attach', plugin });
    const handle = new Handle(this, r.data.id, plugin);
    this.handles.set(handle.id, handle);
    return handle;
  }

  async destroy() {
    if (this.closed) return;
    clearInterval(this.keepalive);
    if (this.sessionId) await this.request({ janus: 'destroy' }).catch(() => {});
    this._closed(null);
  }

  _destroyNow() {
    // Page unload: no time for a reply, just tell the server.
    if (!this._isOpen() || !this.sessionId) return;
    const msg = { janus: 'destroy', session_id: this.sessionId, transaction: newTransaction() };
    if (this.http) this._post(msg).catch(() => {});
    else this.ws.send(JSON.stringify(msg));
    this._closed(null);
  }

  _closed(reason) {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    window.removeEventListener('pagehide', this._unload);
    window.removeEventListener('beforeunload', this._unload);
    this._rejectPending('closed', reason || 'session destroyed');
    this.handles.clear();
    if (this.pollAbort) this.pollAbort.abort();
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
    if (reason && this.onclose) this.onclose(reason);
  }

  _dispatch(msg) {
    const waiter = msg.transaction ? this.pending.get(msg.transaction) : null;
    if (waiter) {
      if (msg.janus === 'ack' && waiter.async) return; // the event follows
      this.pending.delete(msg.transaction);
      clearTimeout(waiter.timer);
      if (msg.janus === 'error') {
        waiter.reject(new JanusError(msg.error?.code ?? 0, msg.error?.reason || 'error'));
      } else {
        waiter.resolve(msg);
      }
      return;
    }
    if (msg.janus === 'timeout') {
      this._closed('the session timed out');
      return;
    }
    const handle = this.handles.get(msg.sender);
    if (handle) handle._deliver(msg);
  }
}
