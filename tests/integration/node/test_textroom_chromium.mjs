// TextRoom in a real browser: two headless Chromium pages (Debian's, driven by
// playwright-core) open html/textroom.html served by Switchyard, answer the plugin's
// data-channel-only offer, join room 1234 and chat both ways through the server.
//
// Media permission: the demo page itself never calls getUserMedia. But in the test's
// network namespace (only lo) Chromium 156 without a media permission gathers no
// candidate at all: with mDNS hiding on, gathering never completes (the .local name is
// never published), and with it off (--disable-features=WebRtcHideLocalIpsWithMdns) it
// completes with zero candidates, so there is no socket to send even the checks that
// would make a peer-reflexive pair. The test therefore grants a (fake) microphone
// permission once per page before joining, like a page that used getUserMedia before:
// Chromium then gathers its 127.0.0.1 host candidate.
import { Suite, assert, waitFor, importOrFail, TIME_FACTOR, reexecInNetns } from './harness.mjs';

reexecInNetns();

const { chromium } = await importOrFail('playwright-core', 'test_textroom_chromium');

const suite = new Suite('test_textroom_chromium', { ports: [8188, 8088] });
let browser = null;

async function openPage(name) {
  if (!browser) {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
        '--allow-loopback-in-peer-connection', '--force-fieldtrials=WebRTC-IPv6Default/Disabled/',
      ],
    });
  }
  const page = await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  suite.diag(() => `browser console (${name}):\n${logs.join('\n')}`);
  await page.goto('http://127.0.0.1:8088/textroom.html');
  await page.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true });
    s.getTracks().forEach((t) => t.stop());
  });
  return page;
}

async function joinAs(page, username, display) {
  await page.fill('#username', username);
  if (display) await page.fill('#display', display);
  await page.click('#join');
  try {
    await waitFor(async () => page.evaluate(() => window.syText.joined === true), 30000, `${username} joined`, 100);
  } catch (e) {
    const st = await page.evaluate(() => ({
      status: document.getElementById('status').textContent, session: window.syText.session,
      handle: window.syText.handle, ice: window.syText.pc?.iceConnectionState,
      pc: window.syText.pc?.connectionState, dc: window.syText.dc?.readyState,
      sctp: window.syText.pc?.sctp?.state, remote: window.syText.pc?.remoteDescription?.sdp, local: window.syText.pc?.localDescription?.sdp, gathering: window.syText.pc?.iceGatheringState,
    }));
    throw new Error(`${e.message}: ${JSON.stringify(st)}`);
  }
}

const received = (page, pred) => page.evaluate((src) => {
  // eslint-disable-next-line no-new-func
  const f = new Function('m', `return (${src})(m);`);
  return window.syText.messages.filter(f);
}, pred.toString());

suite.after(async () => { if (browser) await browser.close(); });

suite.test('two pages join room 1234 and exchange messages both ways', async () => {
  const alice = await openPage('alice');
  const bob = await openPage('bob');
  await joinAs(alice, 'alice', 'Alice');
  await joinAs(bob, 'bob');
  // Alice hears about Bob; Bob's join reply listed Alice.
  await waitFor(async () => (await received(alice, (m) => m.textroom === 'join' && m.username === 'bob')).length,
                10000, 'alice gets the join of bob');
  const bobSees = await bob.evaluate(() => [...window.syText.participants.keys()]);
  assert.deepEqual(bobSees.sort(), ['alice', 'bob']);
  await waitFor(async () => (await alice.textContent('#participants')).includes('bob'), 5000,
                'bob in alice\'s participant list');

  // Alice types in the form; Bob's page shows it.
  await alice.fill('#text', 'hello from alice');
  await alice.click('#send');
  const m1 = await waitFor(async () => (await received(bob, (m) => m.textroom === 'message' && m.text === 'hello from alice'))[0],
                           10000, 'bob receives alice\'s message');
  assert.equal(m1.from, 'alice');
  assert.equal(m1.whisper, false);
  assert.match(m1.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);
  await waitFor(async () => (await bob.textContent('#chat')).includes('Alice: hello from alice'), 5000,
                'the message in bob\'s chat');

  // Bob answers (public), then whispers; Alice gets both.
  await bob.evaluate(() => window.syText.send('hi alice, bob here'));
  await bob.evaluate(() => window.syText.send('just for you', 'alice'));
  const m2 = await waitFor(async () => (await received(alice, (m) => m.text === 'hi alice, bob here'))[0], 10000,
                           'alice receives bob\'s message');
  assert.equal(m2.from, 'bob');
  const m3 = await waitFor(async () => (await received(alice, (m) => m.text === 'just for you'))[0], 10000,
                           'alice receives bob\'s whisper');
  assert.equal(m3.whisper, true);
  await waitFor(async () => (await alice.textContent('#chat')).includes('bob (whisper): just for you'), 5000,
                'the whisper in alice\'s chat');

  // A taken username is refused with 420 on the page.
  const carol = await openPage('carol');
  await carol.fill('#username', 'alice');
  await carol.click('#join');
  await waitFor(async () => /420/.test(await carol.textContent('#status')), 20000, 'carol sees error 420');

  // Bob leaves; Alice sees it.
  await bob.click('#leave');
  await waitFor(async () => (await received(alice, (m) => m.textroom === 'leave' && m.username === 'bob')).length,
                10000, 'alice gets the leave of bob');
  await alice.close();
  await bob.close();
  await carol.close();
}, { timeout: 90000 * TIME_FACTOR });

await suite.run();
