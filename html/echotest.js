// EchoTest page: a small Janus API client over WebSocket, one peer connection.
// (The shared client library of the demo pages replaces this with the demos issue.)
const $ = (id) => document.getElementById(id);
const status = (text, error = false) => {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
};

const state = { ws: null, session: 0, handle: 0, pc: null, pending: new Map(), keepalive: 0 };
window.syEcho = state; // for tests and the curious

function tx() { return Math.random().toString(36).slice(2, 12); }

function send(msg) {
  const transaction = tx();
  msg.transaction = transaction;
  state.ws.send(JSON.stringify(msg));
  return new Promise((resolve, reject) => state.pending.set(transaction, { resolve, reject }));
}

function onMessage(msg) {
  const waiter = msg.transaction && state.pending.get(msg.transaction);
  if (msg.janus === 'ack' && waiter) return; // the event with this transaction follows
  if (waiter) {
    state.pending.delete(msg.transaction);
    if (msg.janus === 'error') waiter.reject(new Error(`${msg.error.code} ${msg.error.reason}`));
    else waiter.resolve(msg);
    return;
  }
  if (msg.janus === 'webrtcup') status('Connected: media flows through Switchyard.');
  if (msg.janus === 'hangup') status(`Hung up: ${msg.reason}`);
  if (msg.janus === 'event') {
    const data = msg.plugindata?.data || {};
    if (data.error) status(`Error ${data.error_code}: ${data.error}`, true);
  }
}

function connect() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.hostname || 'localhost'}:8188/`, 'janus-protocol');
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error('the server is unreachable (WebSocket on port 8188)'));
    ws.onmessage = (e) => onMessage(JSON.parse(e.data));
    ws.onclose = () => { if (state.session) status('Disconnected from the server.', true); };
  });
}

async function start() {
  $('start').disabled = true;
  try {
    status('Asking for the camera and microphone…');
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    } catch (e) {
      throw new Error(`the camera or microphone was refused (${e.name})`);
    }
    $('local').srcObject = stream;
    status('Connecting…');
    state.ws = await connect();
    state.session = (await send({ janus: 'create' })).data.id;
    state.keepalive = setInterval(() => send({ janus: 'keepalive', session_id: state.session }).catch(() => {}), 25000);
    state.handle = (await send({ janus: 'attach', session_id: state.session, plugin: 'janus.plugin.echotest' })).data.id;
    const pc = new RTCPeerConnection();
    state.pc = pc;
    for (const track of stream.getTracks()) {
      if (track.kind === 'video' && $('simulcast').checked) {
        // Three layers, listed high to low (Janus's default rid order).
        pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream], sendEncodings: [
          { rid: 'h', maxBitrate: 1200000 },
          { rid: 'm', maxBitrate: 400000, scaleResolutionDownBy: 2 },
          { rid: 'l', maxBitrate: 150000, scaleResolutionDownBy: 4 },
        ] });
      } else {
        pc.addTrack(track, stream);
      }
    }
    pc.ontrack = (e) => { $('remote').srcObject = e.streams[0] || new MediaStream([e.track]); };
    await pc.setLocalDescription(await pc.createOffer());
    // Half trickle: wait for our candidates, then send one complete offer.
    await new Promise((r) => {
      if (pc.iceGatheringState === 'complete') return r();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
      setTimeout(r, 2000);
    });
    const body = { audio: $('audio').checked, video: $('video').checked,
                   substream: Number($('substream').value) };
    const bitrate = Number($('bitrate').value) * 1000;
    if (bitrate > 0) body.bitrate = bitrate;
    const ev = await send({ janus: 'message', session_id: state.session, handle_id: state.handle,
                            body, jsep: { type: 'offer', sdp: pc.localDescription.sdp } });
    if (!ev.jsep) throw new Error(ev.plugindata?.data?.error || 'no answer from the plugin');
    await pc.setRemoteDescription(ev.jsep);
    $('stop').disabled = false;
    status('Negotiated, waiting for ICE and DTLS…');
  } catch (e) {
    status(`Could not start: ${e.message}`, true);
    $('start').disabled = false;
  }
}

// An ICE restart: new credentials on both sides, same DTLS association.
async function restartIce() {
  const pc = state.pc;
  pc.restartIce();
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => {
    if (pc.iceGatheringState === 'complete') return r();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
    setTimeout(r, 2000);
  });
  const ev = await send({ janus: 'message', session_id: state.session, handle_id: state.handle,
                          body: { audio: $('audio').checked, video: $('video').checked },
                          jsep: { type: 'offer', sdp: pc.localDescription.sdp } });
  await pc.setRemoteDescription(ev.jsep);
  return ev.jsep.sdp;
}
state.restartIce = restartIce;

async function stop() {
  clearInterval(state.keepalive);
  if (state.pc) state.pc.close();
  if (state.session) await send({ janus: 'destroy', session_id: state.session }).catch(() => {});
  state.session = 0;
  state.ws?.close();
  $('stop').disabled = true;
  $('start').disabled = false;
  status('Stopped.');
}

async function configure() {
  if (!state.handle) return;
  const body = { audio: $('audio').checked, video: $('video').checked,
                 bitrate: Number($('bitrate').value) * 1000, substream: Number($('substream').value) };
  await send({ janus: 'message', session_id: state.session, handle_id: state.handle, body }).catch(() => {});
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

$('start').onclick = start;
$('stop').onclick = stop;
for (const id of ['audio', 'video', 'bitrate', 'substream']) $(id).onchange = configure;
setInterval(refreshStats, 1000);
window.addEventListener('beforeunload', () => {
  if (state.session) state.ws?.send(JSON.stringify({ janus: 'destroy', session_id: state.session, transaction: tx() }));
});
