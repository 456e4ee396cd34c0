import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, Page } from '@playwright/test';
import { baseUrl, emailFirst, hydrated, loadedCounts, resetPreferences, signIn, test } from './helpers';

// These tests change users' saved choices; each puts them back, pass or fail.
test.afterEach(async ({ page }) => {
  await resetPreferences(page);
});

async function columnTexts(page: Page, column: string): Promise<string[]> {
  const index = await page.locator('table.events thead th').evaluateAll(
    (cells, key) => cells.findIndex((cell) => cell.getAttribute('data-column') === key),
    column,
  );
  expect(index, `column ${column} is shown`).toBeGreaterThan(0);
  return page.locator(`tr.event td:nth-child(${index + 1})`).allTextContents();
}

/** In order as the page sorts: lowercase, code point order, no customer ("—") first. */
function isSorted(values: string[], descending = false): boolean {
  const keys = values.map((value) => (value === '—' ? '' : value.toLowerCase().trim()));
  return keys.every((key, i) => i === 0 || (descending ? keys[i - 1] >= key : keys[i - 1] <= key));
}

test('the URL is the view: reload, back/forward and a pasted link restore it', async ({ page, browser }) => {
  await signIn(page, 'global.admin@contoso.example');
  await loadedCounts(page);
  await page.getByLabel('Filter').fill('action:ordered');
  await page.getByRole('button', { name: /^Affected customer/ }).click();
  await page.getByText('Columns', { exact: true }).click();
  await page.getByLabel('Event ID').check();
  await page.locator('tr.event button.expand').first().click();
  const openId = await page.locator('tr.event.expanded').getAttribute('data-event-id');
  await expect(page).toHaveURL(/q=action:ordered/);
  await expect(page).toHaveURL(/sort=customer/);
  await expect(page).toHaveURL(/cols=time,customer,action,user,event_id/);
  await expect(page).toHaveURL(new RegExp(`open=${openId}`));
  const view = page.url();
  const counts = await loadedCounts(page);

  const check = async (target: Page) => {
    await expect(target.getByLabel('Filter')).toHaveValue('action:ordered');
    expect(await loadedCounts(target)).toEqual(counts);
    await expect(target.locator('th[data-column="customer"]')).toHaveAttribute('aria-sort', 'ascending');
    await expect(target.locator('th[data-column="event_id"]')).toBeVisible();
    await expect(target.locator(`tr.event[data-event-id="${openId}"]`)).toHaveClass(/expanded/);
    expect(isSorted(await columnTexts(target, 'customer'))).toBe(true);
  };
  await page.reload();
  await hydrated(page);
  await check(page);

  // A pasted link, in another browser signed in as someone else of the same partner.
  const other = await browser.newContext({ timezoneId: 'Asia/Seoul', locale: 'en-US' });
  const pasted = await other.newPage();
  await signIn(pasted, 'billing.admin@contoso.example');
  await pasted.goto(view);
  await hydrated(pasted);
  await check(pasted);
  await other.close();

  // Back: the sort before the columns changed... back again: no sort; forward: sorted.
  await page.getByRole('button', { name: /^Partner user/ }).click();
  await expect(page.locator('th[data-column="user"]')).toHaveAttribute('aria-sort', 'ascending');
  await page.goBack();
  await expect(page.locator('th[data-column="customer"]')).toHaveAttribute('aria-sort', 'ascending');
  await expect(page.locator('th[data-column="user"]')).not.toHaveAttribute('aria-sort', /.+/);
  await page.goForward();
  await expect(page.locator('th[data-column="user"]')).toHaveAttribute('aria-sort', 'ascending');

  // The filter box follows back/forward too.
  await page.getByLabel('Filter').fill('adatum');
  await expect(page).toHaveURL(/q=adatum/);
  await page.locator('[data-facet="action"] button.facet-value').first().click();
  await expect(page.getByLabel('Filter')).toHaveValue(/^adatum action:/);
  await page.goBack();
  await expect(page.getByLabel('Filter')).toHaveValue('adatum');
  await page.goForward();
  await expect(page.getByLabel('Filter')).toHaveValue(/^adatum action:/);

  // Back before the URL followed the keys (it does once they rest for a second): the box
  // takes the URL's text, and the keys' late write must not put theirs back.
  await page.getByLabel('Filter').fill('fabrikam');
  await page.goBack();
  await expect(page.getByLabel('Filter')).toHaveValue('adatum');
  await page.waitForTimeout(1_500);
  await expect(page).toHaveURL(/q=adatum(&|$)/);
  await expect(page.getByLabel('Filter')).toHaveValue('adatum');
});

test('every column sorts both ways, shown in the header', async ({ page }) => {
  await signIn(page, 'sales.agent@contoso.example');
  await loadedCounts(page);
  const time = page.locator('th[data-column="time"]');
  await expect(time).toHaveAttribute('aria-sort', 'descending');
  await page.getByText('Columns', { exact: true }).click();
  await page.getByLabel('Details', { exact: true }).check();
  await page.getByLabel('Event ID').check();
  for (const column of ['customer', 'action', 'user', 'details', 'event_id']) {
    const header = page.locator(`th[data-column="${column}"]`);
    await header.getByRole('button').click();
    await expect(header).toHaveAttribute('aria-sort', 'ascending');
    await expect(time).not.toHaveAttribute('aria-sort', /.+/);
    expect(isSorted(await columnTexts(page, column)), `${column} A to Z`).toBe(true);
    await header.getByRole('button').click();
    await expect(header).toHaveAttribute('aria-sort', 'descending');
    expect(isSorted(await columnTexts(page, column), true), `${column} Z to A`).toBe(true);
  }
  await time.getByRole('button').click();
  await expect(time).toHaveAttribute('aria-sort', 'descending');
  await time.getByRole('button').click();
  await expect(time).toHaveAttribute('aria-sort', 'ascending');
  const times = await page.locator('tr.event time').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('datetime')!));
  expect([...times].sort()).toEqual(times);
});

test('the query syntax: keys, quotes, negation, OR, and hints for what is not understood', async ({ page }) => {
  await signIn(page, 'user.admin@contoso.example');
  const all = await loadedCounts(page);
  await page.getByLabel('Filter').fill('action:ordered -customer:"한빛"');
  const some = await loadedCounts(page);
  expect(some.shown).toBeGreaterThan(0);
  expect(some.shown).toBeLessThan(all.total);
  for (const action of await columnTexts(page, 'action')) expect(action).toBe('Ordered subscriptions');
  for (const customer of await columnTexts(page, 'customer')) expect(customer).not.toContain('한빛');

  await page.getByLabel('Filter').fill('customer:"한빛"');
  const korean = await loadedCounts(page);
  for (const customer of await columnTexts(page, 'customer')) expect(customer).toContain('한빛');
  // The negation and the term split the period between them.
  await page.getByLabel('Filter').fill('-customer:"한빛"');
  expect((await loadedCounts(page)).shown + korean.shown).toBe(all.total);

  // OR joins the terms beside it: the two actions' rows together, and nothing else.
  await page.getByLabel('Filter').fill('action:ordered');
  const ordered = await loadedCounts(page);
  await page.getByLabel('Filter').fill('action:reset');
  const resets = await loadedCounts(page);
  expect(ordered.shown * resets.shown).toBeGreaterThan(0);
  await page.getByLabel('Filter').fill('action:ordered OR action:reset');
  expect((await loadedCounts(page)).shown).toBe(ordered.shown + resets.shown);
  for (const action of await columnTexts(page, 'action')) expect(['Ordered subscriptions', 'Reset user password']).toContain(action);
  await page.getByLabel('Filter').fill('action:ordered OR');
  await expect(page.locator('.filter-hint')).toContainText('OR needs a term on each side');
  expect((await loadedCounts(page)).shown).toBe(ordered.shown);

  await page.getByLabel('Filter').fill('colour:red');
  await expect(page.locator('.filter-hint')).toContainText('“colour:” is not a filter key');
  await expect(page.locator('.filter-hint')).toContainText('customer:, action:, user:, details:');
  await page.getByLabel('Filter').fill('');
  await expect(page.locator('.filter-hint')).toHaveCount(0);
});

test('the chart shows events per day; hovering tells the numbers; a click narrows to that day', async ({ page }) => {
  await signIn(page, 'admin.agent@contoso.example');
  const all = await loadedCounts(page);
  const days = page.locator('.activity-chart g.day');
  expect(await days.count()).toBeGreaterThanOrEqual(28);
  // Each day's count as its accessible name says it: "Nov 3, 2026: 1,234 events".
  const dayCounts = () => days.evaluateAll((nodes) =>
    nodes.map((n) => Number(n.getAttribute('aria-label')!.match(/: ([\d,]+) events?$/)![1].replaceAll(',', ''))));
  const counts = await dayCounts();
  expect(counts.reduce((a, b) => a + b, 0)).toBe(all.total);
  const busiest = counts.indexOf(Math.max(...counts));
  const day = days.nth(busiest);
  const date = (await day.getAttribute('data-day'))!;
  // A path per kind in the log: the demo's eight, and log streaming's own records when
  // streaming.spec.ts ran first on this server.
  const segments = await page.locator('.activity-chart path.segment').count();
  expect(segments).toBeGreaterThanOrEqual(8);
  expect(segments).toBeLessThanOrEqual(9);

  await day.hover();
  const readout = page.locator('.chart-readout');
  await expect(readout).toContainText(`${counts[busiest].toLocaleString('en-US')} event`);
  await expect(readout).toContainText(/Ordered subscriptions \d+|Reset user password \d+|Assigned license \d+/);
  // Stacked by action kind: a busy day has several, and its parts add up to the day.
  const parts = (await readout.textContent())!.split(' — ')[1].split(' · ');
  expect(parts.length).toBeGreaterThan(1);
  expect(parts.map((part) => Number(part.match(/([\d,]+)$/)![1].replaceAll(',', ''))).reduce((a, b) => a + b, 0)).toBe(counts[busiest]);

  await day.click();
  await expect(page).toHaveURL(new RegExp(`day=${date}`));
  await expect(day).toHaveAttribute('aria-pressed', 'true');
  const narrowed = await loadedCounts(page);
  expect(narrowed.shown).toBe(counts[busiest]);
  // Every row shown is on that day in the viewer's zone.
  const stamps = await page.locator('tr.event time').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('datetime')!));
  for (const stamp of stamps) {
    expect(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(new Date(stamp))).toBe(date);
  }
  await page.getByRole('button', { name: 'Show the whole period' }).click();
  expect((await loadedCounts(page)).shown).toBe(all.total);
  await expect(page).not.toHaveURL(/day=/);

  // The chart follows the filter: its days then add up to the rows shown, and only the
  // filtered action's colour is drawn.
  const outlines = () => page.locator('.activity-chart path.segment').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('d') ?? ''));
  await page.getByLabel('Filter').fill('action:ordered');
  const ordered = await loadedCounts(page);
  expect(ordered.shown).toBeGreaterThan(0);
  expect(ordered.shown).toBeLessThan(all.total);
  await expect.poll(async () => (await dayCounts()).reduce((a, b) => a + b, 0)).toBe(ordered.shown);
  expect((await outlines()).filter((d) => d !== '').length).toBe(1);
  await page.getByLabel('Filter').fill('');
  await expect.poll(async () => (await dayCounts()).reduce((a, b) => a + b, 0)).toBe(all.total);
  expect((await outlines()).filter((d) => d !== '').length).toBeGreaterThan(1);
});

test('facet counts add their value to the query when clicked', async ({ page }) => {
  await signIn(page, 'helpdesk.agent@contoso.example');
  await loadedCounts(page);
  const action = page.locator('[data-facet="action"] button.facet-value').first();
  const expected = Number((await action.locator('.facet-count').textContent())!.replaceAll(',', ''));
  const term = (await action.getAttribute('data-term'))!;
  await action.click();
  await expect(page.getByLabel('Filter')).toHaveValue(term);
  expect((await loadedCounts(page)).shown).toBe(expected);

  const customer = page.locator('[data-facet="customer"] button.facet-value').first();
  const both = Number((await customer.locator('.facet-count').textContent())!.replaceAll(',', ''));
  const customerTerm = (await customer.getAttribute('data-term'))!;
  await customer.click();
  await expect(page.getByLabel('Filter')).toHaveValue(`${term} ${customerTerm}`);
  expect((await loadedCounts(page)).shown).toBe(both);
  // The facets count what is shown: now one action and one customer.
  await expect(page.locator('[data-facet="action"] button.facet-value')).toHaveCount(1);
});

test('Korean and English: switchable, remembered, dates and the CSV header follow', async ({ page, browser }) => {
  await signIn(page, 'billing.admin@contoso.example');
  await loadedCounts(page);
  await page.getByRole('button', { name: '한국어' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: '활동 로그' })).toBeVisible();
  await expect(page.locator('p.count')).toHaveText(/^이벤트 [\d,]+개 중 [\d,]+개$/);
  await expect(page.locator('th[data-column="customer"]')).toHaveText(/영향을 받은 고객/);
  // Dates as Korean readers write them: 2026. 11. 3. 15:05:09
  await expect(page.locator('tr.event time').first()).toHaveText(/^\d{4}\. \d{1,2}\. \d{1,2}\. \d{1,2}:\d{2}:\d{2}$/);
  await expect(page.locator('tr.event').first()).toContainText(/구독 주문|사용자 암호 재설정|라이선스 할당|구독 수량 변경|추천 생성|구독 취소|고객 생성|활동 로그 내보내기|로그 스트리밍 변경/);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: '로그 내보내기', exact: true }).click(),
  ]);
  const header = readFileSync((await download.path())!).subarray(3).toString('utf8').split('\r\n')[0];
  expect(header).toBe('날짜/시간 (UTC),영향을 받은 고객,작업,파트너 사용자,Customer ID,Event ID,Action kind,Details (JSON)');

  // Remembered for the user: a new browser whose language is English still shows Korean.
  const other = await browser.newContext({ timezoneId: 'Asia/Seoul', locale: 'en-US' });
  const second = await other.newPage();
  await second.goto(`${baseUrl()}/sign-in`);
  await hydrated(second);
  await emailFirst(second, 'billing.admin@contoso.example');
  await second.getByLabel('Password').fill('demo-password-1');
  await second.getByRole('button', { name: 'Sign in' }).click();
  await expect(second.getByRole('heading', { name: '활동 로그' })).toBeVisible();
  await other.close();

  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { name: 'Activity log' })).toBeVisible();
});

test('Japanese is a file: the page, the dates, the filter, the export and the server speak it', async ({ page, browser }) => {
  await signIn(page, 'billing.admin@contoso.example');
  await loadedCounts(page);
  await page.getByRole('button', { name: '日本語' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'アクティビティ ログ' })).toBeVisible();
  await expect(page.locator('p.count')).toHaveText(/^[\d,]+ 件中 [\d,]+ 件のイベント$/);
  await expect(page.locator('th[data-column="customer"]')).toHaveText(/対象の顧客/);
  // Dates as the browser's Intl writes them for ja-JP: 2026/11/3 15:05:09
  await expect(page.locator('tr.event time').first()).toHaveText(/^\d{4}\/\d{1,2}\/\d{1,2} \d{1,2}:\d{2}:\d{2}$/);

  // The filter finds actions by their Japanese words.
  await page.getByLabel('フィルター', { exact: true }).fill('ライセンスの割り当て');
  await expect(page.locator('tr.event').first()).toContainText('ライセンスの割り当て');
  const rows = await page.locator('tr.event').allTextContents();
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((text) => text.includes('ライセンスの割り当て'))).toBe(true);
  await page.getByLabel('フィルター', { exact: true }).fill('');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'ログのエクスポート', exact: true }).click(),
  ]);
  const header = readFileSync((await download.path())!).subarray(3).toString('utf8').split('\r\n')[0];
  expect(header).toBe('日時 (UTC),対象の顧客,操作,パートナー ユーザー,Customer ID,Event ID,Action kind,Details (JSON)');

  // A browser asking for Japanese gets it before signing in, and the server's refusal too.
  const other = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  const second = await other.newPage();
  await second.goto(`${baseUrl()}/sign-in`);
  await expect(second.locator('html')).toHaveAttribute('lang', 'ja');
  await expect(second.getByRole('heading', { name: 'Partner Center にサインイン' })).toBeVisible();
  await hydrated(second);
  // Email first, in Japanese too.
  await second.getByLabel('メール アドレス').fill('global.admin@contoso.example');
  await second.getByRole('button', { name: '続行', exact: true }).click();
  await second.getByLabel('パスワード').fill('not-the-password');
  await second.getByRole('button', { name: 'サインイン', exact: true }).click();
  await expect(second.getByRole('alert')).toHaveText('メール アドレスまたはパスワードが正しくありません。');
  await other.close();

  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { name: 'Activity log' })).toBeVisible();
});

test('a browser asking for Korean gets Korean before signing in', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  const page = await context.newPage();
  await page.goto(`${baseUrl()}/sign-in`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await expect(page.getByRole('heading', { name: 'Partner Center에 로그인' })).toBeVisible();
  await expect(page.getByRole('button', { name: '계속', exact: true })).toBeVisible();

  // The server's refusal comes back in Korean too.
  await hydrated(page);
  await page.getByLabel('이메일').fill('global.admin@contoso.example');
  await page.getByRole('button', { name: '계속', exact: true }).click();
  await page.getByLabel('암호').fill('not-the-password');
  await page.getByRole('button', { name: '로그인', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('이메일 또는 비밀번호가 올바르지 않습니다.');
  await context.close();
});

test('chosen columns show, export and are remembered', async ({ page, browser }) => {
  await signIn(page, 'global.admin@contoso.example');
  await loadedCounts(page);
  await page.getByText('Columns', { exact: true }).click();
  await page.getByLabel('Partner user', { exact: true }).uncheck();
  await page.getByLabel('Details', { exact: true }).check();
  await expect(page.locator('table.events thead th')).toHaveText(['Details', /^Date-Time/, 'Affected customer', 'Action', 'Details']);
  await expect(page.locator('tr.event td.summary').first()).not.toBeEmpty();

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export log' }).click(),
  ]);
  const header = readFileSync((await download.path())!).subarray(3).toString('utf8').split('\r\n')[0];
  expect(header).toBe('Date-Time (UTC),Affected customer,Action,Details,Customer ID,Event ID,Action kind,Details (JSON)');

  const other = await browser.newContext({ timezoneId: 'Asia/Seoul', locale: 'en-US' });
  const second = await other.newPage();
  await signIn(second, 'global.admin@contoso.example');
  await loadedCounts(second);
  await expect(second.locator('table.events thead th')).toHaveText(['Details', /^Date-Time/, 'Affected customer', 'Action', 'Details']);

  // Signed out elsewhere: a new choice still applies, and the page says it was not saved.
  await expect(second.locator('.not-remembered')).toHaveCount(0);
  expect((await second.request.post(`${baseUrl()}/api/sign_out`)).ok()).toBe(true);
  await second.getByText('Columns', { exact: true }).click();
  await second.getByLabel('Event ID', { exact: true }).check();
  await expect(second.locator('table.events thead th').last()).toHaveText('Event ID');
  await expect(second.locator('.not-remembered')).toHaveText(
    'This view applies here, but was not saved for next time: Please sign in to continue.');
  await other.close();
});

test('JSON export: the same rows, one event per line with its details', async ({ page }) => {
  await signIn(page, 'sales.agent@contoso.example');
  await page.getByLabel('Filter').fill('한빛');
  const { shown } = await loadedCounts(page);
  await page.getByLabel('Format').selectOption('ndjson');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export log' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^activity-log_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.ndjson$/);
  const lines = readFileSync((await download.path())!).toString('utf8').trimEnd().split('\n');
  expect(lines).toHaveLength(shown);
  for (const line of lines) {
    const event = JSON.parse(line);
    expect(line).toContain('한빛');
    expect(typeof event.details.type).toBe('string');
    expect(event.occurred_at).toMatch(/Z$/);
  }
  await expect(page.getByText(`Exported ${shown.toLocaleString('en-US')} rows`)).toBeVisible();
});

test('times show in the viewer\'s zone or in UTC, as the header says', async ({ page }) => {
  await signIn(page, 'user.admin@contoso.example');
  await loadedCounts(page);
  const first = page.locator('tr.event time').first();
  const instant = new Date((await first.getAttribute('datetime'))!);
  const format = (timeZone: string) => new Intl.DateTimeFormat('en-US', {
    timeZone, dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23',
  }).format(instant);
  await expect(first).toHaveText(format('Asia/Seoul'));
  await page.getByLabel('UTC', { exact: true }).check();
  await expect(page).toHaveURL(/tz=utc/);
  await expect(page.locator('th[data-column="time"]')).toHaveText(/Date-Time \(UTC\)/);
  await expect(page.getByText('Times are in UTC.')).toBeVisible();
  await expect(page.locator('tr.event time').first()).toHaveText(/\d/);
  const utcFirst = page.locator('tr.event time').first();
  const utcInstant = new Date((await utcFirst.getAttribute('datetime'))!);
  await expect(utcFirst).toHaveText(new Intl.DateTimeFormat('en-US', {
    timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23',
  }).format(utcInstant));
  await page.getByLabel(/Your time zone/).check();
  await expect(page.locator('th[data-column="time"]')).toHaveText(/Date-Time \(Asia\/Seoul\)/);
});

test('the keyboard does everything: expand with Enter and Space, sort, pick a day', async ({ page }) => {
  await signIn(page, 'admin.agent@contoso.example');
  await loadedCounts(page);
  const arrow = page.locator('tr.event button.expand').first();
  await arrow.focus();
  await page.keyboard.press('Enter');
  await expect(arrow).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Space');
  await expect(arrow).toHaveAttribute('aria-expanded', 'false');
  // Focus is visible: an outline on the focused control.
  const outline = await arrow.evaluate((node) => getComputedStyle(node).outlineStyle);
  expect(outline).not.toBe('none');

  await page.locator('th[data-column="user"] button').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('th[data-column="user"]')).toHaveAttribute('aria-sort', 'ascending');

  const day = page.locator('.activity-chart g.day[tabindex="0"]').first();
  await day.focus();
  await expect(page.locator('.chart-readout')).toContainText('event');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/day=\d{4}-\d{2}-\d{2}/);
});

test('Excel export: a workbook of the same rows, times in the viewer\'s zone', async ({ page }) => {
  await signIn(page, 'sales.agent@contoso.example');
  await page.getByLabel('Filter').fill('한빛');
  const { shown } = await loadedCounts(page);
  await page.getByLabel('Format').selectOption('xlsx');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export log' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^activity-log_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.xlsx$/);
  const file = (await download.path())!;
  expect(readFileSync(file).subarray(0, 2).toString('latin1')).toBe('PK');
  // The sheet's XML (a zip member), read with Python's zipfile: its rows and its header.
  const sheet = execFileSync('python3', ['-c',
    'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("xl/worksheets/sheet1.xml").decode())', file]).toString();
  expect(sheet.match(/<row /g)).toHaveLength(shown + 1);
  expect(sheet).toContain('(Asia/Seoul)');
  expect(sheet).toContain('한빛');
  // Its size, not a row count read from the bytes of a zip.
  await expect(page.locator('.export-progress')).toHaveText(/^Exported \(\d+\.\d MB\) to your downloads\.$/);
});
