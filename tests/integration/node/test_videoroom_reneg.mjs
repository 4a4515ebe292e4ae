// VideoRoom publisher ICE restart in a real browser (issue 4: configure "restart"). Headless
// Chromium publishes its fake camera and subscribes to itself in the same page; then the
// publisher calls pc.restartIce() and sends `configure` with the new offer and "restart": true.
// The server answers `configured` with NEW ICE credentials (the ufrag of the answer changes),
// the publisher's transport moves to its new local ufrag and stays connected, and the
// subscriber (whose own PC is untouched) keeps decoding frames. A second restart without the
// body flag (the SDP alone says it) works the same. aiortc cannot restart ICE, hence Chromium.
// The page is a bare Janus-API client (pages/vr_reneg.html).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Suite, assert, waitFor, importOrFail, TIME_FACTOR, reexecInNetns, launchChromium, loggedPage } from './harness.mjs';

reexecInNetns();

const { chromium } = await importOrFail('playwright-core', 'test_videoroom_reneg');
const HERE = path.dirname(fileURLToPath(import.meta.url));

const suite = new Suite('test_videoroom_reneg', {
  ports: [8188, 8088],
  overrides: {
    'switchyard.transport.http.jcfg': { 'general.html_folder': path.join(HERE, 'pages') },
  },
});
let browser = null;

suite.after(async () => { if (browser) await browser.close(); });

suite.test('a publisher restarts ICE twice; its subscriber keeps decoding', async () => {
  browser = await launchChromium(chromium, { fps: 20 });
  const page = await loggedPage(browser, suite);
  const room = 4401;
  await page.goto('http://127.0.0.1:8088/vr_reneg.html');
  const first = await page.evaluate((r) => window.vr.publish(r), room);
  await waitFor(() => page.evaluate(() => window.vr.pubPc.connectionState === 'connected'),
                20000 * TIME_FACTOR, 'the publisher PC connected', 250);
  await page.evaluate((r) => window.vr.subscribe(r), room);
  const inbound = () => page.evaluate(() => window.vr.inbound());
  const transport = () => page.evaluate(() => window.vr.pubTransport());
  const decodes = async (what) => {
    const base = (await inbound()) || { framesDecoded: 0 };
    return waitFor(async () => {
      const i = await inbound();
      return i && i.framesDecoded >= base.framesDecoded + 30 ? i : null;
    }, 20000 * TIME_FACTOR, `${what}: 30 more frames decoded (${JSON.stringify(await inbound())})`, 200);
  };
  await decodes('before the restart');
  let prev = first;
  const t0 = await transport();
  assert.equal(t0.localUfrag, first.offerUfrag, JSON.stringify(t0));
  for (const body of [{ request: 'configure', restart: true }, { request: 'configure' }]) {
    const r = await page.evaluate((b) => window.vr.offer(b, true), body);
    assert.equal(r.data.configured, 'ok', JSON.stringify(r.data));
    assert.ok(r.offerUfrag && r.offerUfrag !== prev.offerUfrag, `the browser restarted: ${JSON.stringify([prev, r])}`);
    assert.ok(r.answerUfrag && r.answerUfrag !== prev.answerUfrag,
              `the answer carries new ICE credentials: ${JSON.stringify([prev, r])}`);
    // The browser's transport runs on the new credentials, connected, and media goes on.
    await waitFor(async () => {
      const t = await transport();
      return t.state === 'connected' && t.localUfrag === r.offerUfrag ? t : null;
    }, 20000 * TIME_FACTOR, `the publisher transport on its new ufrag (${JSON.stringify(await transport())})`, 250);
    const i = await decodes(`after the restart (${JSON.stringify(body)})`);
    console.log(`  restart ${JSON.stringify(body)}: ufrags ${prev.answerUfrag} -> ${r.answerUfrag}; inbound ${JSON.stringify(i)}`);
    prev = r;
  }
}, { timeout: 120000 * TIME_FACTOR });

await suite.run();
