import { expect } from '@playwright/test';
import { baseUrl, loadedCounts, resetPreferences, signIn, test } from './helpers';

test.afterEach(async ({ page }) => {
  await resetPreferences(page);
});

test('new events appear at the top as they are stored, or wait behind a notice', async ({ page }) => {
  await signIn(page, 'global.admin@contoso.example');
  const before = await loadedCounts(page);
  // A sending system, as the ingest API's users are.
  const made = await page.request.post(`${baseUrl()}/api/create_api_token`, {
    form: { name: 'Live probe', send_events: 'on' },
  });
  const { secret } = await made.json();
  const send = async (id: string, deal: string) => {
    const response = await page.request.post(`${baseUrl()}/api/v1/events`, {
      headers: { Authorization: `Bearer ${secret}` },
      data: { events: [{
        id, occurred_at: new Date().toISOString(), customer_id: 7,
        partner_user: 'sales.agent@contoso.example', action: 'created_referral',
        details: { type: 'referral', referral_id: id, deal_name: deal, estimated_value_usd: 5000 },
      }] },
    });
    expect(response.status()).toBe(200);
  };

  // An open row stays open; the URL stays as it was.
  const firstRow = page.locator('tr.event').first();
  const openedId = await firstRow.getAttribute('data-event-id');
  await firstRow.locator('button.expand').click();
  const url = page.url();

  // At the top of the unfiltered table: the event shows at once, at the top.
  await send('live-e2e-1', 'Live deal one');
  await expect(page.locator('tr.event').first()).toContainText('주식회사 한빛소프트', { timeout: 5_000 });
  await expect(page.locator('tr.event').first()).toContainText('Created referral');
  await expect(page.locator('p.count')).toHaveText(
    `${(before.total + 1).toLocaleString('en-US')} of ${(before.total + 1).toLocaleString('en-US')} events`);
  await expect(page.locator(`tr.event[data-event-id="${openedId}"] button.expand`)).toHaveAttribute('aria-expanded', 'true');
  // The keyboard stays on the event it was on, now a row lower.
  await expect(page.locator(`tr.event[data-event-id="${openedId}"] button.expand`)).toBeFocused();
  expect(page.url()).toBe(url);

  // Filtering: the next one waits behind a notice, and the rows stay as they are.
  await page.getByLabel('Filter').fill('Live deal');
  await expect(page.locator('p.count')).toHaveText(`1 of ${(before.total + 1).toLocaleString('en-US')} events`);
  await send('live-e2e-2', 'Live deal two');
  const notice = page.getByRole('button', { name: '1 new event: show it' });
  await expect(notice).toBeVisible({ timeout: 5_000 });
  await expect(page.locator('p.count')).toHaveText(`1 of ${(before.total + 1).toLocaleString('en-US')} events`);
  await notice.click();
  await expect(page.locator('p.count')).toHaveText(`2 of ${(before.total + 2).toLocaleString('en-US')} events`);
  await expect(page.locator('tr.event').first()).toContainText('Created referral');
  await expect(page.getByLabel('Filter')).toHaveValue('Live deal');
  await expect(notice).toHaveCount(0);

  // Scrolled down the unfiltered table: the next one waits too, and the view stays put.
  await page.getByLabel('Filter').fill('');
  const scroller = page.locator('.table-scroll');
  await scroller.evaluate((box) => { box.scrollTop = 600; });
  await expect.poll(() => scroller.evaluate((box) => box.scrollTop)).toBeGreaterThan(500);
  const scrolled = await scroller.evaluate((box) => box.scrollTop);
  await send('live-e2e-3', 'Live deal three');
  await expect(notice).toBeVisible({ timeout: 5_000 });
  expect(await scroller.evaluate((box) => box.scrollTop)).toBe(scrolled);
  await expect(page.locator('p.count')).toHaveText(
    `${(before.total + 2).toLocaleString('en-US')} of ${(before.total + 2).toLocaleString('en-US')} events`);
  await notice.click();
  await expect(page.locator('p.count')).toHaveText(
    `${(before.total + 3).toLocaleString('en-US')} of ${(before.total + 3).toLocaleString('en-US')} events`);
  await expect.poll(() => scroller.evaluate((box) => box.scrollTop)).toBe(0);
});
