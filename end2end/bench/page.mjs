// Page benchmarks in headless Chromium (bench/run starts the servers and passes their URLs):
//   FCP_URL: a server whose default month holds about 10k events: the wasm and JS files the
//            log page and the sign-in page fetch, first contentful paint, first rows, all rows.
//   FILTER_URL + FILTER_FROM/FILTER_TO: a period of 100k+ events: time from a keystroke in
//            the filter to the updated view, against a plain JavaScript filter+render of the
//            same rows into a table of the same size.
// Filter times are from the input event to the last DOM change it causes, for both.
// Prints one JSON object.
import { chromium } from '@playwright/test';
import { signInAsAdmin } from './sign-in.mjs';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});

async function signedInPage(base) {
  const context = await browser.newContext({ timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInAsAdmin(page, base);
  return page;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const result = {};

// --- What a fresh browser downloads from /pkg/ (wasm and JS): the files whose fetch started
// before the page was interactive (body[data-hydrated], timed by an observer), and for the log
// page also every file fetched by the time its first rows show (code split into a chunk that
// the page fetches only once it runs counts in the second list alone; the other pages' code is
// in chunks fetched when they open).
{
  const base = process.env.FCP_URL;
  const signedIn = await signedInPage(base);
  const storageState = await signedIn.context().storageState();
  await signedIn.context().close();
  const fetchedBy = async (path, state, shown) => {
    const context = await browser.newContext({ storageState: state, timezoneId: 'UTC' });
    await context.addInitScript(() => {
      new MutationObserver(() => {
        if (window.hydratedAt === undefined && document.body?.dataset.hydrated === 'true') {
          window.hydratedAt = performance.now();
        }
      }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
    });
    const page = await context.newPage();
    await page.goto(`${base}${path}`);
    await page.locator('body[data-hydrated="true"]').waitFor();
    await page.locator(shown).first().waitFor({ timeout: 120_000 });
    const { hydratedAt, files } = await page.evaluate(() => ({
      hydratedAt: window.hydratedAt,
      files: performance.getEntriesByType('resource')
        .map((entry) => ({ path: new URL(entry.name).pathname, start: entry.startTime }))
        .filter(({ path }) => path.startsWith('/pkg/') && /\.(wasm|js)$/.test(path)),
    }));
    await context.close();
    const names = (list) => [...new Set(list.map(({ path }) => path.slice('/pkg/'.length)))].sort();
    return { hydrate: names(files.filter(({ start }) => start < hydratedAt)), shown: names(files) };
  };
  const log = await fetchedBy('/account-settings/activity-log', storageState, 'tr.event');
  const signIn = await fetchedBy('/sign-in', undefined, 'body');
  result.bundle = { log_page: log.hydrate, log_page_rows: log.shown, sign_in_page: signIn.hydrate };
}

// --- First contentful paint of the month view
{
  const page = await signedInPage(process.env.FCP_URL);
  const runs = [];
  for (let run = 0; run < 5; run++) {
    const started = Date.now();
    await page.goto(`${process.env.FCP_URL}/account-settings/activity-log`, { waitUntil: 'commit' });
    await page.locator('tr.event').first().waitFor({ timeout: 120_000 });
    const firstRows = Date.now() - started;
    await page.locator('p.count').filter({ hasText: / of [\d,]+ events$/ }).waitFor({ timeout: 120_000 });
    const allRows = Date.now() - started;
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
    const events = Number((await page.locator('p.count').textContent()).match(/of ([\d,]+) events/)[1].replaceAll(',', ''));
    runs.push({ fcp, firstRows, allRows, events });
  }
  result.fcp = {
    events: runs[0].events,
    fcp_ms: median(runs.map((r) => r.fcp)),
    first_rows_ms: median(runs.map((r) => r.firstRows)),
    all_rows_ms: median(runs.map((r) => r.allRows)),
  };
  await page.context().close();
}

// --- Filter latency over 100k+ loaded rows
{
  const base = process.env.FILTER_URL;
  const page = await signedInPage(base);
  await page.locator('body[data-hydrated="true"]').waitFor();
  await page.getByLabel('From', { exact: true }).fill(process.env.FILTER_FROM);
  await page.getByLabel('To', { exact: true }).fill(process.env.FILTER_TO);
  const count = page.locator('p.count');
  await count.filter({ hasText: / of [\d,]+ events$/ }).waitFor({ timeout: 600_000 });
  const loaded = Number((await count.textContent()).match(/of ([\d,]+) events/)[1].replaceAll(',', ''));
  const keystrokes = ['a', 'ad', 'ada', 'adat', 'adatum', 'adatum l', 'adatum li', '', '한', '한빛', ''];

  // The app: set the input as a keystroke would; the time is from the input event to the
  // last change the page makes to the table or the count (seen by a MutationObserver),
  // waiting a second each time so nothing later is missed.
  const app = await page.evaluate(async (texts) => {
    const input = document.querySelector('#activity-filter');
    const watched = document.querySelector('section.activity-log');
    const times = [];
    for (const text of texts) {
      let last = null;
      const observer = new MutationObserver(() => { last = performance.now(); });
      observer.observe(watched, { subtree: true, childList: true, characterData: true, attributes: true });
      const start = performance.now();
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      observer.disconnect();
      times.push((last ?? start) - start);
    }
    return times;
  }, keystrokes);

  // The baseline: the same rows fetched as plain objects, filtered by a plain JavaScript
  // loop over precomputed lowercase keys, and the first rows rendered into a table.
  const baseline = await page.evaluate(async ({ texts, from, to }) => {
    const body = (after) => new URLSearchParams({ from, to, after });
    const rows = [];
    let after = '';
    for (;;) {
      const page = await (await fetch('/api/list_activity', { method: 'POST', body: body(after) })).json();
      for (const [id, , seconds, customer, user, action, text, details] of page.rows) {
        const customerName = customer === null ? '' : page.customers[customer].company_name;
        const actionText = text ?? action;
        rows.push({ id, seconds, customerName, actionText, user: page.users[user],
          key: [customerName, actionText, action, page.users[user], JSON.stringify(details)].join('\n').toLowerCase() });
      }
      if (!page.next) break;
      after = page.next;
    }
    const table = document.createElement('table');
    const tbody = document.createElement('tbody');
    table.appendChild(tbody);
    document.body.appendChild(table);
    const shown = 60;
    const times = [];
    for (const text of texts) {
      const start = performance.now();
      const terms = text.toLowerCase().split(/\s+/).filter(Boolean);
      const matches = rows.filter((row) => terms.every((term) => row.key.includes(term)));
      tbody.replaceChildren(...matches.slice(0, shown).map((row) => {
        const tr = document.createElement('tr');
        for (const cell of [new Date(row.seconds * 1000).toISOString(), row.customerName, row.actionText, row.user]) {
          const td = document.createElement('td');
          td.textContent = cell;
          tr.appendChild(td);
        }
        return tr;
      }));
      times.push(performance.now() - start);
    }
    table.remove();
    return { rows: rows.length, times };
  }, { texts: keystrokes, from: process.env.FILTER_FROM_UTC, to: process.env.FILTER_TO_UTC });

  result.filter = {
    loaded_rows: loaded,
    baseline_rows: baseline.rows,
    keystrokes: keystrokes.length,
    app_median_ms: median(app),
    app_ms: app.map((ms) => Math.round(ms * 10) / 10),
    app_max_ms: Math.max(...app),
    js_median_ms: median(baseline.times),
    js_max_ms: Math.max(...baseline.times),
  };
  await page.context().close();
}

await browser.close();
console.log(JSON.stringify(result));
