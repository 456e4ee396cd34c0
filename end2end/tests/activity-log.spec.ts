import { readFileSync } from 'node:fs';
import { expect } from '@playwright/test';
import { baseUrl, dayIn, emailFirst, hydrated, loadedCounts, PASSWORD, signIn, test, recordRequests } from './helpers';

const ZONE = 'Asia/Seoul'; // playwright.config.ts runs the browser in this zone

function sameDayLastMonth(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  const year = m === 1 ? y - 1 : y;
  const month = m === 1 ? 12 : m - 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(d, lastDay)).padStart(2, '0')}`;
}

test('signing in opens the activity log with the most recent month in the viewer\'s zone', async ({ page }) => {
  await signIn(page, 'global.admin@contoso.example');
  const today = dayIn(ZONE, new Date());
  await expect(page.getByLabel('From', { exact: true })).toHaveValue(sameDayLastMonth(today));
  await expect(page.getByLabel('To', { exact: true })).toHaveValue(today);
  await expect(page.getByText(`Times are in ${ZONE} (UTC+09:00).`)).toBeVisible();
  // The link now names the period, so copying it keeps these days.
  await expect(page).toHaveURL(new RegExp(`\\?from=${sameDayLastMonth(today)}&to=${today}$`));
  const headers = page.locator('table.events thead th');
  await expect(headers).toHaveText(['Details', `Date-Time (${ZONE})`, 'Affected customer', 'Action', 'Partner user']);
  const { shown, total } = await loadedCounts(page);
  expect(total).toBeGreaterThan(20);
  expect(shown).toBe(total);
  // The table knows every row; only those in view (and a margin) are in the page.
  await expect(page.locator('table.events')).toHaveAttribute('aria-rowcount', String(total + 1));
  const rendered = await page.locator('tr.event').count();
  expect(rendered).toBeGreaterThan(10);
  expect(rendered).toBeLessThanOrEqual(Math.min(total, 80));

  // Newest first: every row's time is no later than the one above it.
  const times = await page.locator('tr.event time').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('datetime')!));
  expect([...times].sort().reverse()).toEqual(times);
  // Displayed in Seoul time: the first row's UTC instant shown 9 hours later.
  const first = new Date(times[0]);
  const shownText = await page.locator('tr.event time').first().textContent();
  const seoul = new Intl.DateTimeFormat('en-US', {
    timeZone: ZONE, dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23',
  }).format(first);
  expect(shownText).toBe(seoul);
});

test('the page is interactive before the code for its rows arrives, asks for the rows meanwhile, and shows them once it does', async ({ page }) => {
  // The rows' views, the filtering and the badge are a wasm chunk of their own (client_code),
  // fetched as the page hydrates. Hold it back on a reload and watch the page without it.
  let release = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  let holding = false;
  let heldChunks = 0;
  await page.route(/\/pkg\/split_client_code_\d+\.wasm$/, async (route) => {
    if (holding) {
      heldChunks += 1;
      await held;
    }
    await route.continue();
  });
  await signIn(page, 'global.admin@contoso.example');
  await loadedCounts(page);
  holding = true;
  const requests = recordRequests(page);
  await page.reload();
  await hydrated(page);
  await expect.poll(() => heldChunks).toBe(1);
  // The first page of events is asked for without waiting for the code.
  await expect.poll(() => requests.filter((url) => url.includes('/api/list_activity')).length).toBeGreaterThan(0);
  await expect(page.locator('p.status')).toHaveText('Loading activity…');
  await expect(page.locator('tr.event')).toHaveCount(0);
  // Already interactive: typing filters as soon as the rows can show, and the URL follows.
  await page.getByLabel('Filter', { exact: true }).fill('ordered');
  await expect(page).toHaveURL(/[?&]q=ordered(&|$)/);
  release();
  const { shown, total } = await loadedCounts(page);
  expect(shown).toBeGreaterThan(0);
  expect(shown).toBeLessThan(total);
  await expect(page.locator('tr.event').first()).toContainText(/ordered/i);
  await expect(page.locator('[data-integrity]')).toHaveAttribute('data-integrity', /verified|partial/);
});

test('a customer\'s subscriptions come 100 a page, with links both ways', async ({ page }) => {
  await signIn(page, 'sales.agent@contoso.example');
  await page.goto(`${baseUrl()}/customers/1/subscriptions`);
  await hydrated(page);
  const status = page.locator('.pager-status');
  await expect(status).toHaveText(/^1–100 of \d{3,}$/);
  const total = Number((await status.textContent())!.split(' of ')[1].replace(/,/g, ''));
  await expect(page.locator('.subscriptions tbody tr')).toHaveCount(100);
  const firstOfPageOne = await page.locator('.subscriptions tbody tr code').first().textContent();
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/\/customers\/1\/subscriptions\?page=2$/);
  await expect(status).toHaveText(`101–${Math.min(200, total)} of ${total.toLocaleString('en-US')}`);
  await expect(page.locator('.subscriptions tbody tr code').first()).not.toHaveText(firstOfPageOne!);
  await page.getByRole('link', { name: '← Previous' }).click();
  await expect(page).toHaveURL(/\?page=1$/);
  await expect(page.locator('.subscriptions tbody tr code').first()).toHaveText(firstOfPageOne!);
});

test('Account settings menu leads to the Activity log', async ({ page }) => {
  await signIn(page, 'sales.agent@contoso.example');
  await page.goto(`${baseUrl()}/customers/1/subscriptions`);
  await hydrated(page);
  await page.getByText('Account settings').click();
  await page.getByRole('link', { name: 'Activity log' }).first().click();
  await expect(page).toHaveURL(/\/account-settings\/activity-log(\?.*)?$/);
  await expect(page.getByRole('heading', { name: 'Activity log' })).toBeVisible();
});

test('the down arrow expands an order to show each product', async ({ page }) => {
  await signIn(page, 'admin.agent@contoso.example');
  await loadedCounts(page);
  const orderRow = page.locator('tr.event', { hasText: 'Ordered subscriptions' }).first();
  const arrow = orderRow.getByRole('button', { name: /^Details: Ordered subscriptions for / });
  await expect(arrow).toHaveAttribute('aria-expanded', 'false');
  const detailsId = await arrow.getAttribute('aria-controls');
  const details = page.locator(`#${detailsId}`);
  await expect(details).toBeHidden();

  const requests = recordRequests(page);
  await arrow.click();
  await expect(arrow).toHaveAttribute('aria-expanded', 'true');
  await expect(details).toBeVisible();
  const products = details.locator('table.order-lines tbody tr');
  expect(await products.count()).toBeGreaterThan(0);
  await expect(details.locator('table.order-lines thead th')).toHaveText(['Product', 'Quantity', 'Subscription ID']);
  await expect(products.first().locator('td').nth(1)).toHaveText(/^\d+$/);
  // The details are drawn from what the page holds; only the event's proof (which signed
  // checkpoint covers it, evidence.rs) is asked of the server, beside them.
  expect(
    requests.filter((url) => !url.endsWith('/api/event_evidence')),
    'expanding needs no round trip',
  ).toEqual([]);

  await arrow.click();
  await expect(arrow).toHaveAttribute('aria-expanded', 'false');
  await expect(details).toBeHidden();
});

test('an open row stays with its event while the filter puts other events in its place', async ({ page }) => {
  // The table reuses each row's elements for whatever event the filter puts at its
  // position: what is open, named and linked must follow the events, not the positions.
  await signIn(page, 'admin.agent@contoso.example');
  await loadedCounts(page);
  const order = page.locator('tr.event', { hasText: 'Ordered subscriptions' }).first();
  const openId = await order.getAttribute('data-event-id');
  const label = await order.locator('button.expand').getAttribute('aria-label');
  const customer = await order.locator('td').nth(2).textContent();
  await order.locator('button.expand').click();
  const opened = page.locator(`tr.event[data-event-id="${openId}"]`);
  await expect(opened).toHaveClass(/expanded/);
  const details = page.locator('tr.event-details:visible');
  await expect(details).toHaveCount(1);
  const products = await details.locator('table.order-lines tbody').textContent();

  const filter = page.getByLabel('Filter', { exact: true });
  await filter.fill('-action:ordered');
  await expect(page.locator('p.count')).toContainText(' of ');
  await expect(opened).toHaveCount(0);
  await expect(page.locator('tr.event.expanded')).toHaveCount(0);
  await expect(page.locator('tr.event-details:visible')).toHaveCount(0);
  await expect(page.locator('tr.event button.expand[aria-expanded="true"]')).toHaveCount(0);
  for (const row of await page.locator('tr.event').all()) {
    await expect(row.locator('button.expand')).not.toHaveAttribute('aria-label', label!);
    await expect(row).not.toContainText('Ordered subscriptions');
  }

  await filter.fill('');
  await expect(opened).toHaveClass(/expanded/);
  await expect(page.locator('tr.event.expanded')).toHaveCount(1);
  await expect(opened.locator('button.expand')).toHaveAttribute('aria-label', label!);
  await expect(opened.locator('td').nth(2)).toHaveText(customer!);
  await expect(page.locator('tr.event-details:visible')).toHaveCount(1);
  await expect(page.locator('tr.event-details:visible table.order-lines tbody')).toHaveText(products!);
  // Each row's details are the ones its button controls.
  const controls = await opened.locator('button.expand').getAttribute('aria-controls');
  await expect(page.locator(`#${controls}`)).toBeVisible();
});

test('a customer link opens that customer\'s Subscriptions page', async ({ page }) => {
  await signIn(page, 'billing.admin@contoso.example');
  await loadedCounts(page);
  await page.locator('tr.event').getByRole('link', { name: '주식회사 한빛소프트' }).first().click();
  await expect(page).toHaveURL(/\/customers\/\d+\/subscriptions$/);
  await expect(page.getByRole('heading', { name: 'Subscriptions' })).toBeVisible();
  await expect(page.locator('.customer-name')).toContainText('주식회사 한빛소프트');
  const rows = page.locator('table.data-table tbody tr');
  expect(await rows.count()).toBeGreaterThan(0);
  await expect(page.locator('table.data-table thead th')).toHaveText([
    'Product', 'Quantity', 'Status', 'Start date', 'Subscription ID',
  ]);
});

test('the filter narrows the loaded rows as you type, Korean included', async ({ page }) => {
  await signIn(page, 'user.admin@contoso.example');
  const before = await loadedCounts(page);
  const requests = recordRequests(page);

  await page.getByLabel('Filter').fill('한빛');
  const after = await loadedCounts(page);
  expect(after.total).toBe(before.total);
  expect(after.shown).toBeGreaterThan(0);
  expect(after.shown).toBeLessThan(before.total);
  await expect(page.locator('table.events')).toHaveAttribute('aria-rowcount', String(after.shown + 1));
  const customers = await page.locator('tr.event td:nth-child(3)').allTextContents();
  expect(customers.length).toBe(Math.min(after.shown, customers.length));
  expect(customers.length).toBeGreaterThan(0);
  for (const name of customers) expect(name).toContain('한빛');

  await page.getByLabel('Filter').fill('ORDERED 한빛');
  const both = await loadedCounts(page);
  expect(both.shown).toBeGreaterThan(0);
  for (const action of await page.locator('tr.event td:nth-child(4)').allTextContents()) {
    expect(action).toBe('Ordered subscriptions');
  }

  await page.getByLabel('Filter').fill('no such thing anywhere');
  await expect(page.getByText('No events match the filter.')).toBeVisible();
  expect(requests.filter((url) => url.includes('/api/')), 'filtering needs no round trip').toEqual([]);
});

test('Export log downloads exactly the rows on screen as an Excel-friendly CSV', async ({ page }) => {
  await signIn(page, 'global.admin@contoso.example');
  const { total } = await loadedCounts(page);
  const from = await page.getByLabel('From', { exact: true }).inputValue();
  const to = await page.getByLabel('To', { exact: true }).inputValue();

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export log' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`activity-log_${from}_${to}.csv`);
  const bytes = readFileSync((await download.path())!);
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = bytes.subarray(3).toString('utf8');
  expect(text.endsWith('\r\n')).toBe(true);
  expect(text.replace(/\r\n/g, '')).not.toContain('\n');
  const lines = text.split('\r\n').slice(0, -1);
  expect(lines[0]).toBe('Date-Time (UTC),Affected customer,Action,Partner user,Customer ID,Event ID,Action kind,Details (JSON)');
  // No field of the demo data spans lines, so records are lines.
  expect(lines.length - 1).toBe(total);
  expect(text).toContain(',주식회사 한빛소프트,');
  expect(text).toContain(",'=SUM(A1:A9) Analytics,");
  expect(text).toContain(',"Litware, Inc.",');
  expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},/);

  // With a filter, the file follows the filter.
  await page.getByLabel('Filter').fill('한빛');
  const { shown } = await loadedCounts(page);
  const [filtered] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export log' }).click(),
  ]);
  const filteredLines = readFileSync((await filtered.path())!).subarray(3).toString('utf8').split('\r\n').slice(1, -1);
  expect(filteredLines).toHaveLength(shown);
  for (const line of filteredLines) expect(line).toContain('한빛');
});

test('a reversed or missing period gets an inline message and no request', async ({ page }) => {
  await signIn(page, 'helpdesk.agent@contoso.example');
  await loadedCounts(page);
  const requests = recordRequests(page);
  const to = await page.getByLabel('To', { exact: true }).inputValue();
  const [y, m, d] = to.split('-').map(Number);
  const dayAfter = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);

  await page.getByLabel('From', { exact: true }).fill(dayAfter);
  await expect(page.getByRole('alert')).toHaveText('From must be on or before To.');
  await expect(page.getByRole('button', { name: 'Export log' })).toBeDisabled();
  await page.getByLabel('From', { exact: true }).fill('');
  await expect(page.getByRole('alert')).toHaveText('Choose a From date.');
  expect(requests.filter((url) => url.includes('/api/list_activity'))).toEqual([]);

  await page.getByLabel('From', { exact: true }).fill(to);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await loadedCounts(page);
  expect(requests.filter((url) => url.includes('/api/list_activity'))).toHaveLength(1);
});

test('a period with no activity says so', async ({ page }) => {
  await signIn(page, 'global.admin@contoso.example');
  await loadedCounts(page);
  await page.getByLabel('From', { exact: true }).fill('2020-01-01');
  await page.getByLabel('To', { exact: true }).fill('2020-01-31');
  await expect(page.getByText('No activity in this period.')).toBeVisible();
});

test('the Referrals admin is refused, by the page and by the server', async ({ page }) => {
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await emailFirst(page, 'referrals.admin@contoso.example');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account-settings\/activity-log(\?.*)?$/);
  await expect(page.getByRole('heading', { name: "Your role can't view the activity log" })).toBeVisible();
  await expect(page.locator('table.events')).toHaveCount(0);

  const response = await page.request.post(`${baseUrl()}/api/list_activity`, {
    form: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
  });
  expect(response.status()).toBe(403);
  const direct = await page.goto(`${baseUrl()}/account-settings/activity-log`);
  expect(direct!.status()).toBe(403);
});

test('a wrong password is refused with a clear message', async ({ page }) => {
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await emailFirst(page, 'global.admin@contoso.example');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The email or password is not right.');
  await expect(page).toHaveURL(/\/sign-in$/);

  // The demo database lists its accounts; choosing one fills the form.
  await page.getByRole('button', { name: 'sales.agent@contoso.example' }).click();
  await expect(page.getByLabel('Email')).toHaveValue('sales.agent@contoso.example');
  await expect(page.getByLabel('Password')).toHaveValue(PASSWORD);
});

test('another partner\'s customer page is a 404', async ({ page }) => {
  // Contoso's customers are 1-12 and Fabrikam's 13-16 in the demo database.
  await signIn(page, 'global.admin@fabrikam.example');
  const own = await page.goto(`${baseUrl()}/customers/13/subscriptions`);
  expect(own!.status()).toBe(200);
  await expect(page.locator('.customer-name')).toContainText('Alpine Ski House');

  await page.context().clearCookies();
  await signIn(page, 'global.admin@contoso.example');
  const other = await page.goto(`${baseUrl()}/customers/13/subscriptions`);
  expect(other!.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Customer not found.' })).toBeVisible();
  await expect(page.getByText('Alpine Ski House')).toHaveCount(0);
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page, 'global.admin@contoso.example');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  const response = await page.goto(`${baseUrl()}/account-settings/activity-log`);
  expect(response!.url()).toMatch(/\/sign-in$/);
});
