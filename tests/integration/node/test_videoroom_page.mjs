// VideoRoom page in a real browser: three headless Chromium pages (Debian's, driven by
// playwright-core) open html/videoroom.html served by Switchyard, join room 1234 with
// different names, publish their fake camera and microphone and subscribe to each other
// (html/switchyard.js over the WebSocket API, ONE multistream subscription per page). Each
// page must show two remote tiles whose video decodes; when one page leaves, the other two
// drop its tile (and its streams leave their subscription). A screenshot of the grid is saved
// as <build>/artifacts/videoroom.png. The error messages for an unreachable server, a missing
// room, a full room and a refused camera are checked on the page that left.
// Also: simulcast (a tile's quality picker drops the decoded width to the low layer and back),
// "Stop video" stopping the frames at the other pages, the talking outline, reconnection with
// claim after the WebSocket drops, a subscription rebuilt when it runs out of m-lines, and a
// page on the HTTP long-poll API (?server=http://…).
import fs from 'node:fs';
import path from 'node:path';
import { Suite, assert, waitFor, sleep, importOrFail, TIME_FACTOR, BUILD_DIR, reexecInNetns, launchChromium, loggedPage } from './harness.mjs';

reexecInNetns();

const { chromium } = await importOrFail('playwright-core', 'test_videoroom_page');

// Talking events: the fake microphone beeps briefly between silences, so in this private copy
// of the configuration any sound in a window of 50 packets (1 s) counts as talking.
const suite = new Suite('test_videoroom_page', {
  ports: [8188, 8088],
  overrides: {
    // Sessions outlive their WebSocket for a while, so that a page can claim them again.
    'switchyard.jcfg': { 'general.reclaim_session_timeout': 60 },
    'switchyard.plugin.videoroom.jcfg': {
      'room-1234.audio_level_average': 127, 'room-1234.audio_active_packets': 50,
      // A room with one publisher slot, for the "room is full" message.
      'room-4321.description': 'One seat', 'room-4321.publishers': 1,
    },
  },
});
const URL = 'http://127.0.0.1:8088/videoroom.html';
const NAMES = ['Alice', 'Bob', 'Carol'];
let browser = null;
const pages = [];

async function openPage(name) {
  if (!browser) {
    browser = await launchChromium(chromium, { fps: 30, args: ['--autoplay-policy=no-user-gesture-required'] });
  }
  const page = await loggedPage(browser, suite, name, { viewport: { width: 1100, height: 760 } });
  await page.goto(URL);
  return page;
}

const tiles = (page) => page.evaluate(() => window.syRoom.tiles());
const statusOf = (page) => page.textContent('#status');
const receiving = (page) => page.evaluate(() => window.syRoom.receiving());

suite.after(async () => {
  // Destroy the sessions first: with reclaim_session_timeout they would outlive the sockets.
  for (const page of pages) {
    await page.evaluate(() => window.syRoom?.state.janus?.destroy()).catch(() => {});
  }
  if (browser) await browser.close();
});

suite.test('three pages join room 1234 and each decodes the two others', async () => {
  for (const name of NAMES) {
    const page = await openPage(name);
    pages.push(page);
    await page.fill('#display', name);
    await page.click('#join');
  }
  for (const [i, page] of pages.entries()) {
    const others = NAMES.filter((_, k) => k !== i).sort();
    const first = await waitFor(async () => {
      const t = await tiles(page);
      return t.length === 2 && t.every((x) => x.framesDecoded > 5 && x.width > 0) ? t : null;
    }, 75000, `${NAMES[i]}: two remote tiles decoding (status: ${await statusOf(page)})`, 250);
    assert.deepEqual(first.map((x) => x.display).sort(), others, JSON.stringify(first));
    // framesDecoded keeps increasing on both tiles.
    await waitFor(async () => {
      const t = await tiles(page);
      return t.length === 2 && t.every((x) => {
        const before = first.find((f) => f.id === x.id);
        return before && x.framesDecoded > before.framesDecoded + 10;
      });
    }, 30000, `${NAMES[i]}: frames keep being decoded`, 250);
    // The grid shows the names: two remote tiles and the local one.
    const captions = await page.$$eval('#grid figcaption', (els) => els.map((e) => e.textContent));
    assert.equal(captions.length, 3, JSON.stringify(captions));
    for (const n of others) assert.ok(captions.includes(n), `${n} missing in ${JSON.stringify(captions)}`);
    assert.ok(captions.includes(`${NAMES[i]} (you)`), JSON.stringify(captions));
    assert.match(await statusOf(page), new RegExp(`In room 1234 as ${NAMES[i]}`));
    // One multistream subscription: a publisher handle plus ONE subscriber handle, whose peer
    // connection carries the audio and video of both others.
    const rx = await receiving(page);
    assert.equal(rx.handles, 2, JSON.stringify(rx));
    assert.deepEqual(rx.tracks.map((t) => `${t.feed}:${t.kind}`).sort(),
                     first.flatMap((t) => [`${t.id}:audio`, `${t.id}:video`]).sort(), JSON.stringify(rx));
  }
  // Mute/unmute: the local track is disabled and enabled again, the button says so.
  await pages[0].click('#mute-audio');
  assert.equal(await pages[0].textContent('#mute-audio'), 'Unmute audio');
  assert.equal(await pages[0].evaluate(() => window.syRoom.state.stream.getAudioTracks()[0].enabled), false);
  await pages[0].click('#mute-audio');
  assert.equal(await pages[0].evaluate(() => window.syRoom.state.stream.getAudioTracks()[0].enabled), true);

  const dir = path.join(BUILD_DIR, 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  await pages[0].screenshot({ path: path.join(dir, 'videoroom.png'), fullPage: true });
  assert.ok(fs.statSync(path.join(dir, 'videoroom.png')).size > 10000);
}, { timeout: 150000 * TIME_FACTOR });

suite.test('simulcast: a tile switched to the low layer and back to the high one', async () => {
  assert.equal(pages.length, 3, 'the first test did not open three pages');
  const page = pages[0];
  assert.equal(await page.evaluate(() => window.syRoom.simulcast), true);
  const bob = (await tiles(page)).find((t) => t.display === 'Bob');
  assert.ok(bob, 'no tile for Bob');
  const width = async () => (await tiles(page)).find((t) => t.id === bob.id)?.width || 0;
  const picker = `#grid figure[data-feed="${bob.id}"] select.quality`;
  await page.selectOption(picker, '0');
  await waitFor(async () => { const w = await width(); return w > 0 && w <= 320; }, 45000,
                `Bob's tile on the low layer (width ${await width()})`, 250);
  await page.selectOption(picker, '2');
  await waitFor(async () => (await width()) >= 640, 45000, `Bob's tile on the high layer (width ${await width()})`, 250);
  // The overlay shows the stats of the tile.
  const overlay = await page.textContent(`#grid figure[data-feed="${bob.id}"] .stats`);
  assert.match(overlay, /^\d+x\d+ · \d+ fps · \d+ kbit\/s$/, overlay);
}, { timeout: 105000 * TIME_FACTOR });

suite.test('stopping the video stops the frames of that tile at the other pages', async () => {
  const [a, b] = pages;
  const bobTile = async () => (await tiles(a)).find((t) => t.display === 'Bob');
  await b.click('#mute-video');
  assert.equal(await b.textContent('#mute-video'), 'Start video');
  // The frames stop: one second with at most one more frame decoded (frames already on their
  // way may still come in first).
  let after = 0;
  await waitFor(async () => {
    const before = (await bobTile()).framesDecoded;
    await sleep(1000);
    after = (await bobTile()).framesDecoded;
    return after - before <= 1;
  }, 30000, 'Bob\'s frames stopped at Alice\'s page', 0);
  await b.click('#mute-video');
  assert.equal(await b.textContent('#mute-video'), 'Stop video');
  await waitFor(async () => (await bobTile()).framesDecoded > after + 10, 30000, 'Bob\'s video back', 250);
}, { timeout: 60000 * TIME_FACTOR });

suite.test('talking indicator: set on talking, cleared on stopped-talking', async () => {
  const [a, b] = pages;
  const aliceTalking = async () => (await tiles(b)).find((t) => t.display === 'Alice')?.talking;
  await waitFor(aliceTalking, 30000, 'Alice marked as talking at Bob\'s page', 200);
  assert.equal(await a.$$eval('#grid figure.local.talking', (els) => els.length), 1, 'Alice\'s own tile');
  await a.click('#mute-audio');
  try {
    await waitFor(async () => (await aliceTalking()) === false, 30000, 'Alice no longer talking (muted)', 200);
  } finally {
    await a.click('#mute-audio');
  }
  await waitFor(aliceTalking, 30000, 'Alice talking again', 200);
}, { timeout: 90000 * TIME_FACTOR });

suite.test('a dropped WebSocket is reconnected and the session claimed', async () => {
  const [a, b] = pages;
  await b.evaluate(() => window.syRoom.state.janus.ws.close());
  await waitFor(async () => (await b.evaluate(() => window.syRoom.state.reconnects || 0)) >= 1, 30000,
                `Bob reconnected (status: ${await statusOf(b)})`, 200);
  assert.match(await statusOf(b), /reconnected/);
  // Requests work again on the claimed session, and the media never stopped.
  const alice = (await tiles(b)).find((t) => t.display === 'Alice');
  await b.evaluate((id) => window.syRoom.setQuality(id, 2), alice.id);
  const bob = (await tiles(a)).find((t) => t.display === 'Bob');
  await waitFor(async () => (await tiles(a)).find((t) => t.id === bob.id).framesDecoded > bob.framesDecoded + 10,
                15000, 'Bob still decoding at Alice\'s page', 200);
}, { timeout: 60000 * TIME_FACTOR });

suite.test('resubscribing a feed again and again reuses m-lines and keeps receiving', async () => {
  // Each unsubscribe + subscribe of a feed would add m-lines to the multistream subscription;
  // the server recycles the inactive ones (as Janus does), so 8 rounds never reach the 16
  // m-line limit ("Too many streams"), which would make the page rebuild the subscription.
  const page = pages[0];
  const bob = (await tiles(page)).find((t) => t.display === 'Bob');
  for (let i = 0; i < 8; i++) await page.evaluate((id) => window.syRoom.resubscribe(id), bob.id);
  const rx = await receiving(page);
  assert.equal(rx.handles, 2, JSON.stringify(rx));
  assert.equal(rx.tracks.length, 4, JSON.stringify(rx));
  assert.equal(await page.evaluate(() => window.syRoom.state.rebuilds || 0), 0, 'the subscription was rebuilt');
  assert.ok(await page.evaluate(() => window.syRoom.state.sub.pc.getTransceivers().length <= 6),
            'inactive m-lines were not reused');
  assert.match(await statusOf(page), /In room 1234 as Alice/);
  const before = await tiles(page);
  await waitFor(async () => (await tiles(page)).every((t) => {
    const b = before.find((x) => x.id === t.id);
    return t.framesDecoded > (b ? b.framesDecoded : 0) + 10 && t.width > 0;
  }), 45000, 'both tiles decoding after the resubscriptions', 250);
}, { timeout: 120000 * TIME_FACTOR });

suite.test('one page leaves and the two others drop its tile', async () => {
  assert.equal(pages.length, 3, 'the first test did not open three pages');
  const [a, b, c] = pages;
  await c.click('#leave');
  await waitFor(async () => /You left the room/.test(await statusOf(c)), 15000, 'the leave confirmation');
  assert.equal(await c.$$eval('#grid figure', (els) => els.length), 0);
  for (const [page, other] of [[a, 'Bob'], [b, 'Alice']]) {
    const t = await waitFor(async () => {
      const x = await tiles(page);
      return x.length === 1 ? x : null;
    }, 30000, 'Carol\'s tile removed', 100);
    assert.equal(t[0].display, other);
    const captions = await page.$$eval('#grid figcaption', (els) => els.map((e) => e.textContent));
    assert.ok(!captions.includes('Carol'), JSON.stringify(captions));
    // Carol's streams left the one subscription (renegotiated), the other's stay.
    const rx = await waitFor(async () => {
      const r = await receiving(page);
      return r.tracks.length === 2 ? r : null;
    }, 30000, 'two tracks left in the subscription', 100);
    assert.equal(rx.handles, 2, JSON.stringify(rx));
    assert.ok(rx.tracks.every((x) => x.feed === t[0].id), JSON.stringify(rx));
    // The remaining remote video still decodes.
    const before = t[0].framesDecoded;
    await waitFor(async () => ((await tiles(page))[0]?.framesDecoded || 0) > before + 10, 15000,
                  `${other}'s video still decoding`, 200);
  }
}, { timeout: 90000 * TIME_FACTOR });

suite.test('a page on the HTTP long-poll API joins and decodes the others', async () => {
  const page = pages[2];
  await page.goto(`${URL}?server=${encodeURIComponent('http://127.0.0.1:8088/janus')}&name=Erin&simulcast=0`);
  await page.click('#join');
  const t = await waitFor(async () => {
    const x = await tiles(page);
    return x.length === 2 && x.every((y) => y.framesDecoded > 5 && y.width > 0) ? x : null;
  }, 60000, `Erin: two remote tiles decoding over HTTP (status: ${await statusOf(page)})`, 250);
  assert.deepEqual(t.map((x) => x.display).sort(), ['Alice', 'Bob']);
  assert.equal(await page.evaluate(() => window.syRoom.state.janus.http), true);
  assert.equal(await page.evaluate(() => window.syRoom.simulcast), false);
  // Erin's page receives both others through one subscription too.
  assert.equal((await receiving(page)).handles, 2);
  // Erin (one layer, no simulcast) decodes at Alice's page, added to Alice's subscription.
  assert.equal((await receiving(pages[0])).handles, 2);
  await waitFor(async () => (await tiles(pages[0])).some((x) => x.display === 'Erin' && x.framesDecoded > 5),
                45000, 'Erin\'s video at Alice\'s page', 250);
  await page.click('#leave');
  await waitFor(async () => /You left the room/.test(await statusOf(page)), 15000, 'Erin left');
}, { timeout: 90000 * TIME_FACTOR });

suite.test('clear messages: unreachable server, no such room, full room, refused camera', async () => {
  const page = pages[2];
  await page.goto(`${URL}?server=ws://127.0.0.1:9/&name=Dave`);
  await page.click('#join');
  await waitFor(async () => /unreachable/.test(await statusOf(page)), 15000, 'the unreachable message');
  assert.equal(await page.getAttribute('#status', 'class'), 'error');
  assert.equal(await page.isDisabled('#join'), false);
  assert.equal(await page.$$eval('#grid figure', (els) => els.length), 0);

  // A room that does not exist, and a full room (its one publisher slot is taken by Bob's
  // second page).
  await page.goto(`${URL}?name=Dave&room=999999`);
  await page.click('#join');
  await waitFor(async () => /there is no room 999999/.test(await statusOf(page)), 10000,
                `the no-such-room message (status: ${await statusOf(page)})`);
  assert.equal(await page.getAttribute('#status', 'class'), 'error');
  const seat = await openPage('Bob in room 4321');
  pages.push(seat);
  await seat.goto(`${URL}?name=Bob2&room=4321`);
  await seat.click('#join');
  await waitFor(async () => /publishing/.test(await statusOf(seat)), 15000, `Bob2 publishing in room 4321 (status: ${await statusOf(seat)})`);
  await page.goto(`${URL}?name=Dave&room=4321`);
  await page.click('#join');
  await waitFor(async () => /the room is full/.test(await statusOf(page)), 45000,
                `the room-full message (status: ${await statusOf(page)})`);
  assert.equal(await page.getAttribute('#status', 'class'), 'error');
  assert.equal(await page.$$eval('#grid figure', (els) => els.length), 0, 'the grid is emptied');
  assert.equal(await page.isDisabled('#join'), false);

  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await page.goto(`${URL}?name=Dave`);
  await page.click('#join');
  await waitFor(async () => /refused/.test(await statusOf(page)), 15000, 'the refused-camera message');
  assert.equal(await page.getAttribute('#status', 'class'), 'error');
}, { timeout: 135000 * TIME_FACTOR });

await suite.run();
