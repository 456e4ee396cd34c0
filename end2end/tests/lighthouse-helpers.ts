// Lighthouse runs its own browser, so its test takes none of helpers.ts's page fixtures.
export { expect, test } from '@playwright/test';
export { baseUrl, PASSWORD } from './helpers';
