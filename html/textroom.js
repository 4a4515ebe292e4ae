// TextRoom page: a small Janus API client over WebSocket and one data channel.
// Flow (as janus.js): attach janus.plugin.textroom, "setup" -> server offer with only a
// data channel section, create our channel, answer with "ack", then speak the TextRoom
// protocol ({"textroom": verb, "transaction", ...}) on the channel.
const $ = (id) => document.getElementById(id);
const status = (text, error = false) => {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
};

const state = {
  ws: null, session: 0, handle: 0, pc: null, dc: null, keepalive: 0,
  pending: new Map(),   // Janus API transactions
  dcPending: new Map(), // data channel transactions
  room: 0, username: '', participants: new Map(), // username -> display
  messages: [],         // every TextRoom event received on the channel (for tests)
};
window.syText = state; // for tests and the curious

function tx() { return Math.random().toString(36).slice(2, 12); }

function send(msg) {
  const transaction = tx();
  msg.transaction = transaction;
  state.ws.send(JSON.stringify(msg));
  return new Promise((resolve, reject) => state.pending.set(transaction, { resolve, reject }));
}

function onJanus(msg) {
  const waiter = msg.transaction && state.pending.get(msg.transaction);
  if (msg.janus === 'ack' && waiter) return; // the event with this transaction follows
  if (waiter) {
    state.pending.delete(msg.transaction);
    if (msg.janus === 'error') waiter.reject(new Error(`${msg.error.code} ${msg.error.reason}`));
    else waiter.resolve(msg);
    return;
  }
  if (msg.janus === 'hangup') status(`Hung up: ${msg.reason}`, true);
}

function connect() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.hostname || 'localhost'}:8188/`, 'janus-protocol');
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error('the server is unreachable (WebSocket on port 8188)'));
    ws.onmessage = (e) => onJanus(JSON.parse(e.data));
    ws.onclose = () => { if (state.session) status('Disconnected from the server.', true); };
  });
}

// ---- the data channel protocol ----

function request(verb, fields = {}) {
  const transaction = tx();
  state.dc.send(JSON.stringify({ textroom: verb, transaction, ...fields }));
  return new Promise((resolve, reject) => {
    state.dcPending.set(transaction, { resolve, reject });
    setTimeout(() => {
      if (state.dcPending.delete(transaction)) reject(new Error(`no reply to ${verb}`));
    }, 10000);
  });
}
state.request = request;

function line(text, cls = '') {
  const p = document.createElement('p');
  p.textContent = text;
  if (cls) p.className = cls;
  $('chat').append(p);
  $('chat').scrollTop = $('chat').scrollHeight;
}

function showParticipants() {
  $('participants').replaceChildren(...[...state.participants].map(([u, d]) => {
    const li = document.createElement('li');
    li.textContent = d ? `${d} (${u})` : u;
    return li;
  }));
  const to = $('to');
  const chosen = to.value;
  to.replaceChildren(new Option('everyone', ''),
    ...[...state.participants.keys()].filter((u) => u !== state.username).map((u) => new Option(u, u)));
  to.value = state.participants.has(chosen) ? chosen : '';
}

const time = (date) => (date ? new Date(date.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')).toLocaleTimeString() : '');

function onData(raw) {
  let msg;
  try { msg = JSON.parse(raw); } catch { return; }
  const waiter = msg.transaction && state.dcPending.get(msg.transaction);
  if (waiter) {
    state.dcPending.delete(msg.transaction);
    if (msg.textroom === 'error') waiter.reject(new Error(`${msg.error_code} ${msg.error}`));
    else waiter.resolve(msg);
    return;
  }
  state.messages.push(msg);
  if (msg.room !== state.room) return;
  switch (msg.textroom) {
  case 'message': {
    const who = state.participants.get(msg.from) || msg.from;
    line(`[${time(msg.date)}] ${who}${msg.whisper ? ' (whisper)' : ''}: ${msg.text}`, msg.whisper ? 'whisper' : '');
    break;
  }
  case 'announcement': line(`[${time(msg.date)}] Announcement: ${msg.text}`, 'system'); break;
  case 'join':
    state.participants.set(msg.username, msg.display || '');
    showParticipants();
    line(`${msg.display || msg.username} joined`, 'system');
    break;
  case 'leave':
  case 'kicked':
    state.participants.delete(msg.username);
    showParticipants();
    line(`${msg.username} ${msg.textroom === 'kicked' ? 'was kicked' : 'left'}`, 'system');
    if (msg.username === state.username) left('You were kicked out.');
    break;
  case 'destroyed': left('The room was destroyed.'); break;
  default: break;
  }
}

// ---- Janus API: setup/ack ----

async function setup() {
  state.ws = await connect();
  state.session = (await send({ janus: 'create' })).data.id;
  state.keepalive = setInterval(() => send({ janus: 'keepalive', session_id: state.session }).catch(() => {}), 25000);
  state.handle = (await send({ janus: 'attach', session_id: state.session, plugin: 'janus.plugin.textroom' })).data.id;
  const ev = await send({ janus: 'message', session_id: state.session, handle_id: state.handle,
                          body: { request: 'setup' } });
  if (!ev.jsep) throw new Error(ev.plugindata?.data?.error || 'no offer from the plugin');
  const pc = new RTCPeerConnection();
  state.pc = pc;
  await pc.setRemoteDescription(ev.jsep);
  // The server opens no channel: we open ours (its first channel is where replies go).
  const dc = pc.createDataChannel('JanusDataChannel', { ordered: true });
  state.dc = dc;
  dc.onmessage = (e) => onData(e.data);
  const opened = new Promise((resolve, reject) => {
    dc.onopen = resolve;
    setTimeout(() => reject(new Error('the data channel did not open')), 15000);
  });
  await pc.setLocalDescription(await pc.createAnswer());
  // Half trickle: wait for our candidates, then send the complete answer.
  await new Promise((r) => {
    if (pc.iceGatheringState === 'complete') return r();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
    setTimeout(r, 2000);
  });
  const ack = await send({ janus: 'message', session_id: state.session, handle_id: state.handle,
                           body: { request: 'ack' }, jsep: { type: 'answer', sdp: pc.localDescription.sdp } });
  const data = ack.plugindata?.data || {};
  if (data.error) throw new Error(`${data.error_code} ${data.error}`);
  await opened;
}

async function join() {
  const username = $('username').value.trim();
  if (!username) { status('Choose a username first.', true); return; }
  $('join').disabled = true;
  try {
    if (!state.dc || state.dc.readyState !== 'open') {
      status('Connecting…');
      await setup();
    }
    const room = Number($('room').value);
    const fields = { room, username };
    if ($('display').value.trim()) fields.display = $('display').value.trim();
    if ($('pin').value) fields.pin = $('pin').value;
    const r = await request('join', fields);
    state.room = room;
    state.username = username;
    state.participants = new Map([[username, fields.display || ''],
      ...r.participants.map((p) => [p.username, p.display || ''])]);
    showParticipants();
    $('chat').replaceChildren();
    line(`You joined room ${room}.`, 'system');
    for (const id of ['text', 'send', 'leave']) $(id).disabled = false;
    status(`In room ${room} as ${username}.`);
    state.joined = true;
  } catch (e) {
    status(`Could not join: ${e.message}`, true);
    $('join').disabled = false;
  }
}

function left(why) {
  state.joined = false;
  state.room = 0;
  for (const id of ['text', 'send', 'leave']) $(id).disabled = true;
  $('join').disabled = false;
  status(why);
}

async function leave() {
  try { await request('leave', { room: state.room }); } catch (e) { status(`leave: ${e.message}`, true); }
  left('Left the room.');
}

async function sendMessage(text, to) {
  const fields = { room: state.room, text };
  if (to) fields.to = to;
  await request('message', fields);
  if (to) line(`you to ${to} (whisper): ${text}`, 'whisper'); // whispers are not echoed back
}
state.send = sendMessage;

$('form').onsubmit = async (e) => {
  e.preventDefault();
  const text = $('text').value;
  if (!text) return;
  $('text').value = '';
  try { await sendMessage(text, $('to').value); } catch (err) { status(`send: ${err.message}`, true); }
};
$('join').onclick = join;
$('leave').onclick = leave;
window.addEventListener('beforeunload', () => {
  if (state.session) state.ws?.send(JSON.stringify({ janus: 'destroy', session_id: state.session, transaction: tx() }));
});
