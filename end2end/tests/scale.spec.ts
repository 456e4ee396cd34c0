import { expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { baseUrl, loadedCounts, signIn, test } from './helpers';

const EVENTS = 20_000;

test('a period of 20,000 events loads in pages and scrolls as a window', async ({ page, request }) => {
  test.setTimeout(180_000);
  // A token for this test, written straight into the database.
  const secret = `alog_${randomBytes(32).toString('hex')}`;
  const hash = createHash('sha256').update(secret).digest('hex');
  // The server may be writing (its audit's progress, a checkpoint): wait for its lock
  // rather than fail at once, as the sqlite3 shell does by default.
  execFileSync('sqlite3', ['-cmd', '.timeout 10000', process.env.E2E_DATABASE!,
    `INSERT INTO api_tokens (partner_id, name, token_hash, token_prefix, created_by, created_at)
     VALUES (1, 'Scale test', '${hash}', '${secret.slice(0, 12)}', 1, '2026-11-25T00:00:00Z')`]);
  const now = Date.now();
  for (let batch = 0; batch < EVENTS / 1000; batch++) {
    const events = Array.from({ length: 1000 }, (_, n) => {
      const index = batch * 1000 + n;
      return {
        id: `scale-${index}`,
        occurred_at: new Date(now - 60_000 - index * 37_000).toISOString(),
        customer_id: 1 + (index % 12),
        partner_user: 'admin.agent@contoso.example',
        action: 'assigned_license',
        details: { type: 'license_assignment', product: `Scale product ${index}`, user_principal_name: `u${index}@adatum.example` },
      };
    });
    const response = await request.post(`${baseUrl()}/api/v1/events`, {
      headers: { Authorization: `Bearer ${secret}` }, data: { events },
    });
    expect(response.status()).toBe(200);
  }

  await signIn(page, 'admin.agent@contoso.example');
  const { total } = await loadedCounts(page);
  expect(total).toBeGreaterThan(EVENTS);
  const table = page.locator('table.events');
  await expect(table).toHaveAttribute('aria-rowcount', String(total + 1));
  expect(await page.locator('tr.event').count()).toBeLessThanOrEqual(80);

  // Scroll to the middle: the rows there are drawn, and still only a window of them.
  const scroller = page.locator('.table-scroll');
  await scroller.evaluate((box) => { box.scrollTop = box.scrollHeight / 2; });
  await expect.poll(async () => Number(await page.locator('tr.event').first().getAttribute('aria-rowindex')))
    .toBeGreaterThan(total / 2 - 200);
  expect(await page.locator('tr.event').count()).toBeLessThanOrEqual(80);

  // A row there expands in place, once the window has settled (the scroll and the row
  // measuring may redraw it once more; a click during that lands on whichever event the
  // slot shows then, which may leave the window).
  let lastFirst = -1;
  await expect.poll(async () => {
    const first = Number(await page.locator('tr.event').first().getAttribute('aria-rowindex'));
    const settled = first === lastFirst;
    lastFirst = first;
    return settled;
  }, { intervals: [250] }).toBe(true);
  const row = page.locator('tr.event', { hasText: 'Assigned license' }).nth(5);
  await row.getByRole('button').click();
  await expect(page.locator('tr.event-details:not([hidden])')).toContainText('Scale product');

  // The very end is reachable.
  await scroller.evaluate((box) => { box.scrollTop = box.scrollHeight; });
  await expect(page.locator('tr.event').last()).toHaveAttribute('aria-rowindex', String(total + 1));

  // Filtering 20,000+ rows stays in the browser.
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.getByLabel('Filter').fill('u1234@adatum');
  await expect(page.locator('p.count')).toHaveText(`1 of ${total.toLocaleString('en-US')} events`);
  await expect(page.locator('tr.event')).toHaveCount(1);
  expect(requests.filter((url) => url.includes('/api/'))).toEqual([]);
});

test('a large export shows its progress and can be cancelled', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'admin.agent@contoso.example');
  const { total } = await loadedCounts(page);
  expect(total).toBeGreaterThan(EVENTS);
  const downloads: string[] = [];
  page.on('download', (download) => downloads.push(download.suggestedFilename()));

  // A slow connection (200 kB/s) keeps the download running long enough to watch it.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: 200_000, uploadThroughput: -1,
  });
  await page.getByRole('button', { name: 'Export log' }).click();
  const progress = page.locator('.export-progress');
  await expect(progress).toHaveText(/^Exporting… [1-9][\d,]* rows \(\d+\.\d MB\) Cancel$/);
  await expect(page.getByRole('button', { name: 'Export log' })).toBeDisabled();
  await progress.getByRole('button', { name: 'Cancel' }).click();
  await expect(progress).toHaveText('Export cancelled.');
  await page.waitForTimeout(500);
  expect(downloads, 'a cancelled export saves nothing').toEqual([]);

  // At full speed the whole file arrives, and the page says how many rows it held: the
  // rows on screen plus the cancelled export, which the log recorded when it started.
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export log' }).click(),
  ]);
  const rows = total + 1;
  await expect(progress).toHaveText(new RegExp(`^Exported ${rows.toLocaleString('en-US')} rows \\(\\d+\\.\\d MB\\) to your downloads\\.$`));
  const lines = readFileSync((await download.path())!).toString('utf8').split('\r\n');
  expect(lines.length - 2).toBe(rows);
});
