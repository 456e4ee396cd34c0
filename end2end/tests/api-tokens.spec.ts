import { expect } from '@playwright/test';
import { baseUrl, hydrated, signIn, test } from './helpers';

function event(id: string, dealName: string) {
  return {
    id,
    occurred_at: new Date(Date.now() - 60_000).toISOString(),
    customer_id: 7,
    partner_user: 'sales.agent@contoso.example',
    action: 'created_referral',
    details: { type: 'referral', referral_id: `ref-${id}`, deal_name: dealName, estimated_value_usd: 12000 },
  };
}

test('a Global admin creates a token, sees it once, and it writes into the log until revoked', async ({ page, request }) => {
  await signIn(page, 'global.admin@contoso.example');
  await page.getByRole('navigation', { name: 'Main' }).getByText('Account settings').click();
  await page.getByRole('link', { name: 'API tokens' }).click();
  await page.waitForURL('**/account-settings/api-tokens');
  await hydrated(page);

  await page.getByLabel('Token name').fill('Billing system');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByTestId('new-token').textContent())!;
  expect(secret).toMatch(/^alog_[0-9a-f]{64}$/);
  const row = page.getByRole('row', { name: /Billing system/ });
  await expect(row).toContainText(secret.slice(0, 12));
  await expect(row).toContainText('Active');
  await expect(row).toContainText('Never');

  const send = (body: unknown) =>
    request.post(`${baseUrl()}/api/v1/events`, { headers: { Authorization: `Bearer ${secret}` }, data: body });
  const stored = await send({ events: [event('e2e-referral-1', 'Playwright pilot deal')] });
  expect(stored.status()).toBe(200);
  expect(await stored.json()).toEqual({ stored: 1, duplicates: 0 });
  const refused = await send({ events: [{ ...event('e2e-referral-2', 'x'), customer_id: 13 }] });
  expect(refused.status()).toBe(422);
  expect((await refused.json()).field).toBe('events[0].customer_id');

  // The list never shows the secret again, and now knows the token was used.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('row', { name: /Billing system/ })).not.toContainText('Never');
  expect(await page.content()).not.toContain(secret);

  await page.goto(`${baseUrl()}/account-settings/activity-log`);
  await hydrated(page);
  await page.getByLabel('Filter').fill('Playwright pilot deal');
  await expect(page.locator('tr.event')).toHaveCount(1);
  await expect(page.locator('tr.event')).toContainText('주식회사 한빛소프트');
  await expect(page.locator('tr.event')).toContainText('sales.agent@contoso.example');

  await page.goto(`${baseUrl()}/account-settings/api-tokens`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Revoke Billing system' }).click();
  await expect(page.getByRole('row', { name: /Billing system/ })).toContainText('Revoked');
  const afterRevoke = await send({ events: [event('e2e-referral-3', 'Too late')] });
  expect(afterRevoke.status()).toBe(401);
});

test('other roles see no API tokens menu and are refused the page', async ({ page }) => {
  await signIn(page, 'sales.agent@contoso.example');
  await page.getByRole('navigation', { name: 'Main' }).getByText('Account settings').click();
  await expect(page.getByRole('link', { name: 'Activity log' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'API tokens' })).toHaveCount(0);
  const response = await page.goto(`${baseUrl()}/account-settings/api-tokens`);
  expect(response!.status()).toBe(403);
  await expect(page.getByRole('heading', { name: "Your role can't manage API tokens" })).toBeVisible();
});

test('a token made to read only reads the log and cannot write into it', async ({ page, request }) => {
  await signIn(page, 'global.admin@contoso.example');
  await page.goto(`${baseUrl()}/account-settings/api-tokens`);
  await hydrated(page);

  await page.getByLabel('Token name').fill('SIEM reader');
  await page.getByRole('checkbox', { name: /Send events/ }).uncheck();
  await page.getByRole('checkbox', { name: /Read events/ }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByTestId('new-token').textContent())!;
  const row = page.getByRole('row', { name: /SIEM reader/ });
  await expect(row).toContainText('events:read');
  await expect(row).not.toContainText('events:write');

  const auth = { Authorization: `Bearer ${secret}` };
  const read = await request.get(`${baseUrl()}/api/v1/events?limit=5&q=${encodeURIComponent('customer:"한빛"')}`, { headers: auth });
  expect(read.status()).toBe(200);
  const body = await read.json();
  expect(body.events).toHaveLength(5);
  for (const event of body.events) expect(event.customer_name).toBe('주식회사 한빛소프트');
  expect(body.next).toBe(body.events[4].cursor);

  const write = await request.post(`${baseUrl()}/api/v1/events`, { headers: auth, data: { events: [event('e2e-read-only', 'x')] } });
  expect(write.status()).toBe(403);
  expect((await write.json()).message).toContain('events:write');

  // Neither box: the form says what to choose and makes nothing.
  await page.getByLabel('Token name').fill('Does nothing');
  await page.getByRole('checkbox', { name: /Read events/ }).uncheck();
  await page.getByRole('checkbox', { name: /Send events/ }).uncheck();
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('alert')).toContainText('Choose what the token may do');
  await expect(page.getByRole('row', { name: /Does nothing/ })).toHaveCount(0);
});
