// VideoRoom page: publish the camera and microphone to a room of janus.plugin.videoroom and
// receive every other publisher through ONE multistream subscription (one subscriber handle
// and one peer connection for the whole room, as Janus's multistream demo does): joined with
// the publishers present, then "subscribe"/"unsubscribe" as publishers come and go; every
// offer the plugin sends ("attached", "updated", autoupdate) is answered by switchyard.js's
// Subscription, and the tracks are sorted into tiles by the feed each mid carries.
//
// The camera is published with three simulcast layers (rids h/m/l, high to low; ?simulcast=0
// publishes one); each remote tile has a quality picker (configure {streams:[{mid, substream}]}
// with the subscription's mid of that feed's video), a stats overlay (resolution, fps, bitrate,
// refreshed each second) and a talking outline (videoroom "talking"/"stopped-talking" events,
// rooms with audiolevel_event = true). "Stop video" stops sending (replaceTrack(null)).
// URL parameters: name, room, server (ws(s):// or http(s)://…/janus for long polls), simulcast.
import { Janus, JanusError, publish, Subscription } from './switchyard.js';

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
  peer: null,        // its switchyard.js Peer
  sub: null,         // the one multistream Subscription (null until someone else publishes)
  subOps: Promise.resolve(),  // subscription changes, one at a time
  stream: null,      // local camera + microphone
  room: 0,
  id: 0,
  privateId: 0,
  display: '',
  feeds: new Map(),  // publisher id -> { id, display, tile, video, stream, videoMid, stats, ... }
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

// ---- the subscription ---------------------------------------------------------------------

/* Runs fn after the subscription changes queued before it (failures do not stop the queue). */
function subOp(fn) {
  const run = state.subOps.then(fn);
  state.subOps = run.catch((e) => console.warn('subscription change failed', e));
  return run;
}

/* A tile for a publisher, then a subscription to its streams. */
function addFeeds(pubs) {
  const ids = [];
  for (const pub of pubs) {
    if (pub.id === state.id || state.feeds.has(pub.id) || pub.dummy) continue;
    addTile(pub);
    ids.push(pub.id);
  }
  if (ids.length) subOp(() => subscribeFeeds(ids));
}

function addTile(pub) {
  const display = pub.display || `Participant ${pub.id}`;
  const feed = { id: pub.id, display, stream: new MediaStream(), videoMid: null, substream: null };
  state.feeds.set(pub.id, feed);
  const { fig, video, stats } = makeTile(display);
  Object.assign(feed, { tile: fig, video, statsEl: stats });
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
}

async function subscribeFeeds(ids) {
  ids = ids.filter((id) => state.feeds.has(id));
  if (!ids.length || !state.janus || state.leaving) return;
  const streams = ids.map((feed) => ({ feed }));
  try {
    if (!state.sub) {
      const sub = await Subscription.join(state.janus, { room: state.room, private_id: state.privateId, streams });
      if (state.leaving || !state.janus) { await sub.close(); return; }
      state.sub = sub;
      sub.onupdate = syncTracks;
      sub.onevent = onSubEvent;
      sub.handle.onhangup = (reason) => {
        if (state.sub === sub && !state.leaving) status(`Receiving stopped: ${reason}`, true);
      };
    } else {
      await state.sub.request({ request: 'subscribe', streams });
    }
    syncTracks();
  } catch (e) {
    if (state.leaving) return;
    if (ids.length > 1) {
      // One of them may have left meanwhile: take them one by one.
      for (const id of ids) await subscribeFeeds([id]);
      return;
    }
    if (state.sub && /too many streams/i.test(e.message)) {
      // The subscription ran out of m-lines: start a fresh one with everybody.
      await resubscribeAll();
      return;
    }
    const feed = state.feeds.get(ids[0]);
    console.warn(`subscription to ${feed?.display} failed`, e);
    if (feed) status(`Could not receive ${feed.display}: ${e.message}`, true);
    removeTile(ids[0]);
  }
}

async function resubscribeAll() {
  state.rebuilds = (state.rebuilds || 0) + 1;
  const old = state.sub;
  state.sub = null;
  await old?.close().catch(() => {});
  await subscribeFeeds([...state.feeds.keys()]);
}

/* Puts each received track in the stream of the tile of the feed its mid carries. */
function syncTracks() {
  const tracks = state.sub ? state.sub.tracks() : [];
  for (const feed of state.feeds.values()) {
    const mine = tracks.filter((t) => t.info.feed_id === feed.id);
    for (const t of feed.stream.getTracks()) {
      if (!mine.some((m) => m.track === t)) feed.stream.removeTrack(t);
    }
    for (const m of mine) if (!feed.stream.getTracks().includes(m.track)) feed.stream.addTrack(m.track);
    feed.videoMid = mine.find((m) => m.info.type === 'video')?.mid ?? null;
  }
}

function onSubEvent(data) {
  if (typeof data.substream === 'number' && data.mid !== undefined) {
    for (const feed of state.feeds.values()) {
      if (feed.videoMid === String(data.mid)) {
        feed.substream = data.substream;
        feed.tile.dataset.substream = String(data.substream);
      }
    }
  }
}

/* Simulcast layer received on a tile: 2 high, 1 medium, 0 low. */
async function setQuality(feed, substream) {
  if (feed.videoMid === null || !state.sub) throw new Error('no video yet');
  if (feed.picker) feed.picker.value = String(substream);
  await state.sub.request({ request: 'configure', streams: [{ mid: feed.videoMid, substream }] });
}

function removeTile(id) {
  const feed = state.feeds.get(id);
  if (!feed) return false;
  state.feeds.delete(id);
  feed.tile.remove();
  return true;
}

/* A publisher left or stopped publishing: drop its tile and its streams. */
function removeFeed(id) {
  if (!removeTile(id)) return;
  subOp(async () => {
    if (state.sub && !state.leaving) {
      await state.sub.request({ request: 'unsubscribe', streams: [{ feed: id }] }).catch(() => {});
    }
  });
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
  if (Array.isArray(data.publishers)) addFeeds(data.publishers);
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
    addFeeds(data.publishers || []);

    status('Publishing…');
    // Three simulcast layers unless ?simulcast=0; trickle ICE both ways (switchyard.js Peer).
    const published = await publish(state.pub, state.stream, { simulcast: SIMULCAST, body: { request: 'publish', display } });
    state.peer = published.peer;
    state.pc = published.peer.pc;
    state.videoSender = published.senders.video || null;
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
  const receiver = feed.videoMid !== null ? state.sub?.receiver(feed.videoMid) : null;
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
  for (const id of [...state.feeds.keys()]) removeTile(id);
  state.sub?.close().catch(() => {});
  state.sub = null;
  state.subOps = Promise.resolve();
  state.peer?.close();
  state.peer = null;
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
  /* Drops the streams of publisher id from the subscription and subscribes to them again. */
  resubscribe(id) {
    return subOp(async () => {
      await state.sub.request({ request: 'unsubscribe', streams: [{ feed: id }] });
      syncTracks();
      await subscribeFeeds([id]);
    });
  },
  /* What this page receives through: {handles, subscription, tracks: [{mid, kind, feed}]}. */
  receiving() {
    return {
      handles: state.janus ? state.janus.handles.size : 0, subscription: !!state.sub,
      tracks: (state.sub?.tracks() || []).map((t) => ({ mid: t.mid, kind: t.track.kind, feed: t.info.feed_id })),
    };
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
