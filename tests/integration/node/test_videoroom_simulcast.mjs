// VideoRoom simulcast in a real browser (issue 4): headless Chromium publishes a VP8 camera
// with three rid layers (h/m/l) into a room, and a subscriber in the same page switches the
// substream it receives 0 -> 2 -> 1 with "configure". After each switch: the server reports the
// new substream, the decoded frameWidth is the width the publisher sends that layer at (its
// outbound-rtp stats per rid), the decoder keeps producing frames (framesDecoded increases)
// and the switch did not break decoding (frames dropped and PLIs stay small, no freeze storm).
// Then temporal 0: the dropped temporal layers leave no sequence gaps (no losses, no NACKs).
// The page is a bare Janus-API client of its own (pages/vr_simulcast.html), not html/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Suite, assert, waitFor, importOrFail, TIME_FACTOR, SANITIZE, reexecInNetns, launchChromium, loggedPage } from './harness.mjs';

reexecInNetns();

const { chromium } = await importOrFail('playwright-core', 'test_videoroom_simulcast');
const HERE = path.dirname(fileURLToPath(import.meta.url));

const suite = new Suite('test_videoroom_simulcast', {
  ports: [8188, 8088],
  overrides: {
    'switchyard.transport.http.jcfg': { 'general.html_folder': path.join(HERE, 'pages') },
  },
});
let browser = null;
let page = null;

suite.after(async () => { if (browser) await browser.close(); });

const RIDS = ['l', 'm', 'h']; // substream 0, 1, 2

suite.test('a subscriber switches substream 0 -> 2 -> 1 and decodes each layer', async () => {
  // 640x360 would get only two layers by Chromium's default table.
  browser = await launchChromium(chromium, { fps: 20, fieldTrials: 'WebRTC-LegacySimulcastLayerLimit/Disabled/' });
  page = await loggedPage(browser, suite);
  const room = 4321;
  // Seen under load (ASan build, busy machine), about one run in three there: Chromium's
  // publisher PC stays "connecting" although DTLS completed on both sides (its log says
  // "DTLS handshake complete", the server's "WebRTC up") and never sends a frame. Not
  // understood yet (see the VideoRoom report); the connection setup, not the behaviour
  // under test, is retried once with a fresh page.
  for (let attempt = 1; ; attempt++) {
    await page.goto('http://127.0.0.1:8088/vr_simulcast.html');
    await page.evaluate((r) => window.vr.publish(r), room);
    const up = await waitFor(() => page.evaluate(() => window.vr.pubPc.connectionState === 'connected'),
                             20000, 'the publisher PC connected', 250).catch(() => false);
    if (up) break;
    const st = await page.evaluate(() => [window.vr.pubPc.connectionState, window.vr.pubPc.iceConnectionState]);
    assert.ok(attempt < 2, `the publisher PC did not connect twice (${st})`);
    console.log(`  attempt ${attempt}: the publisher PC is stuck (${st}); a fresh page`);
  }
  // All three layers are sent, at three different widths.
  const out = await waitFor(async () => {
    const o = await page.evaluate(() => window.vr.outbound());
    return RIDS.every((r) => o[r] && o[r].width > 0 && o[r].frames > 10) ? o : null;
  }, 20000, `the publisher sending three layers (${JSON.stringify(await page.evaluate(() => window.vr.outbound()))})`, 250);
  assert.ok(out.l.width < out.m.width && out.m.width < out.h.width, JSON.stringify(out));

  await page.evaluate((r) => window.vr.subscribe(r, 0), room);
  const inbound = () => page.evaluate(() => window.vr.inbound());
  const outbound = () => page.evaluate(() => window.vr.outbound());

  let prev = null;
  const seen = [];
  for (const sub of [0, 2, 1]) {
    if (prev) {
      const d = await page.evaluate((s) => window.vr.configure(s), sub);
      assert.equal(d.configured, 'ok', JSON.stringify(d));
    }
    const rid = RIDS[sub];
    // The server switches on a key frame of that layer and says so.
    await waitFor(async () => (await page.evaluate(() => window.vr.substreams())).at(-1) === sub,
                  15000, `the server's substream ${sub} event`, 100);
    // The decoded width follows the layer (the publisher may adapt its resolution: compare
    // with what it sends now).
    const st = await waitFor(async () => {
      const [i, o] = await Promise.all([inbound(), outbound()]);
      return i && o[rid] && i.width === o[rid].width && (!prev || i.framesDecoded > prev.framesDecoded) ? i : null;
    }, 15000, `decoded width of layer ${rid} (${JSON.stringify(await inbound())} vs ${JSON.stringify(await outbound())})`, 200);
    // And frames keep being decoded on it.
    const after = await waitFor(async () => {
      const i = await inbound();
      return i.framesDecoded >= st.framesDecoded + 20 && i.width === st.width ? i : null;
    }, 15000, `frames decoded on layer ${rid}`, 200);
    seen.push({ sub, width: after.width, framesDecoded: after.framesDecoded });
    prev = after;
  }
  const widths = Object.fromEntries(seen.map((s) => [s.sub, s.width]));
  assert.ok(widths[0] < widths[1] && widths[1] < widths[2], JSON.stringify(seen));
  // The server's events name the three layers in that order (a fallback to a layer that is
  // already sending may come in between, e.g. at the start before layer 0's key frame).
  const events = await page.evaluate(() => window.vr.substreams());
  let k = 0;
  for (const v of events) if (v === [0, 2, 1][k]) k++;
  assert.ok(k === 3 && events.at(-1) === 1, `substream events ${JSON.stringify(events)}`);
  const fin = await inbound();
  console.log(`  layers seen: ${JSON.stringify(seen)}; events ${JSON.stringify(events)}; final inbound ${JSON.stringify(fin)}`);
  // No decode trouble across the switches: a switch costs at most a key frame request or
  // two (the subscriber's own), frames dropped stay a small fraction.
  // (Frames are also dropped when the machine is too busy, e.g. the ASan build on a shared
  // machine: the bound is loose there.)
  assert.ok(fin.framesDropped <= fin.framesDecoded / (SANITIZE ? 4 : 10), JSON.stringify(fin));
  assert.ok(fin.pliCount <= 10, JSON.stringify(fin));
  assert.ok(fin.keyFramesDecoded >= 3, JSON.stringify(fin));

  // Temporal layer 0 of substream 1: the dropped TID 1/2 packets must not reach the
  // subscriber as sequence gaps (each was a lost packet and a NACK before).
  const om = (await outbound()).m;
  if (om && /^L1T[23]/.test(om.mode || '')) {
    const d = await page.evaluate(() => window.vr.configureFields({ temporal: 0 }));
    assert.equal(d.configured, 'ok', JSON.stringify(d));
    const t0 = await inbound();
    const t1 = await waitFor(async () => {
      const i = await inbound();
      return i.framesDecoded >= t0.framesDecoded + 10 ? i : null;
    }, 20000 * TIME_FACTOR, 'frames decoded on temporal layer 0', 200);
    console.log(`  temporal 0 (${om.mode}): ${JSON.stringify(t1)}`);
    assert.ok(t1.packetsLost - t0.packetsLost <= 3, `lost ${JSON.stringify(t0)} -> ${JSON.stringify(t1)}`);
    assert.ok(t1.nackCount - t0.nackCount <= 3, `NACKs ${JSON.stringify(t0)} -> ${JSON.stringify(t1)}`);
  } else {
    console.log(`  layer m has no temporal layers (${JSON.stringify(om)}): the temporal check is skipped`);
  }
}, { timeout: 120000 * TIME_FACTOR });

await suite.run();
