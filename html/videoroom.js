// VideoRoom page: publish the camera and microphone to a room of janus.plugin.videoroom and
// subscribe to every other publisher (one subscription, i.e. one handle and one peer
// connection, per remote publisher). Uses the shared client library switchyard.js.
//
// The camera is published with three simulcast layers (rids h/m/l, high to low; ?simulcast=0
// publishes one); each remote tile has a quality picker (configure {streams:[{mid, substream}]}),
// a stats overlay (resolution, fps, bitrate, refreshed each second) and a talking outline
// (videoroom "talking"/"stopped-talking" events, rooms with audiolevel_event = true).
// "Stop video" stops sending (replaceTrack(null)), not just black frames.
// URL parameters: name, room, server (ws(s):// or http(s)://…/janus for long polls), simulcast.
import { Janus, JanusError, localDescription } from './switchyard.js';

const PLUGIN = 'janus.plugin.videoroom';
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const SIMULCAST = params.get('simulcast') !== '0';  // ?simulcast=0 publishes one layer
const QUALITIES = [['2', 'high'], ['1', 'medium'], ['0', 'low']];

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
  feeds: new Map(),  // publisher id -> { id, display, handle, pc, tile, video, stream, stats, ... }
  talking: new Set(),  // publisher ids currently talking
  talkingEvents: 0,  // talking events received so far
  statsTimer: 0,
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
  const stats = document.createElement('span');
  stats.className = 'stats';
  fig.append(video, cap, stats);
  $('grid').append(fig);
  return { fig, video, stats };
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
  const { fig, video, stats } = makeTile(display);
  feed.tile = fig;
  feed.video = video;
  feed.statsEl = stats;
  feed.substream = null;
  const picker = document.createElement('select');
  picker.className = 'quality';
  picker.title = 'quality received (simulcast layer)';
  for (const [v, label] of QUALITIES) picker.append(new Option(label, v));
  picker.onchange = () => setQuality(feed, Number(picker.value))
    .catch((e) => status(`Could not change the quality of ${display}: ${e.message}`, true));
  feed.picker = picker;
  fig.append(picker);
  if (state.talking.has(pub.id)) fig.classList.add('talking');
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
      if (typeof data.substream === 'number') {
        feed.substream = data.substream;
        feed.tile.dataset.substream = String(data.substream);
      }
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

function videoMid(feed) {
  return feed.pc?.getTransceivers().find((t) => t.receiver.track?.kind === 'video')?.mid ?? null;
}

/* Simulcast layer received on a tile: 2 high, 1 medium, 0 low. */
async function setQuality(feed, substream) {
  const mid = videoMid(feed);
  if (mid === null || !feed.handle) throw new Error('no video yet');
  if (feed.picker) feed.picker.value = String(substream);
  await feed.handle.send({ request: 'configure', streams: [{ mid, substream }] });
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

function setTalking(id, talking) {
  if (talking) state.talking.add(id); else state.talking.delete(id);
  const fig = id === state.id ? state.localTile : state.feeds.get(id)?.tile;
  fig?.classList.toggle('talking', talking);
}

function onRoomEvent(data) {
  if (data.videoroom === 'talking' || data.videoroom === 'stopped-talking') {
    state.talkingEvents++;
    setTalking(data.id, data.videoroom === 'talking');
    return;
  }
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
    state.janus.onreconnect = (what) => {
      state.reconnects = (state.reconnects || 0) + (what === 'reconnected' ? 1 : 0);
      if (what === 'lost') status('Connection lost, reconnecting…', true);
      else status(`In room ${state.room} as ${display}: reconnected.`);
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
    for (const track of state.stream.getTracks()) {
      if (track.kind === 'video' && SIMULCAST) {
        // Three layers, listed high to low (Janus's default rid order).
        state.videoSender = state.pc.addTransceiver(track, { direction: 'sendonly', streams: [state.stream], sendEncodings: [
          { rid: 'h', maxBitrate: 1200000 },
          { rid: 'm', maxBitrate: 400000, scaleResolutionDownBy: 2 },
          { rid: 'l', maxBitrate: 150000, scaleResolutionDownBy: 4 },
        ] }).sender;
      } else {
        const { sender } = state.pc.addTransceiver(track, { direction: 'sendonly', streams: [state.stream] });
        if (track.kind === 'video') state.videoSender = sender;
      }
    }
    const offer = await localDescription(state.pc, 'offer');
    const { jsep } = await state.pub.send({ request: 'publish', display }, offer);
    if (!jsep) throw new Error('no answer from the server');
    await state.pc.setRemoteDescription(jsep);
    if (!/publishing/.test($('status').textContent)) status(`In room ${state.room} as ${display}: connecting media…`);
    $('leave').disabled = false;
    $('mute-audio').disabled = false;
    $('mute-video').disabled = false;
    clearInterval(state.statsTimer);
    state.statsTimer = setInterval(() => refreshStats().catch(() => {}), 1000);
  } catch (e) {
    console.warn('join failed', e);
    await leave({ quiet: true });
    // VideoRoom error codes (janus-api.md 2.7) worth a plain-language message.
    const why = { 432: 'the room is full: every publisher slot is taken',
                  426: `there is no room ${state.room}`,
                  433: 'the room needs a PIN or a token you did not give' }[e.code];
    status(`Could not join: ${why || e.message}`, true);
  }
}

// ---- stats overlay ----------------------------------------------------------------------

async function videoStats(feed) {
  const receiver = feed.pc?.getReceivers().find((r) => r.track?.kind === 'video');
  let s = null;
  if (receiver) {
    (await receiver.getStats()).forEach((x) => {
      if (x.type === 'inbound-rtp' && x.kind === 'video') s = x;
    });
  }
  return s;
}

async function refreshStats() {
  for (const feed of [...state.feeds.values()]) {
    const s = await videoStats(feed);
    if (!s || !feed.statsEl) continue;
    const prev = feed.prevStats;
    feed.prevStats = { t: s.timestamp, bytes: s.bytesReceived || 0, frames: s.framesDecoded || 0 };
    let kbps = 0;
    let fps = s.framesPerSecond || 0;
    if (prev && s.timestamp > prev.t) {
      const dt = (s.timestamp - prev.t) / 1000;
      kbps = Math.round(((s.bytesReceived || 0) - prev.bytes) * 8 / 1000 / dt);
      fps = Math.round(((s.framesDecoded || 0) - prev.frames) / dt);
    }
    feed.stats = { width: s.frameWidth || 0, height: s.frameHeight || 0, fps, kbps };
    feed.statsEl.textContent = `${feed.stats.width}x${feed.stats.height} · ${fps} fps · ${kbps} kbit/s`;
  }
}

function cleanup() {
  clearInterval(state.statsTimer);
  state.statsTimer = 0;
  state.talking.clear();
  for (const id of [...state.feeds.keys()]) removeFeed(id);
  state.pc?.close();
  state.pc = null;
  state.videoSender = null;
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
  if (kind === 'video') {
    // A disabled track still sends (black) frames: stop sending altogether.
    const sender = state.videoSender;
    if (sender) sender.replaceTrack(enable ? tracks[0] : null).catch((e) => console.warn('replaceTrack', e));
  }
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
      const s = await videoStats(feed);
      out.push({
        id: feed.id, display: feed.display, framesDecoded: s?.framesDecoded || 0,
        width: s?.frameWidth || 0, substream: feed.substream,
        talking: feed.tile.classList.contains('talking'), stats: feed.stats || null,
      });
    }
    return out;
  },
  /* Picks the simulcast layer of the tile of publisher id (2 high, 1 medium, 0 low). */
  setQuality(id, substream) {
    const feed = state.feeds.get(id);
    if (!feed) return Promise.reject(new Error(`no tile for ${id}`));
    return setQuality(feed, substream);
  },
  simulcast: SIMULCAST,
};

$('display').value = params.get('name') || '';
if (params.get('room')) $('room').value = params.get('room');
$('join').onclick = join;
$('leave').onclick = () => leave();
$('mute-audio').onclick = () => toggle('audio');
$('mute-video').onclick = () => toggle('video');
$('display').onkeydown = (e) => { if (e.key === 'Enter' && !$('join').disabled) join(); };
