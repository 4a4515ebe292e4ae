// switchyard.js: a small, dependency-free client of the Janus API over WebSocket, for the
// Switchyard demo pages (ES module; any Janus-compatible server works).
//
// API
//   Janus.connect(url?, options?) -> Promise<Janus>
//       Opens the WebSocket (subprotocol "janus-protocol"; url defaults to
//       ws://<page host>:8188/), creates a session and sends a keepalive every 25 s.
//       Rejects with a JanusError (code 'unreachable') when the server cannot be reached.
//       options: { keepaliveMs = 25000, timeoutMs = 15000 (per request) }
//   janus.sessionId                  the session id
//   janus.attach(plugin) -> Promise<Handle>
//   janus.destroy() -> Promise        destroys the session and closes the socket; also done
//                                     (best effort) when the page is unloaded
//   janus.onclose = (reason) => {}    the socket closed or the session timed out / ended
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

export class Janus {
  constructor(ws, options) {
    this.ws = ws;
    this.options = options;
    this.sessionId = 0;
    this.handles = new Map();  // handle id -> Handle
    this.pending = new Map();  // transaction -> {resolve, reject, async, timer}
    this.onclose = null;
    this.closed = false;
    this.keepalive = 0;
    this._unload = () => this._destroyNow();
    ws.onmessage = (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      for (const m of Array.isArray(msg) ? msg : [msg]) this._dispatch(m);
    };
    ws.onclose = () => this._closed('the connection to the server was closed');
  }

  static connect(url = defaultServerUrl(), options = {}) {
    const opts = { keepaliveMs: 25000, timeoutMs: 15000, ...options };
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
      ws.onopen = async () => {
        ws.onerror = null;
        const janus = new Janus(ws, opts);
        try {
          const r = await janus.request({ janus: 'create' });
          janus.sessionId = r.data.id;
          janus.keepalive = setInterval(() => {
            janus.request({ janus: 'keepalive' }).catch(() => {});
          }, opts.keepaliveMs);
          window.addEventListener('pagehide', janus._unload);
          window.addEventListener('beforeunload', janus._unload);
          resolve(janus);
        } catch (e) {
          ws.close();
          reject(e);
        }
      };
    });
  }

  /* Sends a core request; resolves with the reply (for async: the event after the ack). */
  request(msg, { async = false } = {}) {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) {
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
      this.ws.send(JSON.stringify(out));
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
    this.ws.close();
  }

  _destroyNow() {
    // Page unload: no time for a reply, just tell the server.
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ janus: 'destroy', session_id: this.sessionId, transaction: newTransaction() }));
    this._closed(null);
    this.ws.close();
  }

  _closed(reason) {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    window.removeEventListener('pagehide', this._unload);
    window.removeEventListener('beforeunload', this._unload);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new JanusError('closed', reason || 'session destroyed'));
    }
    this.pending.clear();
    this.handles.clear();
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
      this.ws.close();
      return;
    }
    const handle = this.handles.get(msg.sender);
    if (handle) handle._deliver(msg);
  }
}
