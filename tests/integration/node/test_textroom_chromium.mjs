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
//
// A second test puts one Chromium page and one aiortc user (../textroom_aiortc_user.py,
// a child process in the same network namespace, JSON lines on stdin/stdout) in the
// same room: messages both ways, whispers both ways, and the aiortc user's leave.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Suite, assert, waitFor, withTimeout, importOrFail, TIME_FACTOR, reexecInNetns, launchChromium, loggedPage } from './harness.mjs';

reexecInNetns();

const { chromium } = await importOrFail('playwright-core', 'test_textroom_chromium');

const suite = new Suite('test_textroom_chromium', { ports: [8188, 8088] });
let browser = null;

async function openPage(name) {
  if (!browser) {
    browser = await launchChromium(chromium);
  }
  const page = await loggedPage(browser, suite, name);
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

// The aiortc user: a child process; its stdout lines (JSON) are collected in .msgs.
function spawnAiortcUser(username) {
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'textroom_aiortc_user.py');
  const proc = spawn('/usr/bin/python3', [script, username], { stdio: ['pipe', 'pipe', 'pipe'] });
  const user = { proc, msgs: [], stderr: [], exit: null };
  readline.createInterface({ input: proc.stdout }).on('line', (l) => {
    try { user.msgs.push(JSON.parse(l)); } catch { user.stderr.push(`(stdout, not JSON) ${l}`); }
  });
  proc.stderr.on('data', (d) => user.stderr.push(d.toString()));
  user.exited = new Promise((resolve) => proc.once('exit', (code, sig) => { user.exit = { code, sig }; resolve(user.exit); }));
  user.send = (obj) => proc.stdin.write(`${JSON.stringify(obj)}\n`);
  user.find = (pred) => user.msgs.find(pred);
  suite.diag(() => `aiortc user ${username}: exit ${JSON.stringify(user.exit)}\nstdout: ` +
    `${user.msgs.map((m) => JSON.stringify(m)).join('\n')}\nstderr: ${user.stderr.join('')}`);
  return user;
}

suite.test('a Chromium page and an aiortc user chat and whisper both ways', async () => {
  const alice = await openPage('alice');
  await joinAs(alice, 'alice', 'Alice');
  const bob = spawnAiortcUser('bob');
  try {
    const joined = await waitFor(() => bob.exit === null ? bob.find((m) => m.transaction === 'join') : Promise.reject(
      new Error(`the aiortc user exited early: ${JSON.stringify(bob.exit)}`)), 30000, 'bob (aiortc) joined');
    assert.equal(joined.textroom, 'success', JSON.stringify(joined));
    assert.deepEqual(joined.participants.map((p) => p.username), ['alice']);
    await waitFor(async () => (await received(alice, (m) => m.textroom === 'join' && m.username === 'bob')).length,
                  10000, 'alice gets the join of bob');
    await waitFor(async () => (await alice.textContent('#participants')).includes('bob'), 5000,
                  'bob in alice\'s participant list');

    // Chromium -> aiortc, public.
    await alice.evaluate(() => window.syText.send('hello bob, from chromium'));
    const m1 = await waitFor(() => bob.find((m) => m.textroom === 'message' && m.text === 'hello bob, from chromium'),
                             10000, 'bob receives alice\'s message');
    assert.equal(m1.from, 'alice');
    assert.equal(m1.whisper, false);
    assert.equal(m1.room, 1234);
    assert.match(m1.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);

    // aiortc -> Chromium, public (acknowledged), then a whisper.
    bob.send({ textroom: 'message', transaction: 'pub1', text: 'hi alice, from aiortc' });
    bob.send({ textroom: 'message', transaction: 'wh1', text: 'a secret for alice', to: 'alice' });
    const m2 = await waitFor(async () => (await received(alice, (m) => m.text === 'hi alice, from aiortc'))[0],
                             10000, 'alice receives bob\'s message');
    assert.equal(m2.from, 'bob');
    assert.equal(m2.whisper, false);
    const m3 = await waitFor(async () => (await received(alice, (m) => m.text === 'a secret for alice'))[0],
                             10000, 'alice receives bob\'s whisper');
    assert.equal(m3.from, 'bob');
    assert.equal(m3.whisper, true);
    await waitFor(async () => (await alice.textContent('#chat')).includes('bob (whisper): a secret for alice'), 5000,
                  'the whisper in alice\'s chat');
    for (const t of ['pub1', 'wh1']) {
      const ack = await waitFor(() => bob.find((m) => m.transaction === t), 10000, `bob's ack ${t}`);
      assert.equal(ack.textroom, 'success', JSON.stringify(ack));
    }
    // Bob's own public message comes back to him; his whisper does not.
    await waitFor(() => bob.find((m) => m.textroom === 'message' && m.text === 'hi alice, from aiortc'), 10000,
                  'bob gets his public message back');

    // Chromium -> aiortc, whisper.
    await alice.evaluate(() => window.syText.send('psst bob', 'bob'));
    const m4 = await waitFor(() => bob.find((m) => m.textroom === 'message' && m.text === 'psst bob'), 10000,
                             'bob receives alice\'s whisper');
    assert.equal(m4.from, 'alice');
    assert.equal(m4.whisper, true);
    assert.equal(bob.msgs.filter((m) => m.text === 'a secret for alice').length, 0, 'the whisper went back to bob');
    assert.equal((await received(alice, (m) => m.text === 'psst bob')).length, 0, 'alice got her own whisper');

    // EOF on stdin: the aiortc user leaves and exits cleanly; Alice sees the leave.
    bob.proc.stdin.end();
    await waitFor(async () => (await received(alice, (m) => m.textroom === 'leave' && m.username === 'bob')).length,
                  10000, 'alice gets the leave of bob');
    const ex = await withTimeout(bob.exited, 10000, 'the aiortc user exits');
    assert.deepEqual(ex, { code: 0, sig: null });
  } finally {
    if (bob.exit === null) bob.proc.kill('SIGKILL');
    await alice.close();
  }
}, { timeout: 90000 * TIME_FACTOR });

await suite.run();
