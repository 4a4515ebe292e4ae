// VideoRoom page: publish the camera and microphone to a room of janus.plugin.videoroom and
// subscribe to every other publisher (one subscription, i.e. one handle and one peer
// connection, per remote publisher). Uses the shared client library switchyard.js.
import { Janus, JanusError, localDescription } from './switchyard.js';

const PLUGIN = 'janus.plugin.videoroom';
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const status = (text, error = false) => {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
};

const state = {
  janus: null,
  pub: null,         // publisher handle
  pc: null,          // publisher peer connection
  stream: null,      // local camera + microphone
  room: 0,
  id: 0,
  privateId: 0,
  display: '',
  feeds: new Map(),  // publisher id -> { id, display, handle, pc, tile, video, stream }
  localTile: null,
  leaving: false,
};

// ---- tiles -------------------------------------------------------------------------------

function makeTile(display, { local = false } = {}) {
  const fig = document.createElement('figure');
  fig.className = local ? 'tile local' : 'tile';
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  if (local) video.muted = true;
  const cap = document.createElement('figcaption');
  cap.textContent = local ? `${display} (you)` : display;
  fig.append(video, cap);
  $('grid').append(fig);
  return { fig, video };
}

function setMutedBadge(fig, text) {
  let badge = fig.querySelector('.muted');
  if (!text) { badge?.remove(); return; }
  if (!badge) {
    badge = document.createElement('span');
    badge.className = 'muted';
    fig.append(badge);
  }
  badge.textContent = text;
}

// ---- subscriptions -----------------------------------------------------------------------

async function answerOffer(feed, offer) {
  await feed.pc.setRemoteDescription(offer);
  const answer = await localDescription(feed.pc, 'answer');
  await feed.handle.send({ request: 'start' }, answer);
}

async function subscribe(pub) {
  if (pub.id === state.id || state.feeds.has(pub.id) || pub.dummy) return;
  const display = pub.display || `Participant ${pub.id}`;
  const feed = { id: pub.id, display, handle: null, pc: null, stream: new MediaStream() };
  state.feeds.set(pub.id, feed);
  const { fig, video } = makeTile(display);
  feed.tile = fig;
  feed.video = video;
  fig.dataset.feed = String(pub.id);
  video.srcObject = feed.stream;
  try {
    feed.handle = await state.janus.attach(PLUGIN);
    if (!state.feeds.has(pub.id)) { await feed.handle.detach(); return; }
    feed.pc = new RTCPeerConnection();
    feed.pc.ontrack = (e) => {
      feed.stream.addTrack(e.track);
      e.track.onended = () => feed.stream.removeTrack(e.track);
    };
    // Renegotiations offered by the plugin (e.g. "updated" after a change of the feed).
    feed.handle.onevent = (data, jsep) => {
      if (jsep?.type === 'offer' && feed.pc) {
        answerOffer(feed, jsep).catch((e) => console.warn('renegotiation failed', e));
      }
    };
    feed.handle.onhangup = () => { if (state.feeds.get(pub.id) === feed) removeFeed(pub.id); };
    const { jsep } = await feed.handle.send({
      request: 'join', ptype: 'subscriber', room: state.room, private_id: state.privateId,
      streams: [{ feed: pub.id }],
    });
    if (!jsep) throw new Error('no offer from the server');
    if (!state.feeds.has(pub.id)) return;
    await answerOffer(feed, jsep);
  } catch (e) {
    console.warn(`subscription to ${display} failed`, e);
    if (state.feeds.get(pub.id) === feed && !state.leaving) {
      status(`Could not receive ${display}: ${e.message}`, true);
      removeFeed(pub.id);
    }
  }
}

function removeFeed(id) {
  const feed = state.feeds.get(id);
  if (!feed) return;
  state.feeds.delete(id);
  feed.tile.remove();
  feed.pc?.close();
  feed.handle?.detach();
}

// ---- publisher -----------------------------------------------------------------------------

function onRoomEvent(data) {
  if (Array.isArray(data.publishers)) data.publishers.forEach((p) => subscribe(p));
  const gone = typeof data.unpublished === 'number' ? data.unpublished
    : typeof data.leaving === 'number' ? data.leaving
      : typeof data.kicked === 'number' ? data.kicked : 0;
  if (gone) removeFeed(gone);
  if (data.leaving === 'ok' && data.reason === 'kicked') {
    cleanup();
    status('You were kicked out of the room.', true);
  }
  if (data.videoroom === 'destroyed') {
    cleanup();
    status('The room was destroyed.', true);
  }
}

async function join() {
  const display = $('display').value.trim();
  if (!display) { status('Please type a name first.', true); $('display').focus(); return; }
  state.room = Number($('room').value) || 1234;
  state.display = display;
  state.leaving = false;
  $('join').disabled = true;
  $('display').disabled = true;
  $('room').disabled = true;
  try {
    status('Asking for the camera and microphone…');
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({
        audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } },
      });
    } catch (e) {
      const why = e.name === 'NotAllowedError' ? 'access to the camera or microphone was refused'
        : e.name === 'NotFoundError' ? 'no camera or microphone was found'
          : `the camera or microphone is not available (${e.name})`;
      throw new Error(`${why}. Allow them in the browser and try again.`);
    }
    const local = makeTile(display, { local: true });
    state.localTile = local.fig;
    local.video.srcObject = state.stream;

    status('Connecting to the server…');
    try {
      state.janus = await Janus.connect(params.get('server') || undefined);
    } catch (e) {
      if (e instanceof JanusError && e.code === 'unreachable') {
        throw new Error(`${e.message}. Is Switchyard running?`);
      }
      throw e;
    }
    state.janus.onclose = (reason) => {
      if (state.leaving) return;
      cleanup();
      status(`Disconnected: ${reason}.`, true);
    };
    state.pub = await state.janus.attach(PLUGIN);
    state.pub.onevent = (data) => onRoomEvent(data);
    state.pub.onhangup = (reason) => { if (!state.leaving) status(`Publishing stopped: ${reason}`, true); };
    state.pub.onwebrtcup = () => status(`In room ${state.room} as ${display}: publishing.`);

    status(`Joining room ${state.room}…`);
    const { data } = await state.pub.send({ request: 'join', ptype: 'publisher', room: state.room, display });
    state.id = data.id;
    state.privateId = data.private_id;
    (data.publishers || []).forEach((p) => subscribe(p));

    status('Publishing…');
    state.pc = new RTCPeerConnection();
    for (const track of state.stream.getTracks()) state.pc.addTrack(track, state.stream);
    const offer = await localDescription(state.pc, 'offer');
    const { jsep } = await state.pub.send({ request: 'publish', display }, offer);
    if (!jsep) throw new Error('no answer from the server');
    await state.pc.setRemoteDescription(jsep);
    if (!/publishing/.test($('status').textContent)) status(`In room ${state.room} as ${display}: connecting media…`);
    $('leave').disabled = false;
    $('mute-audio').disabled = false;
    $('mute-video').disabled = false;
  } catch (e) {
    console.warn('join failed', e);
    await leave({ quiet: true });
    status(`Could not join: ${e.message}`, true);
  }
}

function cleanup() {
  for (const id of [...state.feeds.keys()]) removeFeed(id);
  state.pc?.close();
  state.pc = null;
  state.stream?.getTracks().forEach((t) => t.stop());
  state.stream = null;
  state.localTile?.remove();
  state.localTile = null;
  state.pub = null;
  state.id = 0;
  $('join').disabled = false;
  $('display').disabled = false;
  $('room').disabled = false;
  $('leave').disabled = true;
  $('mute-audio').disabled = true;
  $('mute-video').disabled = true;
  $('mute-audio').textContent = 'Mute audio';
  $('mute-video').textContent = 'Stop video';
}

async function leave({ quiet = false } = {}) {
  state.leaving = true;
  const { janus, pub } = state;
  if (pub && state.id) await pub.send({ request: 'leave' }).catch(() => {});
  cleanup();
  state.janus = null;
  if (janus) await janus.destroy().catch(() => {});
  if (!quiet) status('You left the room.');
}

function toggle(kind) {
  const tracks = state.stream?.getTracks().filter((t) => t.kind === kind) || [];
  if (!tracks.length) return;
  const enable = !tracks[0].enabled;
  tracks.forEach((t) => { t.enabled = enable; });
  if (kind === 'audio') $('mute-audio').textContent = enable ? 'Mute audio' : 'Unmute audio';
  else $('mute-video').textContent = enable ? 'Stop video' : 'Start video';
  const off = state.stream.getTracks().filter((t) => !t.enabled).map((t) => t.kind);
  if (state.localTile) setMutedBadge(state.localTile, off.length ? `${off.join(' + ')} off` : '');
}

// ---- for tests and the curious -------------------------------------------------------------

window.syRoom = {
  state,
  /* Remote tiles with their video stats: Promise<[{id, display, framesDecoded, width}]>. */
  async tiles() {
    const out = [];
    for (const feed of state.feeds.values()) {
      let framesDecoded = 0;
      let width = 0;
      const receiver = feed.pc?.getReceivers().find((r) => r.track?.kind === 'video');
      if (receiver) {
        const report = await receiver.getStats();
        report.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') {
            framesDecoded = s.framesDecoded || 0;
            width = s.frameWidth || 0;
          }
        });
      }
      out.push({ id: feed.id, display: feed.display, framesDecoded, width });
    }
    return out;
  },
};

$('display').value = params.get('name') || '';
if (params.get('room')) $('room').value = params.get('room');
$('join').onclick = join;
$('leave').onclick = () => leave();
$('mute-audio').onclick = () => toggle('audio');
$('mute-video').onclick = () => toggle('video');
$('display').onkeydown = (e) => { if (e.key === 'Enter' && !$('join').disabled) join(); };
