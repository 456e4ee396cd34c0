import { expect, Page } from '@playwright/test';
import { baseUrl, hydrated, loadedCounts, signIn, test } from './helpers';

/** Every visible control's target (a checkbox's is its label) that is under 44 × 44 px. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = document.querySelectorAll<HTMLElement>(
      'button, a[href], select, summary, input:not([type="hidden"])');
    const small: string[] = [];
    for (const control of controls) {
      const input = control as HTMLInputElement;
      const target = (input.type === 'checkbox' || input.type === 'radio') && control.closest('label')
        ? control.closest('label')! : control;
      const box = target.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue; // not shown
      if (getComputedStyle(target).visibility === 'hidden') continue;
      if (box.width < 43.5 || box.height < 43.5) {
        small.push(`${target.tagName.toLowerCase()} "${(target.textContent || target.getAttribute('aria-label') || '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`);
      }
    }
    return small;
  });
}

test.describe('on a touch screen', () => {
  test.use({ hasTouch: true, isMobile: true, viewport: { width: 412, height: 915 } });

  test('every control of the sign-in, log and account settings pages is at least 44 × 44 px', async ({ page }) => {
    await page.goto(`${baseUrl()}/sign-in`);
    await hydrated(page);
    expect(await page.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(true);
    expect(await smallTargets(page)).toEqual([]);

    await signIn(page, 'global.admin@contoso.example');
    await loadedCounts(page);
    await page.locator('tr.event button.expand').first().click();
    await page.getByText('Columns', { exact: true }).click();
    expect(await smallTargets(page)).toEqual([]);

    for (const settings of ['api-tokens', 'sign-in', 'log-streaming']) {
      await page.goto(`${baseUrl()}/account-settings/${settings}`);
      await hydrated(page);
      expect(await smallTargets(page), settings).toEqual([]);
    }
  });
});

test('with a mouse the facets stay compact', async ({ page }) => {
  await signIn(page, 'global.admin@contoso.example');
  await loadedCounts(page);
  expect(await page.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(false);
  const facet = await page.locator('button.facet-value').first().boundingBox();
  expect(facet!.height).toBeLessThan(32);
});

test('the favicon is served, and the page names it', async ({ page, request }) => {
  for (const [path, type] of [['/favicon.ico', 'image/'], ['/favicon.svg', 'image/svg+xml'], ['/apple-touch-icon.png', 'image/png']]) {
    const response = await request.get(`${baseUrl()}${path}`);
    expect(response.status(), path).toBe(200);
    expect(response.headers()['content-type'], path).toContain(type);
  }
  const failed: string[] = [];
  page.on('response', (response) => { if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`); });
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await expect(page.locator('link[rel="icon"][href="/favicon.ico"]')).toHaveCount(1);
  expect(failed).toEqual([]);
});
