// EchoTest in a real browser: headless Chromium (Debian's, driven by playwright-core)
// opens html/echotest.html served by Switchyard, publishes its fake camera and
// microphone, and gets them back through ICE, DTLS and SRTP.
import { Suite, assert, waitFor, importOrFail, TIME_FACTOR } from './harness.mjs';

const { chromium } = await importOrFail('playwright-core', 'test_echotest_chromium');

const suite = new Suite('test_echotest_chromium', { ports: [8188, 8088] });
let browser = null;

async function openEcho(extraArgs = []) {
  if (!browser) {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--use-fake-device-for-media-stream=fps=30', '--use-fake-ui-for-media-stream',
        '--allow-loopback-in-peer-connection', '--force-fieldtrials=WebRTC-IPv6Default/Disabled/',
        ...extraArgs,
      ],
    });
  }
  const page = await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  suite.diag(() => `browser console:\n${logs.join('\n')}`);
  await page.goto('http://127.0.0.1:8088/echotest.html');
  return page;
}

suite.after(async () => { if (browser) await browser.close(); });

suite.test('simulcast: the chosen layer comes back and switching it changes the decoded size', async () => {
  const page = await openEcho();
  await page.check('#simulcast');
  await page.click('#start');
  const width = async () => page.evaluate(() => Number((window.syEcho.stats?.resolution || '0x0').split('x')[0]));
  await waitFor(async () => (await width()) >= 640, 20000, 'the high layer (640 wide) echoed', 250);
  await page.selectOption('#substream', '0');
  await waitFor(async () => { const w = await width(); return w > 0 && w <= 320; }, 20000,
                'a lower layer after choosing "low"', 250);
  await page.selectOption('#substream', '2');
  await waitFor(async () => (await width()) >= 640, 20000, 'the high layer again', 250);
  const frames = await page.evaluate(() => window.syEcho.stats['frames decoded']);
  assert.ok(frames > 30, `frames decoded: ${frames}`);
  await page.click('#stop');
  await page.close();
}, { timeout: 90000 * TIME_FACTOR });

suite.test('an ICE restart gets new server credentials and media keeps flowing', async () => {
  const page = await openEcho();
  await page.click('#start');
  await waitFor(async () => {
    const s = await page.evaluate(() => window.syEcho.stats || null);
    return s && s['frames decoded'] > 10;
  }, 20000, 'first echoed frames', 250);
  const before = await page.evaluate(() => window.syEcho.pc.remoteDescription.sdp);
  const after = await page.evaluate(() => window.syEcho.restartIce());
  const ufrag = (sdp) => /a=ice-ufrag:(\S+)/.exec(sdp)[1];
  assert.notEqual(ufrag(after), ufrag(before), 'the server kept its ICE credentials');
  assert.equal(/a=fingerprint:(.+)/.exec(after)[1], /a=fingerprint:(.+)/.exec(before)[1]);
  const decoded = await page.evaluate(() => window.syEcho.stats['frames decoded']);
  await waitFor(async () => {
    const st = await page.evaluate(() => [window.syEcho.pc.iceConnectionState, window.syEcho.stats['frames decoded']]);
    return (st[0] === 'connected' || st[0] === 'completed') && st[1] > decoded + 30;
  }, 20000, 'frames after the restart', 250);
  await page.click('#stop');
  await page.close();
}, { timeout: 60000 * TIME_FACTOR });

suite.test('echoed video decodes at the sent resolution, audio comes back, SRTP is GCM', async () => {
  const page = await openEcho();
  await page.click('#start');
  // Stats come from RTCPeerConnection.getStats() in the page, refreshed every second.
  const stats = await waitFor(async () => {
    const s = await page.evaluate(() => window.syEcho.stats || null);
    return s && s['frames decoded'] > 30 && s['audio packets'] > 50 ? s : null;
  }, 20000, 'decoded echoed frames and audio packets', 250);
  assert.equal(stats.resolution, '640x480', JSON.stringify(stats));
  assert.match(stats['video codec'], /video\/(VP8|VP9|H264|AV1)/i);
  assert.match(stats['audio codec'], /audio\/opus/i);
  assert.match(stats['SRTP profile'], /AEAD_AES_(128|256)_GCM/, JSON.stringify(stats));
  const status = await page.textContent('#status');
  assert.match(status, /Connected/);
  // The page shows the codec in its stats panel.
  const panel = await page.textContent('#stats');
  assert.match(panel, /video\/(VP8|VP9|H264|AV1)/i);
  // Switching video off stops the echoed frames; audio keeps coming.
  await page.uncheck('#video');
  await page.waitForTimeout(1500);
  const before = await page.evaluate(() => window.syEcho.stats['frames decoded']);
  await page.waitForTimeout(2000);
  const after = await page.evaluate(() => window.syEcho.stats);
  assert.ok(after['frames decoded'] - before <= 2, `frames still decoded: ${before} -> ${after['frames decoded']}`);
  await page.click('#stop');
  await page.close();
}, { timeout: 60000 * TIME_FACTOR });

await suite.run();
