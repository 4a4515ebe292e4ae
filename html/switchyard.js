// switchyard.js: a small, dependency-free ES module client of the Janus API, written for the
// Switchyard demo pages (any Janus-compatible server works).
//
//   Janus         a session over WebSocket (or HTTP long polls): keepalive, transactions,
//                 events routed to handles by sender, reconnect with "claim", destroy on unload
//   Handle        a plugin handle: send(body, jsep) resolves with the (async) reply
//   Peer          an RTCPeerConnection bound to a handle, trickling ICE both ways
//   publish()     sends tracks (optionally with simulcast encodings) and negotiates them
//   Subscription  one multistream VideoRoom subscription: answers every offer, maps mids to feeds
//   channelOpen() waits for a data channel to open
//
// Example (VideoRoom):
//   import { Janus, publish, Subscription } from './switchyard.js';
//   const janus = await Janus.connect();                        // ws://<page host>:8188/
//   const pub = await janus.attach('janus.plugin.videoroom');
//   const { data } = await pub.send({ request: 'join', ptype: 'publisher', room: 1234, display: 'me' });
//   const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
//   await publish(pub, stream, { simulcast: true });
//   const sub = await Subscription.join(janus, { room: 1234, private_id: data.private_id,
//     streams: data.publishers.map((p) => ({ feed: p.id })) });
//   sub.ontrack = (track, info) => console.log(info.feed_display, track.kind);

/** An error of the API (Janus or plugin error code) or of the connection ('unreachable',
 *  'closed', 'timeout'). */
export class JanusError extends Error {
  /** @param {number|string} code  @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'JanusError';
    this.code = code;
  }
}

const newTransaction = () => Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls a user callback; an exception in it is logged, never breaks the library. */
function call(fn, ...args) {
  if (!fn) return undefined;
  try { return fn(...args); } catch (e) { console.error('switchyard.js: handler error', e); }
  return undefined;
}

/** The default server: the WebSocket API on the host that served the page. */
export function defaultServerUrl() {
  const host = location.hostname || 'localhost';
  return location.protocol === 'https:' ? `wss://${host}:8989/` : `ws://${host}:8188/`;
}

// ---- sessions and handles -------------------------------------------------------------------

/** A plugin handle. Set the on* callbacks to hear about unsolicited events. */
export class Handle {
  constructor(janus, id, plugin) {
    this.janus = janus;
    /** @type {number} */ this.id = id;
    /** @type {string} */ this.plugin = plugin;
    /** (data, jsep|null, msg) => void: plugin events that answer no request of ours */
    this.onevent = null;
    /** (msg) => void: ICE and DTLS are up */
    this.onwebrtcup = null;
    /** (reason, msg) => void: the server closed the peer connection */
    this.onhangup = null;
    /** (msg) => void: "media" (receiving or not) and "slowlink" notifications */
    this.onmedia = null;
    this.onslowlink = null;
    /** (msg) => void: the handle is gone */
    this.ondetached = null;
    /** (candidate) => void: the server's trickled candidates (a Peer sets this) */
    this.ontrickle = null;
  }

  /**
   * Sends a plugin "message". Synchronous replies and asynchronous ones ("ack", then the event
   * with the same transaction) both resolve with the plugin's data and the event's jsep.
   * Plugin errors (data.error_code) reject with a JanusError.
   * @param {object} body  @param {RTCSessionDescriptionInit} [jsep]
   * @param {{onack?: () => void}} [opts]  onack runs when the server has taken the message
   * @returns {Promise<{data: object, jsep: RTCSessionDescriptionInit|null}>}
   */
  async send(body, jsep, opts = {}) {
    const msg = { janus: 'message', handle_id: this.id, body };
    if (jsep) msg.jsep = { type: jsep.type, sdp: jsep.sdp };
    const reply = await this.janus.request(msg, { async: true, onack: opts.onack });
    const data = reply.plugindata?.data || {};
    if (data.error_code || data.error) {
      throw new JanusError(data.error_code || 0, data.error || 'plugin error');
    }
    return { data, jsep: reply.jsep || null };
  }

  /** Sends one local ICE candidate (RTCIceCandidate JSON) or, with null, the end of them. */
  trickle(candidate) {
    const c = candidate ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid,
                            sdpMLineIndex: candidate.sdpMLineIndex } : { completed: true };
    return this.janus.request({ janus: 'trickle', handle_id: this.id, candidate: c });
  }

  /** Detaches the handle (errors are ignored: the handle is gone either way). */
  async detach() {
    if (!this.janus.handles.has(this.id)) return;
    this.janus.handles.delete(this.id);
    await this.janus.request({ janus: 'detach', handle_id: this.id }).catch(() => {});
  }

  _deliver(msg) {
    switch (msg.janus) {
      case 'event': call(this.onevent, msg.plugindata?.data || {}, msg.jsep || null, msg); break;
      case 'trickle': call(this.ontrickle, msg.candidate || { completed: true }); break;
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

/** A Janus API session. Create it with Janus.connect(). */
export class Janus {
  constructor(url, options) {
    this.url = url;
    this.ws = null;
    this.http = /^https?:/i.test(url);
    this.options = options;
    /** @type {number} */ this.sessionId = 0;
    /** @type {Map<number, Handle>} */ this.handles = new Map();
    this.pending = new Map();  // transaction -> {resolve, reject, async, onack, timer}
    /** (reason) => void: the connection closed, or the session timed out or ended */
    this.onclose = null;
    /** (state) => void: 'lost' when the WebSocket dropped, 'reconnected' once claimed again */
    this.onreconnect = null;
    this.closed = false;
    this.reconnecting = false;
    this.keepalive = 0;
    this.pollAbort = null;
    this._unload = () => this._destroyNow();
  }

  /**
   * Connects and creates a session. ws(s):// urls use the WebSocket API (subprotocol
   * janus-protocol); http(s)://…/janus urls use REST requests and long polls
   * (GET <url>/<session>?maxev=10). When the WebSocket drops, the library reconnects and
   * claims the session (the server must keep it: reclaim_session_timeout); pending requests
   * fail with code 'closed'. Rejects with code 'unreachable' when the server cannot be reached.
   * @param {string} [url]  default: defaultServerUrl()
   * @param {{keepaliveMs?: number, timeoutMs?: number, reconnectAttempts?: number}} [options]
   *   defaults 25000 ms, 15000 ms per request, 5 attempts (0: no reconnection)
   * @returns {Promise<Janus>}
   */
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

  /**
   * Sends any core request (session_id and transaction are filled in).
   * @param {object} msg
   * @param {{async?: boolean, force?: boolean, onack?: () => void}} [opts]
   *   async: wait for the event after the "ack"; onack: called on that ack
   * @returns {Promise<object>} the reply (for async requests: the event)
   */
  request(msg, { async = false, force = false, onack = null } = {}) {
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
      this.pending.set(transaction, { resolve, reject, async, onack, timer });
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

  /** Attaches a plugin. @param {string} plugin e.g. 'janus.plugin.echotest' @returns {Promise<Handle>} */
  async attach(plugin) {
    const r = await this.request({ janus: 'attach', plugin });
    const handle = new Handle(this, r.data.id, plugin);
    this.handles.set(handle.id, handle);
    return handle;
  }

  /** Destroys the session and closes the connection. */
  async destroy() {
    if (this.closed) return;
    clearInterval(this.keepalive);
    if (this.sessionId) await this.request({ janus: 'destroy' }).catch(() => {});
    this._closed(null);
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
    call(this.onreconnect, 'lost');
    for (let i = 0; i < this.options.reconnectAttempts && !this.closed; i++) {
      await sleep(Math.min(500 * 2 ** i, 4000));
      if (this.closed) return;
      let ws;
      try { ws = await openWebSocket(this.url); } catch { continue; }
      this._useWebSocket(ws);
      try {
        await this.request({ janus: 'claim' }, { force: true });
        this.reconnecting = false;
        call(this.onreconnect, 'reconnected');
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

  /* HTTP: the long poll loop. */
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
    if (reason) call(this.onclose, reason);
  }

  _dispatch(msg) {
    const waiter = msg.transaction ? this.pending.get(msg.transaction) : null;
    if (waiter) {
      if (msg.janus === 'ack' && waiter.async) { call(waiter.onack); return; } // the event follows
      this.pending.delete(msg.transaction);
      clearTimeout(waiter.timer);
      if (msg.janus === 'error') {
        waiter.reject(new JanusError(msg.error?.code ?? 0, msg.error?.reason || 'error'));
      } else {
        call(waiter.onack);
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

// ---- peer connections -----------------------------------------------------------------------

/**
 * An RTCPeerConnection bound to a handle, with trickle ICE both ways: our candidates go to the
 * server as "trickle" requests once the message carrying our description was taken (then
 * {completed: true}); the server's trickled candidates (full_trickle) are added to the pc, held
 * until the remote description is set.
 */
export class Peer {
  /** @param {Handle} handle  @param {RTCConfiguration} [config] */
  constructor(handle, config = {}) {
    this.handle = handle;
    /** @type {RTCPeerConnection} */
    this.pc = new RTCPeerConnection(config);
    this._sent = false;      // our current description reached the server
    this._local = [];        // our candidates (null = end) waiting for that
    this._remote = [];       // the server's candidates waiting for its description
    /** candidates trickled so far: ours sent, the server's received */
    this.trickled = { local: 0, remote: 0 };
    this.pc.onicecandidate = (e) => {
      if (e.candidate && !e.candidate.candidate) return; // an empty one: the null follows
      const c = e.candidate ? e.candidate.toJSON() : null;
      if (this._sent) this._trickle(c); else this._local.push(c);
    };
    handle.ontrickle = (c) => {
      if (!c.completed) this.trickled.remote++;
      const cand = c.completed ? null : c;
      if (this.pc.remoteDescription) this._addRemote(cand); else this._remote.push(cand);
    };
  }

  /**
   * Creates an offer, sends it with the plugin request `body`, applies the answer if the reply
   * carries one. @param {object} body  @param {RTCOfferOptions} [options]
   * @returns {Promise<{data: object, jsep: RTCSessionDescriptionInit|null}>}
   */
  async offer(body, options) {
    const desc = await this.pc.createOffer(options);
    await this._setLocal(desc);
    const reply = await this.handle.send(body, desc, { onack: () => this._flushLocal() });
    this._flushLocal();
    if (reply.jsep?.type === 'answer') await this.setRemote(reply.jsep);
    return reply;
  }

  /**
   * Applies the server's offer and sends our answer with the plugin request `body`.
   * @param {RTCSessionDescriptionInit} offer  @param {object} body e.g. {request: 'start'}
   * @returns {Promise<{data: object, jsep: RTCSessionDescriptionInit|null}>}
   */
  async answer(offer, body) {
    await this.setRemote(offer);
    const desc = await this.pc.createAnswer();
    await this._setLocal(desc);
    const reply = await this.handle.send(body, desc, { onack: () => this._flushLocal() });
    this._flushLocal();
    return reply;
  }

  /** Applies a remote description, then the candidates trickled before it. */
  async setRemote(jsep) {
    await this.pc.setRemoteDescription({ type: jsep.type, sdp: jsep.sdp });
    const held = this._remote;
    this._remote = [];
    for (const c of held) this._addRemote(c);
  }

  /** Closes the peer connection (the handle stays). */
  close() {
    this.pc.onicecandidate = null;
    if (this.handle.ontrickle) this.handle.ontrickle = null;
    this.pc.close();
  }

  async _setLocal(desc) {
    this._sent = false;
    await this.pc.setLocalDescription(desc);
  }

  _flushLocal() {
    if (this._sent) return;
    this._sent = true;
    const held = this._local;
    this._local = [];
    for (const c of held) this._trickle(c);
  }

  _trickle(c) {
    if (c) this.trickled.local++;
    // One at a time, so that over HTTP too "completed" arrives after the last candidate.
    this._trickles = (this._trickles || Promise.resolve())
      .then(() => this.handle.trickle(c))
      .catch((e) => console.warn('switchyard.js: trickle failed', e.message));
  }

  _addRemote(c) {
    // No argument: the end of the server's candidates.
    (c ? this.pc.addIceCandidate(c) : this.pc.addIceCandidate())
      .catch((e) => console.warn('switchyard.js: remote candidate rejected', e.message));
  }
}

/** Three simulcast layers, high to low (the rid order Janus expects by default). */
export const SIMULCAST_ENCODINGS = [
  { rid: 'h', maxBitrate: 1200000 },
  { rid: 'm', maxBitrate: 400000, scaleResolutionDownBy: 2 },
  { rid: 'l', maxBitrate: 150000, scaleResolutionDownBy: 4 },
];

/**
 * Publishes the tracks of `stream` on `handle`: one transceiver per track (video with
 * simulcast encodings if asked), an offer sent with `body`, the answer applied.
 * @param {Handle} handle
 * @param {MediaStream} stream
 * @param {{body?: object, direction?: RTCRtpTransceiverDirection, simulcast?: boolean,
 *          encodings?: RTCRtpEncodingParameters[], peer?: Peer, dataChannel?: string}} [opts]
 *   body defaults to {request: 'publish'}; direction to 'sendonly' ('sendrecv' for EchoTest);
 *   dataChannel: also open a data channel with that label (see peer.channel)
 * @returns {Promise<{peer: Peer, data: object, senders: Object<string, RTCRtpSender>}>}
 *   senders by kind ('audio', 'video'), e.g. for replaceTrack(null) to stop sending video
 */
export async function publish(handle, stream, opts = {}) {
  const { body = { request: 'publish' }, direction = 'sendonly', simulcast = false,
          encodings = SIMULCAST_ENCODINGS } = opts;
  const peer = opts.peer || new Peer(handle);
  const senders = {};
  for (const track of stream.getTracks()) {
    const init = { direction, streams: [stream] };
    if (track.kind === 'video' && simulcast) init.sendEncodings = encodings.map((e) => ({ ...e }));
    senders[track.kind] = peer.pc.addTransceiver(track, init).sender;
  }
  if (opts.dataChannel) peer.channel = peer.pc.createDataChannel(opts.dataChannel, { ordered: true });
  try {
    const { data } = await peer.offer(body);
    return { peer, data, senders };
  } catch (e) {
    if (!opts.peer) peer.close();
    throw e;
  }
}

/**
 * Resolves when the data channel is open; rejects after timeoutMs or if it closes.
 * @param {RTCDataChannel} channel  @param {number} [timeoutMs]
 */
export function channelOpen(channel, timeoutMs = 15000) {
  if (channel.readyState === 'open') return Promise.resolve(channel);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('the data channel did not open')), timeoutMs);
    function done(err) {
      clearTimeout(timer);
      channel.removeEventListener('open', onopen);
      channel.removeEventListener('close', onclose);
      if (err) reject(err); else resolve(channel);
    }
    function onopen() { done(null); }
    function onclose() { done(new Error('the data channel closed')); }
    channel.addEventListener('open', onopen);
    channel.addEventListener('close', onclose);
  });
}

/**
 * One multistream VideoRoom subscription: a single handle and peer connection receiving any
 * number of publishers' streams. Every offer from the plugin (the join's, the replies to
 * subscribe/unsubscribe, unsolicited "updated" ones) is answered with "start", one at a time.
 * `streams` follows the plugin's view (attached/updated: mid -> {feed_id, feed_display, type,
 * active, …}); `tracks()` pairs each active stream with its receiving track.
 */
export class Subscription {
  /** @param {Handle} handle  @param {RTCConfiguration} [config] */
  constructor(handle, config) {
    this.handle = handle;
    this.peer = new Peer(handle, config);
    this.pc = this.peer.pc;
    /** @type {Map<string, object>} mid -> the plugin's stream entry */
    this.streams = new Map();
    /** () => void: the streams or tracks changed (after each negotiation) */
    this.onupdate = null;
    /** (data) => void: other events on the handle (e.g. {substream} layer changes) */
    this.onevent = null;
    this._chain = Promise.resolve();
    handle.onevent = (data, jsep) => {
      this._note(data);
      if (jsep?.type === 'offer') {
        this._serial(() => this._answer(jsep)).catch((e) => console.warn('switchyard.js: renegotiation failed', e));
      }
      call(this.onevent, data);
    };
  }

  /**
   * Attaches the VideoRoom, joins as a subscriber and answers the offer.
   * @param {Janus} janus
   * @param {object} join  {room, private_id?, streams: [{feed, mid?}], …} (request and ptype are set)
   * @returns {Promise<Subscription>}
   */
  static async join(janus, join) {
    const handle = await janus.attach('janus.plugin.videoroom');
    const sub = new Subscription(handle);
    try {
      await sub.request({ ...join, request: 'join', ptype: 'subscriber' });
    } catch (e) {
      await sub.close();
      throw e;
    }
    return sub;
  }

  /**
   * Sends a request on the subscription (subscribe, unsubscribe, update, configure, switch…)
   * and, if the reply carries an offer, answers it. Requests run one at a time.
   * @returns {Promise<object>} the reply's data
   */
  request(body) {
    return this._serial(async () => {
      const { data, jsep } = await this.handle.send(body);
      this._note(data);
      if (jsep?.type === 'offer') await this._answer(jsep);
      return data;
    });
  }

  /** Active streams with their tracks: [{mid, track, info}] (info: the plugin's entry). */
  tracks() {
    const out = [];
    for (const t of this.pc.getTransceivers()) {
      const info = t.mid !== null ? this.streams.get(t.mid) : null;
      if (info && info.active !== false && info.feed_id && t.receiver.track) {
        out.push({ mid: t.mid, track: t.receiver.track, info });
      }
    }
    return out;
  }

  /** The receiver of a mid (for getStats). @returns {RTCRtpReceiver|null} */
  receiver(mid) {
    return this.pc.getTransceivers().find((t) => t.mid === mid)?.receiver || null;
  }

  /** Leaves, closes the peer connection and detaches the handle. */
  async close() {
    this.peer.close();
    await this.handle.detach();
  }

  _note(data) {
    if (!Array.isArray(data.streams)) return;
    if (data.videoroom !== 'attached' && data.videoroom !== 'updated') return;
    this.streams = new Map(data.streams.map((s) => [String(s.mid), s]));
  }

  async _answer(offer) {
    await this.peer.answer(offer, { request: 'start' });
    call(this.onupdate);
  }

  _serial(fn) {
    const run = this._chain.then(fn, fn);
    this._chain = run.catch(() => {});
    return run;
  }
}
