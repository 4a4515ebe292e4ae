// TextRoom page: one data channel through janus.plugin.textroom, with the shared client
// library switchyard.js. Flow (as janus.js): attach, "setup" -> the server offers only a data
// channel section, we create our channel and answer with "ack" (trickle ICE both ways), then
// speak the TextRoom protocol ({"textroom": verb, "transaction", ...}) on the channel.
// URL parameter: server (ws(s):// or http(s)://…/janus for long polls).
import { Janus, JanusError, Peer, channelOpen } from './switchyard.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const status = (text, error = false) => {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
};

const state = {
  janus: null, handle: null, session: 0, peer: null, pc: null, dc: null,
  dcPending: new Map(), // data channel transactions
  room: 0, username: '', participants: new Map(), // username -> display
  messages: [],         // every TextRoom event received on the channel (for tests)
};
window.syText = state; // for tests and the curious

function tx() { return Math.random().toString(36).slice(2, 12); }

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
  state.peer?.close();
  if (state.janus) await state.janus.destroy().catch(() => {});
  try {
    state.janus = await Janus.connect(params.get('server') || undefined);
  } catch (e) {
    if (e instanceof JanusError && e.code === 'unreachable') throw new Error(`${e.message}. Is Switchyard running?`);
    throw e;
  }
  state.session = state.janus.sessionId;
  state.janus.onclose = (reason) => { left(`Disconnected: ${reason}.`, true); state.dc = null; };
  state.handle = await state.janus.attach('janus.plugin.textroom');
  state.handle.onhangup = (reason) => status(`Hung up: ${reason}`, true);
  const { jsep } = await state.handle.send({ request: 'setup' });
  if (!jsep) throw new Error('no offer from the plugin');
  state.peer = new Peer(state.handle);
  state.pc = state.peer.pc;
  // The server opens no channel: we open ours (its first channel is where replies go).
  const dc = state.pc.createDataChannel('JanusDataChannel', { ordered: true });
  state.dc = dc;
  dc.onmessage = (e) => onData(e.data);
  await state.peer.answer(jsep, { request: 'ack' });
  await channelOpen(dc);
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

function left(why, error = false) {
  state.joined = false;
  state.room = 0;
  for (const id of ['text', 'send', 'leave']) $(id).disabled = true;
  $('join').disabled = false;
  status(why, error);
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
