// EchoTest page: the camera and microphone go to janus.plugin.echotest and come back; a data
// channel echoes text. Uses the shared client library switchyard.js (trickle ICE both ways).
// URL parameter: server (ws(s):// or http(s)://…/janus for long polls).
import { Janus, JanusError, publish, channelOpen } from './switchyard.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const status = (text, error = false) => {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
};

const state = { janus: null, handle: null, peer: null, pc: null, stream: null, channel: null,
                stats: null, echoed: [] };
window.syEcho = state; // for tests and the curious

const settings = () => {
  const body = { audio: $('audio').checked, video: $('video').checked,
                 substream: Number($('substream').value) };
  const bitrate = Number($('bitrate').value) * 1000;
  if (bitrate > 0) body.bitrate = bitrate;
  return body;
};

async function start() {
  $('start').disabled = true;
  try {
    status('Asking for the camera and microphone…');
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    } catch (e) {
      const why = e.name === 'NotAllowedError' ? 'access to the camera or microphone was refused'
        : `the camera or microphone is not available (${e.name})`;
      throw new Error(`${why}. Allow them in the browser and try again.`);
    }
    $('local').srcObject = state.stream;
    status('Connecting…');
    try {
      state.janus = await Janus.connect(params.get('server') || undefined);
    } catch (e) {
      if (e instanceof JanusError && e.code === 'unreachable') throw new Error(`${e.message}. Is Switchyard running?`);
      throw e;
    }
    state.janus.onclose = (reason) => { stop(); status(`Disconnected: ${reason}.`, true); };
    state.handle = await state.janus.attach('janus.plugin.echotest');
    state.handle.onwebrtcup = () => status('Connected: media flows through Switchyard.');
    state.handle.onhangup = (reason) => status(`Hung up: ${reason}`, true);
    state.handle.onevent = (data) => { if (data.error) status(`Error ${data.error_code}: ${data.error}`, true); };
    const remote = new MediaStream();
    $('remote').srcObject = remote;
    const { peer } = await publish(state.handle, state.stream, {
      body: settings(), direction: 'sendrecv', simulcast: $('simulcast').checked, dataChannel: 'JanusDataChannel',
    });
    state.peer = peer;
    state.pc = peer.pc;
    peer.pc.ontrack = (e) => remote.addTrack(e.track);
    peer.pc.getReceivers().forEach((r) => r.track && remote.addTrack(r.track));
    state.channel = peer.channel;
    state.channel.onmessage = (e) => {
      state.echoed.push(e.data);
      const p = document.createElement('p');
      p.textContent = `echoed: ${e.data}`;
      $('echoed').append(p);
    };
    channelOpen(state.channel).then(() => { $('text').disabled = false; $('send').disabled = false; })
      .catch((e) => console.warn(e.message));
    $('stop').disabled = false;
    if (!/Connected/.test($('status').textContent)) status('Negotiated, waiting for ICE and DTLS…');
  } catch (e) {
    await stop({ quiet: true });
    status(`Could not start: ${e.message}`, true);
  }
}

// An ICE restart: new credentials on both sides, same DTLS association. Returns the new answer.
async function restartIce() {
  const { jsep } = await state.peer.offer({ audio: $('audio').checked, video: $('video').checked },
                                          { iceRestart: true });
  return jsep.sdp;
}
state.restartIce = restartIce;

async function stop({ quiet = false } = {}) {
  const { janus } = state;
  state.peer?.close();
  state.stream?.getTracks().forEach((t) => t.stop());
  Object.assign(state, { janus: null, handle: null, peer: null, pc: null, stream: null, channel: null });
  if (janus) await janus.destroy().catch(() => {});
  $('stop').disabled = true;
  $('start').disabled = false;
  $('text').disabled = true;
  $('send').disabled = true;
  if (!quiet) status('Stopped.');
}

async function configure() {
  if (!state.handle) return;
  await state.handle.send({ ...settings(), bitrate: Number($('bitrate').value) * 1000 })
    .catch((e) => status(`Could not change the settings: ${e.message}`, true));
}

// Live stats: what was negotiated and what comes back.
async function refreshStats() {
  const pc = state.pc;
  if (!pc) return;
  const report = await pc.getStats();
  const rows = {};
  const codecs = {};
  report.forEach((s) => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      rows['video codec'] = codecs[s.codecId] || '?';
      rows['resolution'] = `${s.frameWidth || 0}x${s.frameHeight || 0}`;
      rows['fps'] = s.framesPerSecond || 0;
      rows['frames decoded'] = s.framesDecoded || 0;
      rows['video packets lost'] = s.packetsLost || 0;
      rows['video bitrate (kbit/s)'] = Math.round(((s.bytesReceived - (state.lastBytes || 0)) * 8) / 1000);
      state.lastBytes = s.bytesReceived;
    }
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      rows['audio codec'] = codecs[s.codecId] || '?';
      rows['audio packets'] = s.packetsReceived || 0;
    }
    if (s.type === 'transport') {
      rows['SRTP profile'] = s.srtpCipher || '?';
      rows['DTLS cipher'] = s.dtlsCipher || '?';
    }
    if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) {
      rows['RTT (ms)'] = Math.round(s.currentRoundTripTime * 1000);
    }
  });
  state.stats = rows;
  const body = $('stats').querySelector('tbody');
  body.replaceChildren(...Object.entries(rows).map(([k, v]) => {
    const tr = document.createElement('tr');
    tr.innerHTML = '<th></th><td></td>';
    tr.firstChild.textContent = k;
    tr.lastChild.textContent = String(v);
    return tr;
  }));
}

$('start').onclick = () => start();
$('stop').onclick = () => stop();
$('form').onsubmit = (e) => {
  e.preventDefault();
  if (state.channel?.readyState === 'open' && $('text').value) state.channel.send($('text').value);
  $('text').value = '';
};
for (const id of ['audio', 'video', 'bitrate', 'substream']) $(id).onchange = configure;
setInterval(() => refreshStats().catch(() => {}), 1000);
