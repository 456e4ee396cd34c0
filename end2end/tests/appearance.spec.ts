import AxeBuilder from '@axe-core/playwright';
import { expect, Page } from '@playwright/test';
import { baseUrl, hydrated, loadedCounts, signIn, test } from './helpers';

// Runs before scale.spec.ts adds its 20,000 events, so the screenshots show the demo data.

async function expectNoSeriousViolations(page: Page, name: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length}) ${v.nodes[0]?.target}`), name).toEqual([]);
}

test('axe-core finds no serious violations on sign-in, activity log and subscriptions', async ({ page }) => {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.context().clearCookies();
    await page.goto(`${baseUrl()}/sign-in`);
    await hydrated(page);
    await expectNoSeriousViolations(page, `sign-in, ${scheme}`);
    await signIn(page, 'global.admin@contoso.example');
    await loadedCounts(page);
    await page.locator('tr.event button.expand').first().click();
    await expectNoSeriousViolations(page, `activity log, ${scheme}`);
    await page.goto(`${baseUrl()}/customers/1/subscriptions`);
    await hydrated(page);
    await expectNoSeriousViolations(page, `subscriptions, ${scheme}`);
  }
});

// Screenshots go to test-results/ (never committed) unless UPDATE_SCREENSHOTS=1 asks to
// refresh the README's copies, so a test run does not change tracked files.
const screenshotDir = process.env.UPDATE_SCREENSHOTS === '1' ? '../docs/screenshots' : 'test-results/screenshots';

test('the layout works from 360 px to a desktop, light and dark; screenshots for the README', async ({ page }) => {
  await signIn(page, 'global.admin@contoso.example');
  await loadedCounts(page);
  // An order opened, to show its products.
  await page.locator('tr.event', { hasText: 'Ordered subscriptions' }).first().locator('button.expand').click();
  for (const [name, width, height, scheme] of [
    ['activity-log-desktop-light', 1280, 1500, 'light'],
    ['activity-log-desktop-dark', 1280, 1500, 'dark'],
    ['activity-log-mobile', 360, 1400, 'light'],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.emulateMedia({ colorScheme: scheme });
    await page.locator('p.count').waitFor();
    // Nothing sticks out sideways: the table scrolls inside its own box.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name}: no sideways scrolling of the page`).toBeLessThanOrEqual(0);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = background.match(/\d+/g)!.map(Number);
    if (scheme === 'dark') expect(r + g + b, 'a dark background').toBeLessThan(150);
    else expect(r + g + b, 'a light background').toBeGreaterThan(600);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${screenshotDir}/${name}.png` });
  }
  // The Korean page too.
  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByRole('button', { name: '한국어' }).click();
  await expect(page.getByRole('heading', { name: '활동 로그' })).toBeVisible();
  await hydrated(page);
  await expect(page.locator('p.count')).toHaveText(/^이벤트 /);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${screenshotDir}/activity-log-korean.png` });
  await page.request.post(`${baseUrl()}/api/choose_language`, { form: { lang: 'en' } });
});
