// Issue 37's measures of the log page over a long period, in headless Chromium, on the release
// site (bench/year starts the server on a database of about a million events):
//   load:   the period chosen (From/To filled) → every row loaded (the count's "of N events");
//   memory: resident memory of all of the browser's processes (RSS and PSS, from /proc) before
//           choosing the period and once its rows are loaded;
//   keys:   real key presses in the filter (page.keyboard.press), each timed by the browser's
//           own Event Timing (key → next paint; entries of 16 ms and more, the API's floor),
//           and from the key down to the count's change; beside a plain JavaScript filter of
//           the same rows rendering 60 rows, pressed and timed the same way;
//   bytes:  every wasm and JS file (and the data) a fresh browser fetches until the log
//           page's filter answers a key (Resource Timing, bytes on the wire).
// Env: YEAR_URL; YEAR_FROM/YEAR_TO (the year, local days); SHORT_FROM (the 85-day period's
// first day); RUNS (loads timed, default 3); LATENCY_MS (the round trip of one more load,
// default 40). Prints one JSON object.
import { chromium } from '@playwright/test';
import { signInAsAdmin } from './sign-in.mjs';
import { readFileSync, readdirSync } from 'node:fs';

const tag = `--bench-year-${process.pid}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', tag],
});
const base = process.env.YEAR_URL;
const runs = Number(process.env.RUNS ?? 3);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (ms) => Math.round(ms * 10) / 10;

/** The browser's processes: the one launched with our tag and all its descendants. */
function browserMemory() {
  const parents = new Map();
  let root = null;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (root === null && readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(tag)) root = Number(name);
    } catch { /* gone */ }
  }
  const ours = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!ours.has(pid) && ours.has(parent)) { ours.add(pid); grew = true; }
    }
  }
  let rss = 0, pss = 0;
  for (const pid of ours) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(rollup.match(/^Rss:\s+(\d+)/m)[1]);
      pss += Number(rollup.match(/^Pss:\s+(\d+)/m)[1]);
    } catch { /* gone */ }
  }
  return { processes: ours.size, rss_mib: Math.round(rss / 1024), pss_mib: Math.round(pss / 1024) };
}

/** Where the page's memory is, once its rows are loaded: the wasm module's linear memory
 * (what the app's own data costs, never given back) and the JS heap (V8's used and total). */
async function pageMemory(context, page) {
  const wasmBytes = await page.evaluate(async () => {
    // The hydration script imported the module it preloads; importing it again gets the same
    // instance, whose init returns the already-made exports rather than loading anew.
    const path = document.querySelector('link[rel="modulepreload"][href$=".js"]')?.getAttribute('href');
    if (!path) return null;
    const exports = await (await import(path)).default();
    return exports?.memory?.buffer?.byteLength ?? null;
  });
  const cdp = await context.newCDPSession(page);
  const heap = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  const mib = (bytes) => (bytes == null ? null : Math.round(bytes / 1048576));
  return { wasm_memory_mib: mib(wasmBytes), js_heap_used_mib: mib(heap.usedSize), js_heap_total_mib: mib(heap.totalSize) };
}

/** The renderer's CPU time while `work` runs, by where it went (CDP's sampling profiler):
 * wasm, the page's JS, garbage collection, the browser's own (program), idle; and the
 * functions that took the most. Run with YEAR_PROFILE=1 (it slows what it watches). */
async function cpuProfile(context, page, work) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  const result = await work();
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.detach();
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((id, index) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  const byKind = {}, byFunction = {};
  for (const [id, ms] of self) {
    const frame = nodes.get(id).callFrame;
    const name = frame.functionName || '(anonymous)';
    const kind = name.startsWith('(') ? name
      : frame.url.endsWith('.wasm') || /^(wasm-function|\$)/.test(name) || frame.url.startsWith('wasm://') ? 'wasm' : 'js';
    byKind[kind] = (byKind[kind] ?? 0) + ms;
    const key = `${kind}: ${name}`;
    byFunction[key] = (byFunction[key] ?? 0) + ms;
  }
  const top = Object.entries(byFunction).sort((a, b) => b[1] - a[1]).slice(0, 15)
    .map(([name, ms]) => `${name} ${Math.round(ms)}`);
  return { result, profile: { ms_by_kind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, Math.round(v)])), top } };
}

async function signedInContext() {
  const context = await browser.newContext({ timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInAsAdmin(page, base);
  await page.close();
  return context;
}

/** Collects Event Timing entries of the page's key presses (and the count's changes). */
const observeEvents = () => {
  performance.setResourceTimingBufferSize(10_000);
  window.benchEvents = [];
  window.benchCountChanges = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.benchEvents.push({ name: entry.name, start: entry.startTime, duration: entry.duration,
        processing: entry.processingEnd - entry.processingStart, target: entry.target?.id ?? '' });
    }
  }).observe({ type: 'event', durationThreshold: 16, buffered: true });
  // A key's start: its keydown, or for text inserted without keys (the Korean syllables,
  // page.keyboard.insertText) its beforeinput. One start per press, 100 ms apart at least.
  window.benchKeyStarts = [];
  const keyStart = (event) => {
    if (window.benchLastKey !== undefined && event.timeStamp - window.benchLastKey < 100) return;
    window.benchLastKey = event.timeStamp;
    window.benchKeyStarts.push(event.timeStamp);
  };
  document.addEventListener('keydown', keyStart, true);
  document.addEventListener('beforeinput', keyStart, true);
  const watch = () => {
    const count = document.querySelector('p.count');
    if (!count) return setTimeout(watch, 50);
    new MutationObserver(() => {
      if (window.benchLastKey !== undefined) window.benchCountChanges.push(performance.now() - window.benchLastKey);
    }).observe(count, { subtree: true, childList: true, characterData: true });
  };
  watch();
};

const typed = ['a', 'd', 'a', 't', 'u', 'm', ' ', 'l', 'i', 'Backspace', 'Backspace', 'Backspace',
  'Backspace', 'Backspace', 'Backspace', 'Backspace', 'Backspace', 'Backspace', '한', '빛', 'Backspace', 'Backspace'];

/** Presses `typed` into `selector`, a key every 300 ms; what Event Timing and the count saw. */
async function pressKeys(page, selector) {
  await page.locator(selector).focus();
  await page.evaluate(() => {
    window.benchEvents.length = 0; window.benchCountChanges.length = 0; window.benchKeyStarts.length = 0;
  });
  for (const key of typed) {
    if (key.length === 1 && key.charCodeAt(0) > 127) await page.keyboard.insertText(key);
    else await page.keyboard.press(key);
    await page.waitForTimeout(300);
  }
  await page.waitForTimeout(500);
  const { events, counts, starts } = await page.evaluate(() => ({
    events: window.benchEvents, counts: window.benchCountChanges, starts: window.benchKeyStarts,
  }));
  const keyEvents = events.filter((entry) => ['keydown', 'keypress', 'keyup', 'input', 'beforeinput'].includes(entry.name));
  // Which press each slow entry belongs to: "key: entry duration, …" for the presses that had any.
  const pressOf = (entry) => starts.filter((start) => start <= entry.start + 1).length - 1;
  const slow = typed.map((key, index) => {
    const mine = keyEvents.filter((entry) => pressOf(entry) === index);
    return mine.length ? `${index} ${key}: ${mine.map((entry) => `${entry.name} ${entry.duration}`).join(', ')}` : null;
  }).filter(Boolean);
  return {
    keys: typed.length,
    events_16ms_or_more: keyEvents.length,
    worst_event_ms: keyEvents.length ? Math.max(...keyEvents.map((entry) => entry.duration)) : 0,
    worst_processing_ms: keyEvents.length ? round(Math.max(...keyEvents.map((entry) => entry.processing))) : 0,
    key_to_count_ms: counts.length ? { median: round(median(counts)), worst: round(Math.max(...counts)) } : null,
    slow_presses: slow,
  };
}

/** Where a load's time went (Resource Timing of its `list_activity` requests): the requests'
 * own times (network and server) summed, and how long at least one was under way or none
 * was. The page fetches the period's stretches side by side, each stretch's next page asked
 * for as soon as an answer names its cursor, while the browser decodes the pages in order
 * (and runs the view's work on all rows so far): that work is inside the requests' time,
 * unless it takes longer, and then shows as time with none under way. */
async function pageTimes(page, since) {
  const requests = await page.evaluate((since) => performance.getEntriesByType('resource')
    .filter((entry) => entry.name.includes('/api/list_activity') && entry.startTime >= since)
    .map((entry) => ({ start: entry.startTime, end: entry.responseEnd })), since);
  const sum = (list) => Math.round(list.reduce((total, ms) => total + ms, 0));
  const byStart = [...requests].sort((a, b) => a.start - b.start);
  let underWay = 0, reached = -Infinity;
  for (const { start, end } of byStart) {
    underWay += Math.max(0, end - Math.max(start, reached));
    reached = Math.max(reached, end);
  }
  const span = byStart.length ? reached - byStart[0].start : 0;
  return {
    requests: requests.length,
    first_request_to_last_answer_ms: Math.round(span),
    fetch_ms: sum(requests.map((request) => request.end - request.start)),
    under_way_ms: Math.round(underWay),
    none_under_way_ms: Math.round(span - underWay),
  };
}

async function choosePeriod(page, from, to) {
  const started = await page.evaluate(() => performance.now());
  await page.getByLabel('From', { exact: true }).fill(from);
  await page.getByLabel('To', { exact: true }).fill(to);
  const count = page.locator('p.count');
  await count.filter({ hasText: / of [\d,]+ events$/ }).waitFor({ timeout: 600_000 });
  const loadedAt = await page.evaluate(() => performance.now());
  const rows = Number((await count.textContent()).match(/of ([\d,]+) events/)[1].replaceAll(',', ''));
  return { rows, ms: Math.round(loadedAt - started), started };
}

const result = {};
const context = await signedInContext();

// --- The year: load time (RUNS times, each in a fresh page), memory, key presses.
{
  const loads = [];
  for (let run = 0; run < runs; run++) {
    const page = await context.newPage();
    await page.addInitScript(observeEvents);
    await page.goto(`${base}/account-settings/activity-log`);
    await page.locator('body[data-hydrated="true"]').waitFor();
    await page.locator('p.count').filter({ hasText: / of [\d,]+ events$/ }).waitFor({ timeout: 120_000 });
    // A server just started walks the partner's whole chain for the first badge (seconds
    // of its CPU, once): the year is timed on a server that has, as one that has been up.
    await page.locator('.integrity:not([data-integrity="checking"])').waitFor({ timeout: 120_000 });
    const badgeMs = Math.round(await page.evaluate(() => performance.now()));
    await page.waitForTimeout(1000);
    const before = browserMemory();
    const loaded = await choosePeriod(page, process.env.YEAR_FROM, process.env.YEAR_TO);
    await page.waitForTimeout(2000);
    const after = browserMemory();
    after.in_page = await pageMemory(context, page);
    loads.push({ ...loaded, before, after, badgeMs, pages: await pageTimes(page, loaded.started) });
    if (run === runs - 1) {
      if (process.env.YEAR_PROFILE) {
        // One more load of the year, profiled: another period first, so the year loads anew.
        await choosePeriod(page, process.env.SHORT_FROM, process.env.YEAR_TO);
        const { profile } = await cpuProfile(context, page,
          () => choosePeriod(page, process.env.YEAR_FROM, process.env.YEAR_TO));
        result.year_load_profile = profile;
      }
      result.year_keys = await pressKeys(page, '#activity-filter');
      result.short_period = await choosePeriod(page, process.env.SHORT_FROM, process.env.YEAR_TO);
      result.short_keys = await pressKeys(page, '#activity-filter');
    }
    await page.close();
  }
  // The same year once more, every request held LATENCY_MS (default 40) as a browser far
  // from the server would see it (Chromium's own network emulation): the page's requests one
  // after another would each pay the round trip.
  {
    const latency = Number(process.env.LATENCY_MS ?? 40);
    const page = await context.newPage();
    await page.addInitScript(observeEvents);
    await page.goto(`${base}/account-settings/activity-log`);
    await page.locator('body[data-hydrated="true"]').waitFor();
    await page.locator('p.count').filter({ hasText: / of [\d,]+ events$/ }).waitFor({ timeout: 120_000 });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions',
      { offline: false, latency, downloadThroughput: -1, uploadThroughput: -1 });
    const loaded = await choosePeriod(page, process.env.YEAR_FROM, process.env.YEAR_TO);
    result.year_far = { latency_ms: latency, load_ms: loaded.ms, pages: await pageTimes(page, loaded.started) };
    await page.close();
  }
  result.year = {
    rows: loads[0].rows,
    load_ms: loads.map((load) => load.ms),
    load_median_ms: median(loads.map((load) => load.ms)),
    // The page opened until its badge answered: the first run's includes the server's walk.
    badge_ms: loads.map((load) => load.badgeMs),
    pages: loads.map((load) => load.pages),
    memory_before: loads.map((load) => load.before),
    memory_after: loads.map((load) => load.after),
    rss_growth_mib: loads.map((load) => load.after.rss_mib - load.before.rss_mib),
    pss_growth_mib: loads.map((load) => load.after.pss_mib - load.before.pss_mib),
  };
}

// --- The baseline: the year's rows as plain objects, filtered by a plain JavaScript loop over
// precomputed lowercase keys on each input event, 60 rows rendered; same key presses.
{
  const page = await context.newPage();
  await page.addInitScript(observeEvents);
  await page.goto(`${base}/account-settings/activity-log`);
  await page.locator('body[data-hydrated="true"]').waitFor();
  const before = browserMemory();
  const loadMs = await page.evaluate(async ({ from, to }) => {
    const started = performance.now();
    // The period in two stretches fetched side by side, as the page fetches it (and so
    // the same pages from the server's memory).
    const stretch = async (from, to) => {
      const rows = [];
      let after = '';
      for (;;) {
        const body = new URLSearchParams({ from, to, after });
        const answer = await (await fetch('/api/list_activity', { method: 'POST', body })).json();
        for (const [id, , seconds, customer, user, action, text, details] of answer.rows) {
          const customerName = customer === null ? '' : answer.customers[customer].company_name;
          const actionText = text ?? action;
          rows.push({ id, seconds, customerName, actionText, user: answer.users[user],
            key: [customerName, actionText, action, answer.users[user], JSON.stringify(details)].join('\n').toLowerCase() });
        }
        if (!answer.next) break;
        after = answer.next;
      }
      return rows;
    };
    const [fromS, toS] = [Date.parse(from) / 1000, Date.parse(to) / 1000];
    const mid = new Date((fromS + Math.floor((toS - fromS) / 2)) * 1000).toISOString().replace('.000Z', 'Z');
    const rows = (await Promise.all([stretch(mid, to), stretch(from, mid)])).flat();
    const input = document.createElement('input');
    input.id = 'baseline-filter';
    const count = document.createElement('p');
    count.className = 'count';
    const table = document.createElement('table');
    const tbody = table.createTBody();
    document.body.replaceChildren(input, count, table);
    const render = () => {
      const terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      const matches = rows.filter((row) => terms.every((term) => row.key.includes(term)));
      count.textContent = `${matches.length} of ${rows.length} events`;
      tbody.replaceChildren(...matches.slice(0, 60).map((row) => {
        const tr = document.createElement('tr');
        for (const cell of [new Date(row.seconds * 1000).toISOString(), row.customerName, row.actionText, row.user]) {
          tr.insertCell().textContent = cell;
        }
        return tr;
      }));
    };
    input.addEventListener('input', render);
    render();
    window.benchRows = rows;
    return performance.now() - started;
  }, { from: `${process.env.YEAR_FROM}T00:00:00Z`, to: `${process.env.YEAR_TO_UTC}` });
  await page.evaluate(observeEvents);
  const after = browserMemory();
  result.baseline = {
    rows: await page.evaluate(() => window.benchRows.length),
    load_ms: Math.round(loadMs),
    rss_growth_mib: after.rss_mib - before.rss_mib,
    pss_growth_mib: after.pss_mib - before.pss_mib,
    keys: await pressKeys(page, '#baseline-filter'),
  };
  await page.close();
}

// --- Bytes: a fresh browser (signed in, nothing cached) until the filter answers a key.
{
  const storageState = await context.storageState();
  const fresh = await browser.newContext({ storageState, timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
  const page = await fresh.newPage();
  await page.goto(`${base}/account-settings/activity-log`);
  await page.locator('body[data-hydrated="true"]').waitFor();
  const count = page.locator('p.count');
  await count.filter({ hasText: / of [\d,]+ events$/ }).waitFor({ timeout: 120_000 });
  const shown = await count.textContent();
  await page.locator('#activity-filter').focus();
  await page.keyboard.press('z');
  await page.waitForFunction((before) => document.querySelector('p.count')?.textContent !== before, shown);
  const files = await page.evaluate(() => performance.getEntriesByType('resource').map((entry) => ({
    path: new URL(entry.name).pathname, bytes: entry.transferSize, body: entry.encodedBodySize,
  })));
  const code = files.filter(({ path }) => /\.(wasm|js)$/.test(path));
  const data = files.filter(({ path }) => path.startsWith('/api/'));
  const sum = (list, field) => list.reduce((total, file) => total + file[field], 0);
  result.bytes = {
    code_files: code.map(({ path, body }) => `${path.split('/').pop()} ${body}`),
    code_body_bytes: sum(code, 'body'),
    code_transfer_bytes: sum(code, 'bytes'),
    data_requests: data.length,
    data_transfer_bytes: sum(data, 'bytes'),
    all_transfer_bytes: sum(files, 'bytes'),
  };
  await fresh.close();
}

await browser.close();
console.log(JSON.stringify(result));
