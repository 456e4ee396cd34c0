// Live-log latency in headless Chromium (bench/run passes LIVE_URL, a server whose default
// month holds about 10k events): the month page is open and idle at the top; an event is
// stored through the ingest API; the time from the API's answer (the event committed) to
// the row count on the page going up by one. Ten rounds; prints one JSON object.
import { chromium } from '@playwright/test';
import { signInAsAdmin } from './sign-in.mjs';

const base = process.env.LIVE_URL;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});
const context = await browser.newContext({ timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
await signInAsAdmin(page, base);
const count = page.locator('p.count');
await count.filter({ hasText: /^[\d,]+ of [\d,]+ events$/ }).waitFor({ timeout: 120_000 });
const total = async () => Number((await count.textContent()).match(/of ([\d,]+) events/)[1].replaceAll(',', ''));
const made = await page.request.post(`${base}/api/create_api_token`, { form: { name: 'bench live', send_events: 'on' } });
const { secret } = await made.json();

const latencies = [];
for (let round = 0; round < 10; round++) {
  const before = await total();
  const stored = await page.request.post(`${base}/api/v1/events`, {
    headers: { Authorization: `Bearer ${secret}` },
    data: { events: [{
      id: `bench-live-${Date.now()}-${round}`, occurred_at: new Date().toISOString(),
      partner_user: 'helpdesk.agent@contoso.example', action: 'reset_user_password',
      details: { type: 'password_reset', user_principal_name: 'megan@adatum.example' },
    }] },
  });
  if (stored.status() !== 200) throw new Error(`ingest answered ${stored.status()}`);
  const committed = Date.now();
  await page.waitForFunction(
    (expected) => (document.querySelector('p.count')?.textContent ?? '').includes(`of ${expected.toLocaleString('en-US')} events`),
    before + 1, { timeout: 10_000, polling: 10 });
  latencies.push(Date.now() - committed);
  // Apart, so each round is its own poll.
  await page.waitForTimeout(1300);
}
const sorted = [...latencies].sort((a, b) => a - b);
console.log(JSON.stringify({ rounds: latencies.length, median_ms: sorted[5], best_ms: sorted[0], worst_ms: sorted.at(-1) }));
await browser.close();
