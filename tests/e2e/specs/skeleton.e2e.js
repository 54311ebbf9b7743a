// Skeleton end-to-end test: the app opens the fixture, renders pages and
// thumbnails, and the memory graph keeps receiving samples.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.resolve(here, '..', 'artifacts');
const expectedPages = Number.parseInt(process.env.FOLIO_FIXTURE_PAGES || '3', 10);
const expectedText = expectedPages === 1 ? '1 page' : `${expectedPages} pages`;

/** naturalWidth of every element matching `selector` (evaluated in the page). */
async function naturalWidths(selector) {
  return browser.execute(
    (sel) => Array.from(document.querySelectorAll(sel)).map((img) => img.naturalWidth || 0),
    selector,
  );
}

async function graphPoints() {
  const graph = await $('[data-testid="memory-graph"]');
  await graph.waitForExist({ timeout: 30000 });
  const raw = await graph.getAttribute('data-points');
  const n = Number.parseInt(raw ?? '', 10);
  if (!Number.isFinite(n)) throw new Error(`data-points is not a number: ${raw}`);
  return n;
}

describe('Folio skeleton', () => {
  it(`lists the fixture with "${expectedText}"`, async () => {
    await browser.waitUntil(
      async () => {
        const texts = await browser.execute(() =>
          Array.from(document.querySelectorAll('[data-testid="page-count"]')).map((e) => e.textContent.trim()),
        );
        return texts.includes(expectedText);
      },
      { timeout: 60000, interval: 250, timeoutMsg: `no [data-testid="page-count"] with text "${expectedText}" within 60 s` },
    );
  });

  it('renders a thumbnail and the page image', async () => {
    await browser.waitUntil(async () => (await naturalWidths('img[data-testid="thumbnail"]')).some((w) => w > 0), {
      timeout: 60000,
      interval: 250,
      timeoutMsg: 'no loaded img[data-testid="thumbnail"] (naturalWidth > 0) within 60 s',
    });
    await browser.waitUntil(async () => (await naturalWidths('img[data-testid="page-image"]')).some((w) => w > 0), {
      timeout: 60000,
      interval: 250,
      timeoutMsg: 'img[data-testid="page-image"] did not load (naturalWidth > 0) within 60 s',
    });
  });

  it('keeps adding memory samples to the graph', async () => {
    const first = await graphPoints();
    await browser.pause(2000);
    const second = await graphPoints();
    console.log(`[folio-e2e] memory graph points: ${first} -> ${second}`);
    if (second - first < 4) {
      throw new Error(`expected at least 4 new memory samples in 2 s, got ${first} -> ${second}`);
    }
  });

  it('lists every part of RSS beside the graph', async () => {
    const keys = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="memory-component"]')].map((el) => el.getAttribute('data-key')),
    );
    console.log(`[folio-e2e] memory components: ${keys.join(', ')}`);
    for (const key of ['page_cache', 'pdfium', 'in_flight', 'arena_free', 'libraries', 'other']) {
      if (!keys.includes(key)) throw new Error(`the memory panel has no "${key}" row (rows: ${keys.join(', ')})`);
    }
  });

  it('shows the library, the page and the memory graph on screen together, with no uncaught errors', async () => {
    for (const id of ['library', 'page-image', 'memory-graph']) {
      const shown = await browser.execute((sel) => {
        const el = document.querySelector(sel);
        if (!el) return false;
        const r = el.getBoundingClientRect();
        // The page may be taller than the window (fit width scrolls); it must at least be in view.
        return r.width > 0 && r.height > 0 && r.top >= 0 && r.top < window.innerHeight && r.bottom > 0;
      }, `[data-testid="${id}"]`);
      if (!shown) throw new Error(`[data-testid="${id}"] is not on screen`);
    }
    const graphInside = await browser.execute(() => {
      const r = document.querySelector('[data-testid="memory-graph"]').getBoundingClientRect();
      return r.bottom <= window.innerHeight + 1 && r.right <= window.innerWidth + 1;
    });
    if (!graphInside) throw new Error('the memory graph is cut off by the window edge');
    const errors = await browser.execute(() => window.__folioErrors ?? null);
    if (!Array.isArray(errors) || errors.length > 0) throw new Error(`uncaught errors in the window: ${JSON.stringify(errors)}`);
  });

  it('fits the whole page, and Ctrl+wheel zooms from there', async () => {
    await $('[data-testid="zoom-page"]').click();
    await browser.waitUntil(
      async () =>
        browser.execute(() => {
          const page = document.querySelector('[data-testid="page-image"]').parentElement.getBoundingClientRect();
          const viewer = document.querySelector('section.viewer').getBoundingClientRect();
          return page.height > 0 && page.height <= viewer.height + 1;
        }),
      { timeout: 5000, timeoutMsg: 'Fit page leaves the page taller than the viewer' },
    );
    const before = await browser.execute(() => document.querySelector('[data-testid="page-image"]').parentElement.getBoundingClientRect().width);
    await browser.execute(() => {
      const viewer = document.querySelector('section.viewer');
      viewer.dispatchEvent(new WheelEvent('wheel', { deltaY: -100, ctrlKey: true, bubbles: true, cancelable: true }));
    });
    await $('[data-testid="zoom-scale"]').waitForDisplayed({ timeout: 5000, timeoutMsg: 'Ctrl+wheel did not zoom' });
    const after = await browser.execute(() => document.querySelector('[data-testid="page-image"]').parentElement.getBoundingClientRect().width);
    if (!(after > before)) throw new Error(`Ctrl+wheel up should enlarge the page (${before} → ${after})`);
    await $('button=Fit width').click();
  });

  it('lists the keyboard shortcuts on ?, and Escape closes the list', async () => {
    await browser.execute(() => document.activeElement?.blur());
    await browser.keys('?');
    const help = await $('[data-testid="help-overlay"]');
    await help.waitForDisplayed({ timeout: 5000, timeoutMsg: '? did not open the shortcuts' });
    const text = await help.getText();
    for (const key of ['Ctrl+F', 'Ctrl+E', 'PageDown', 'Esc']) if (!text.includes(key)) throw new Error(`the shortcuts do not list ${key}: ${text}`);
    await browser.keys('Escape');
    await help.waitForExist({ reverse: true, timeout: 5000, timeoutMsg: 'Escape did not close the shortcuts' });
  });

  it('switches between light and dark themes, and back to following the system', async () => {
    const state = () =>
      browser.execute(() => ({
        theme: document.documentElement.dataset.theme,
        choice: document.querySelector('[data-testid="theme-switch"]').getAttribute('data-theme-choice'),
        background: getComputedStyle(document.documentElement).backgroundColor,
      }));
    const sw = await $('[data-testid="theme-switch"]');
    // A choice an earlier run left in the webview's storage: back to following the system first.
    for (let i = 0; i < 3 && (await state()).choice !== 'system'; i++) await sw.click();
    const start = await state();
    if (start.choice !== 'system' || !['light', 'dark'].includes(start.theme)) throw new Error(`unexpected start: ${JSON.stringify(start)}`);
    await sw.click();
    const light = await state();
    if (light.choice !== 'light' || light.theme !== 'light') throw new Error(`not light after one click: ${JSON.stringify(light)}`);
    fs.mkdirSync(artifacts, { recursive: true });
    await browser.saveScreenshot(path.join(artifacts, 'theme-light.png'));
    await sw.click();
    const dark = await state();
    if (dark.choice !== 'dark' || dark.theme !== 'dark') throw new Error(`not dark after two clicks: ${JSON.stringify(dark)}`);
    if (dark.background === light.background) throw new Error(`the window's background did not change (${dark.background})`);
    await sw.click();
    const back = await state();
    if (back.choice !== 'system' || back.theme !== start.theme) throw new Error(`not back to the system's theme: ${JSON.stringify(back)}`);
  });

  it('saves a screenshot', async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    const file = path.join(artifacts, 'skeleton.png');
    await browser.saveScreenshot(file);
    if (!fs.existsSync(file) || fs.statSync(file).size === 0) throw new Error(`screenshot not written: ${file}`);
  });
});
