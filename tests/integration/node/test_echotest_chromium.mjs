// EchoTest in a real browser: headless Chromium (Debian's, driven by playwright-core)
// opens html/echotest.html served by Switchyard, publishes its fake camera and
// microphone, and gets them back through ICE, DTLS and SRTP. The page uses html/switchyard.js
// with trickle ICE both ways: this server runs with nat.full_trickle = true, so its own
// candidates arrive as trickle events too. A data channel echoes text.
// Also: the unmodified janus.js (npm janus-gateway) in a test-only page
// (tests/integration/node/www/) runs an EchoTest with media against the same server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Suite, assert, waitFor, importOrFail, TIME_FACTOR, SOURCE_DIR, reexecInNetns, launchChromium, loggedPage } from './harness.mjs';

reexecInNetns();

const { chromium } = await importOrFail('playwright-core', 'test_echotest_chromium');

// The served folder: the demo pages plus the janus.js test page and its two libraries.
const HERE = path.dirname(fileURLToPath(import.meta.url));
const www = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-www-'));
fs.cpSync(path.join(SOURCE_DIR, 'html'), www, { recursive: true });
fs.copyFileSync(path.join(HERE, 'www', 'janusjs_echotest.html'), path.join(www, 'janusjs_echotest.html'));
fs.copyFileSync(path.join(SOURCE_DIR, 'node_modules/janus-gateway/npm/dist/janus.es.js'), path.join(www, 'janus.es.js'));
fs.copyFileSync(path.join(SOURCE_DIR, 'node_modules/webrtc-adapter/out/adapter.js'), path.join(www, 'adapter.js'));

const suite = new Suite('test_echotest_chromium', {
  ports: [8188, 8088],
  overrides: {
    'switchyard.jcfg': { 'nat.full_trickle': true },
    'switchyard.transport.http.jcfg': { 'general.html_folder': www },
  },
});
let browser = null;

async function openEcho(extraArgs = [], url = 'http://127.0.0.1:8088/echotest.html') {
  if (!browser) {
    browser = await launchChromium(chromium, { fps: 30, args: extraArgs });
  }
  const page = await loggedPage(browser, suite, url);
  await page.goto(url);
  return page;
}

suite.after(async () => {
  if (browser) await browser.close();
  fs.rmSync(www, { recursive: true, force: true });
});

suite.test('simulcast: the chosen layer comes back and switching it changes the decoded size', async () => {
  const page = await openEcho();
  await page.check('#simulcast');
  await page.click('#start');
  const width = async () => page.evaluate(() => Number((window.syEcho.stats?.resolution || '0x0').split('x')[0]));
  await waitFor(async () => (await width()) >= 640, 60000, 'the high layer (640 wide) echoed', 250);
  await page.selectOption('#substream', '0');
  await waitFor(async () => { const w = await width(); return w > 0 && w <= 320; }, 60000,
                'a lower layer after choosing "low"', 250);
  await page.selectOption('#substream', '2');
  await waitFor(async () => (await width()) >= 640, 60000, 'the high layer again', 250);
  // Frames keep being decoded on the high layer.
  await waitFor(async () => (await page.evaluate(() => window.syEcho.stats['frames decoded'])) > 30, 60000,
                'more than 30 frames decoded', 250);
  await page.click('#stop');
  await page.close();
}, { timeout: 270000 * TIME_FACTOR });

suite.test('an ICE restart gets new server credentials and media keeps flowing', async () => {
  const page = await openEcho();
  await page.click('#start');
  await waitFor(async () => {
    const s = await page.evaluate(() => window.syEcho.stats || null);
    return s && s['frames decoded'] > 10;
  }, 60000, 'first echoed frames', 250);
  const before = await page.evaluate(() => window.syEcho.pc.remoteDescription.sdp);
  const after = await page.evaluate(() => window.syEcho.restartIce());
  const ufrag = (sdp) => /a=ice-ufrag:(\S+)/.exec(sdp)[1];
  assert.notEqual(ufrag(after), ufrag(before), 'the server kept its ICE credentials');
  assert.equal(/a=fingerprint:(.+)/.exec(after)[1], /a=fingerprint:(.+)/.exec(before)[1]);
  const decoded = await page.evaluate(() => window.syEcho.stats['frames decoded']);
  await waitFor(async () => {
    const st = await page.evaluate(() => [window.syEcho.pc.iceConnectionState, window.syEcho.stats['frames decoded']]);
    return (st[0] === 'connected' || st[0] === 'completed') && st[1] > decoded + 30;
  }, 60000, 'frames after the restart', 250);
  await page.click('#stop');
  await page.close();
}, { timeout: 180000 * TIME_FACTOR });

suite.test('echoed video decodes at the sent resolution, audio comes back, SRTP is GCM', async () => {
  const page = await openEcho();
  await page.click('#start');
  // Stats come from RTCPeerConnection.getStats() in the page, refreshed every second.
  const stats = await waitFor(async () => {
    const s = await page.evaluate(() => window.syEcho.stats || null);
    return s && s['frames decoded'] > 30 && s['audio packets'] > 50 ? s : null;
  }, 60000, 'decoded echoed frames and audio packets', 250);
  assert.equal(stats.resolution, '640x480', JSON.stringify(stats));
  assert.match(stats['video codec'], /video\/(VP8|VP9|H264|AV1)/i);
  assert.match(stats['audio codec'], /audio\/opus/i);
  assert.match(stats['SRTP profile'], /AEAD_AES_(128|256)_GCM/, JSON.stringify(stats));
  const status = await page.textContent('#status');
  assert.match(status, /Connected/);
  // The page shows the codec in its stats panel.
  const panel = await page.textContent('#stats');
  assert.match(panel, /video\/(VP8|VP9|H264|AV1)/i);
  // Trickle both ways: our candidates went out as trickle requests (the offer had none), the
  // server's came as trickle events (full_trickle), and the data channel echoes text.
  const trickled = await page.evaluate(() => window.syEcho.peer.trickled);
  assert.ok(trickled.local > 0 && trickled.remote > 0, JSON.stringify(trickled));
  await page.fill('#text', 'hello, switchyard');
  await page.waitForFunction(() => !document.getElementById('send').disabled, null, { timeout: 30000 * TIME_FACTOR });
  await page.click('#send');
  await waitFor(async () => (await page.textContent('#echoed')).includes('echoed: hello, switchyard'), 30000,
                'the data channel echo', 100);
  // Switching video off stops the echoed frames; audio keeps coming.
  await page.uncheck('#video');
  // The frames stop: one second with at most one more frame decoded (frames already on their
  // way may still come in first); audio keeps coming.
  const frames = () => page.evaluate(() => window.syEcho.stats['frames decoded']);
  const audio = await page.evaluate(() => window.syEcho.stats['audio packets']);
  await waitFor(async () => {
    const before = await frames();
    await page.waitForTimeout(1000);
    return (await frames()) - before <= 1;
  }, 30000, 'the echoed frames stopped', 0);
  await waitFor(async () => (await page.evaluate(() => window.syEcho.stats['audio packets'])) > audio + 20, 30000,
                'audio still echoed', 250);
  await page.click('#stop');
  await page.close();
}, { timeout: 180000 * TIME_FACTOR });

suite.test('the index page shows the server info, the plugins and links to the demos', async () => {
  const page = await openEcho([], 'http://127.0.0.1:8088/');
  await waitFor(async () => /The server is up/.test(await page.textContent('#status')), 30000, 'the info');
  const plugins = await page.textContent('#plugins');
  for (const p of ['janus.plugin.echotest', 'janus.plugin.videoroom', 'janus.plugin.textroom']) assert.ok(plugins.includes(p), plugins);
  assert.match(await page.textContent('#info'), /Switchyard/);
  const links = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
  for (const l of ['echotest.html', 'videoroom.html', 'textroom.html']) assert.ok(links.includes(l), JSON.stringify(links));
  await page.close();
}, { timeout: 60000 * TIME_FACTOR });

suite.test('the real janus.js runs an EchoTest with media (framesDecoded > 0)', async () => {
  const page = await openEcho([], 'http://127.0.0.1:8088/janusjs_echotest.html');
  await waitFor(async () => page.evaluate(() => window.jsEcho?.errors.length ? window.jsEcho.errors : window.jsEcho?.webrtcUp),
                60000, 'janus.js: webrtcState(true)', 250).then((v) => assert.equal(v, true, JSON.stringify(v)));
  await waitFor(async () => (await page.evaluate(() => window.jsEcho.framesDecoded())) > 10, 60000,
                'janus.js: echoed frames decoded', 250);
  const st = await page.evaluate(() => ({ errors: window.jsEcho.errors, tracks: window.jsEcho.remoteTracks,
                                           events: window.jsEcho.events }));
  assert.deepEqual(st.errors, []);
  assert.ok(st.tracks >= 2, `remote tracks: ${st.tracks}`);
  assert.ok(st.events.some((e) => e.result === 'ok' || e.echotest === 'event'), JSON.stringify(st.events));
  await page.evaluate(() => new Promise((resolve) => window.jsEcho.janus.destroy({ success: resolve, error: resolve })));
  await page.close();
}, { timeout: 180000 * TIME_FACTOR });

await suite.run();
