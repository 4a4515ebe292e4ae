// The Janus WebSocket API by hand for the bare VideoRoom test pages (vr_simulcast.html,
// vr_svc.html, vr_reneg.html): a minimal client (transactions, async events, keepalive),
// and a wait for ICE gathering. Classic script: its top-level names are the pages' globals.
'use strict';
const log = (...a) => console.log(...a);

class Janus {
  constructor(url) { this.url = url; this.pending = new Map(); this.events = []; this.waiters = []; }
  connect() {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(this.url, 'janus-protocol');
      this.ws.onopen = resolve;
      this.ws.onerror = () => reject(new Error('websocket error'));
      this.ws.onmessage = (e) => this.onMessage(JSON.parse(e.data));
    });
  }
  onMessage(m) {
    const p = m.transaction && this.pending.get(m.transaction);
    if (p && m.janus === 'ack' && p.async) return;  // the event follows
    if (p) { this.pending.delete(m.transaction); p.resolve(m); return; }
    this.events.push(m);
    this.waiters = this.waiters.filter((w) => !(w.pred(m) && (w.resolve(m), true)));
  }
  send(msg, isAsync = false) {
    const transaction = Math.random().toString(36).slice(2);
    return new Promise((resolve) => {
      this.pending.set(transaction, { resolve, async: isAsync });
      this.ws.send(JSON.stringify({ ...msg, transaction }));
    });
  }
  waitEvent(pred) {
    const m = this.events.find(pred);
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
  async session() {
    const r = await this.send({ janus: 'create' });
    this.sessionId = r.data.id;
    this.keepalive = setInterval(() => this.send({ janus: 'keepalive', session_id: this.sessionId }), 20000);
  }
  async attach() {
    const r = await this.send({ janus: 'attach', session_id: this.sessionId, plugin: 'janus.plugin.videoroom' });
    return r.data.id;
  }
  async message(handle, body, jsep) {
    const msg = { janus: 'message', session_id: this.sessionId, handle_id: handle, body };
    if (jsep) msg.jsep = jsep;
    const r = await this.send(msg, true);
    const data = r.plugindata && r.plugindata.data;
    if (!data || data.error_code) throw new Error(`${body.request}: ${JSON.stringify(r)}`);
    return { data, jsep: r.jsep };
  }
}

async function iceDone(pc) {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise((resolve) => {
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
  });
}
