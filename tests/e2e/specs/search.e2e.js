// Search and export end to end: process the fixture (layout, text and embeddings), find a passage by its
// words, follow the result to its page (the region flashes), then preview the Markdown export.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.resolve(here, '..', 'artifacts');
const fixture = process.env.FOLIO_FIXTURE ? path.basename(process.env.FOLIO_FIXTURE) : 'three-pages.pdf';

async function newestJobState() {
  return browser.execute(() => {
    const el = document.querySelector('[data-testid="job"]');
    return el ? el.getAttribute('data-state') : null;
  });
}

describe('Search and export', () => {
  it('processes the fixture with layout, text and embeddings', async function () {
    this.timeout(300000);
    await browser.waitUntil(
      async () =>
        browser.execute((n) => {
          const doc = Array.from(document.querySelectorAll('[data-testid="document"]')).find((d) => (d.getAttribute('title') || '').endsWith(n));
          if (doc) doc.click();
          return !!doc;
        }, fixture),
      { timeout: 60000, interval: 250, timeoutMsg: `no [data-testid="document"] for ${fixture} within 60 s` },
    );
    await browser.execute(() => {
      for (const s of ['orientation', 'layout', 'ocr', 'table', 'embed']) {
        const box = document.querySelector(`[data-testid="stage-${s}"]`);
        if (box.checked !== ['layout', 'ocr', 'embed'].includes(s)) box.click();
      }
    });
    const button = await $('[data-testid="process-document"]');
    await button.waitForEnabled({ timeout: 30000 });
    await button.click();
    await browser.waitUntil(async () => (await newestJobState()) === 'finished', {
      timeout: 240000,
      interval: 500,
      timeoutMsg: 'the job did not finish within 240 s',
    });
  });

  it('finds a passage by its words, with the matches marked', async () => {
    await browser.keys(['Control', 'f']);
    const input = await $('[data-testid="search-input"]');
    await input.waitForDisplayed({ timeout: 10000 });
    await input.setValue('invoice total');
    await $('[data-testid="search-go"]').click();
    await browser.waitUntil(async () => (await $$('[data-testid="search-result"]')).length > 0, {
      timeout: 60000,
      interval: 250,
      timeoutMsg: 'no search result within 60 s',
    });
    const marks = await browser.execute(() =>
      Array.from(document.querySelectorAll('[data-testid="search-result"] mark')).map((m) => m.textContent.toLowerCase()),
    );
    if (!marks.includes('invoice')) throw new Error(`expected "invoice" marked in a snippet, marked: ${marks.join(', ')}`);
  });

  it('follows a result to its page and flashes the region', async () => {
    const wanted = await browser.execute(() => {
      const hits = Array.from(document.querySelectorAll('[data-testid="search-result"]'));
      const last = hits[hits.length - 1];
      last.click();
      return Number.parseInt(last.getAttribute('data-page') || '0', 10);
    });
    await browser.waitUntil(
      async () => (await browser.execute(() => document.querySelector('[data-testid="page-indicator"]').textContent)).includes(`Page ${wanted} /`),
      { timeout: 10000, interval: 200, timeoutMsg: `the viewer did not go to page ${wanted}` },
    );
    const flash = await $('[data-testid="search-flash"]');
    await flash.waitForExist({ timeout: 10000, timeoutMsg: 'no [data-testid="search-flash"] on the page' });
    fs.mkdirSync(artifacts, { recursive: true });
    await browser.saveScreenshot(path.join(artifacts, 'search-result.png'));
  });

  it('inspects the page: a class toggled off, a line chosen in the text panel is highlighted on the page', async () => {
    // Close the search panel: the page and the text panel get its room.
    await $('[data-testid="search-panel"] button.close').click();
    const toggle = await $('[data-testid="overlay-toggle"]');
    await toggle.waitForExist({ timeout: 30000, timeoutMsg: 'no overlay-toggle: the page has no result' });
    if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
    await $('[data-testid="overlay-legend"]').waitForDisplayed({ timeout: 10000 });
    fs.mkdirSync(artifacts, { recursive: true });
    await browser.saveScreenshot(path.join(artifacts, 'inspect-legend.png'));
    const titles = () => browser.execute(() => document.querySelectorAll('[data-testid="overlay-region"][data-class="title"]').length);
    if ((await titles()) < 1) throw new Error('no title region drawn');
    // The chip (its label) is what a user clicks.
    const chip = await $('[data-testid="class-chip-title"]');
    await chip.click();
    await browser.waitUntil(async () => (await titles()) === 0, { timeout: 5000, timeoutMsg: 'title regions still drawn after the toggle' });
    await chip.click();

    const line = await $('[data-testid="text-panel"] [data-testid="text-line"]');
    await line.waitForDisplayed({ timeout: 15000, timeoutMsg: 'the text panel lists no line' });
    const index = await line.getAttribute('data-line');
    await line.click();
    await browser.waitUntil(
      async () =>
        browser.execute((i) => {
          const polygon = document.querySelector('[data-testid="overlay-line-selected"]');
          return !!polygon && polygon.getAttribute('data-index') === String(i);
        }, index),
      { timeout: 5000, timeoutMsg: `line ${index} is not highlighted on the page` },
    );
    fs.mkdirSync(artifacts, { recursive: true });
    await browser.saveScreenshot(path.join(artifacts, 'inspect-line.png'));
  });

  it('corrects a line in the text panel', async () => {
    // The line's double-click opens its editor (dispatched: WebKitWebDriver has no double-click action).
    await browser.execute(() => {
      const line = document.querySelector('[data-testid="text-panel"] [data-testid="text-line"]');
      line.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    });
    const editor = await $('[data-testid="line-editor"]');
    await editor.waitForDisplayed({ timeout: 5000, timeoutMsg: 'double-click did not open the line editor' });
    await browser.execute(() => {
      const input = document.querySelector('[data-testid="line-editor"]');
      input.value = 'Corrected <b> line & more';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    await browser.waitUntil(
      async () =>
        browser.execute(() =>
          Array.from(document.querySelectorAll('[data-testid="text-panel"] [data-testid="text-line"]')).some((l) => l.textContent.trim() === 'Corrected <b> line & more'),
        ),
      { timeout: 10000, timeoutMsg: 'the corrected text is not in the text panel' },
    );
  });

  it("changes a region's class in the text panel, and the overlay follows", async () => {
    const region = await browser.execute(() => {
      const select = document.querySelector('[data-testid="text-panel"] select[data-testid^="region-class-"]');
      const id = select.getAttribute('data-testid');
      select.value = 'reference';
      select.dispatchEvent(new Event('change', { bubbles: true }));
      return id;
    });
    await browser.waitUntil(
      async () => browser.execute(() => document.querySelectorAll('[data-testid="overlay-region"][data-class="reference"]').length > 0),
      { timeout: 10000, timeoutMsg: `no reference region drawn after changing ${region}` },
    );
  });

  it('hovers a line on the page and reads its text, confidence and source', async () => {
    const line = await $('[data-testid="overlay-line"]');
    await line.waitForExist({ timeout: 10000, timeoutMsg: 'no line drawn on the page' });
    const index = await line.getAttribute('data-index');
    await line.moveTo();
    const card = await $(`[data-testid="line-hover"][data-index="${index}"]`);
    await card.waitForDisplayed({ timeout: 5000, timeoutMsg: `hovering line ${index} shows no card` });
    const { text, meta, panel } = await browser.execute((i) => {
      const panelLine = document.querySelector(`[data-testid="text-panel"] [data-testid="text-line"][data-line="${i}"]`);
      return {
        text: document.querySelector('[data-testid="line-hover-text"]').textContent,
        meta: document.querySelector('[data-testid="line-hover-confidence"]').textContent,
        panel: panelLine ? panelLine.textContent.trim() : null,
      };
    }, index);
    if (!text.trim() || text.trim() !== panel) throw new Error(`the card reads "${text}", the text panel "${panel}"`);
    if (!/text layer|confidence/.test(meta)) throw new Error(`the card does not say where the text came from: "${meta}"`);
    fs.mkdirSync(artifacts, { recursive: true });
    await browser.saveScreenshot(path.join(artifacts, 'inspect-hover.png'));
  });

  it('steps through lines in reading order with j and k', async () => {
    const order = await browser.execute(() =>
      Array.from(document.querySelectorAll('[data-testid="text-panel"] [data-testid="text-line"]')).map((l) => l.getAttribute('data-line')),
    );
    if (order.length < 2) throw new Error('the page has fewer than two lines');
    await browser.execute((first) => document.querySelector(`[data-testid="text-panel"] [data-testid="text-line"][data-line="${first}"]`).click(), order[0]);
    await browser.keys('j');
    const selected = () => browser.execute(() => document.querySelector('[data-testid="overlay-line-selected"]')?.getAttribute('data-index') ?? null);
    await browser.waitUntil(async () => (await selected()) === order[1], { timeout: 5000, timeoutMsg: `j did not choose line ${order[1]}` });
    await browser.keys('k');
    await browser.waitUntil(async () => (await selected()) === order[0], { timeout: 5000, timeoutMsg: `k did not go back to line ${order[0]}` });
  });

  it('deletes a false region from the page, restores it, and draws a missing one', async () => {
    const regions = () => browser.execute(() => document.querySelectorAll('[data-testid="overlay-region"]').length);
    const before = await regions();
    // A region chosen on the page shows its bar; Delete removes it and the text panel offers it back.
    await browser.execute(() => {
      const rects = Array.from(document.querySelectorAll('[data-testid="overlay-region"] rect.region'));
      rects[rects.length - 1].dispatchEvent(new MouseEvent('click', { bubbles: true }));
    });
    const bar = await $('[data-testid="region-bar"]');
    await bar.waitForDisplayed({ timeout: 5000, timeoutMsg: 'choosing a region shows no bar' });
    await $('[data-testid="region-bar-delete"]').click();
    await browser.waitUntil(async () => (await regions()) === before - 1, { timeout: 10000, timeoutMsg: 'the region is still drawn after Delete' });
    const restore = await $('[data-testid="deleted-regions"] button');
    await restore.waitForDisplayed({ timeout: 5000, timeoutMsg: 'the text panel does not offer the deleted region back' });
    await restore.click();
    await browser.waitUntil(async () => (await regions()) === before, { timeout: 10000, timeoutMsg: 'Restore did not bring the region back' });

    // Draw: the button, then a drag on the page (pointer events at page coordinates).
    await $('[data-testid="draw-region"]').click();
    await browser.execute(() => {
      const svg = document.querySelector('[data-testid="overlay"]');
      const r = svg.getBoundingClientRect();
      const at = (type, fx, fy) =>
        svg.dispatchEvent(new PointerEvent(type, { bubbles: true, button: 0, buttons: type === 'pointerup' ? 0 : 1, pointerId: 1, clientX: r.left + r.width * fx, clientY: r.top + r.height * fy }));
      at('pointerdown', 0.55, 0.88);
      at('pointermove', 0.7, 0.92);
      at('pointerup', 0.9, 0.96);
    });
    await browser.waitUntil(async () => (await regions()) === before + 1, { timeout: 10000, timeoutMsg: 'no region drawn after the drag' });
    await $('[data-testid="region-bar"]').waitForDisplayed({ timeout: 5000, timeoutMsg: 'the drawn region is not chosen' });
    await browser.execute(() => {
      const select = document.querySelector('[data-testid="region-bar-class"]');
      select.value = 'footer';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await browser.waitUntil(
      async () => browser.execute(() => document.querySelectorAll('[data-testid="overlay-region"][data-class="footer"]').length > 0),
      { timeout: 10000, timeoutMsg: 'the drawn region did not become a footer' },
    );
    fs.mkdirSync(artifacts, { recursive: true });
    await browser.saveScreenshot(path.join(artifacts, 'region-drawn.png'));
    await browser.keys('Escape');
  });

  it('lists every page in the overview, filters the corrected one and goes to it', async () => {
    const corrected = await browser.execute(() => {
      const text = document.querySelector('[data-testid="page-indicator"]').textContent;
      return Number.parseInt(/Page (\d+)/.exec(text)[1], 10);
    });
    await $('[data-testid="open-overview"]').click();
    const overview = await $('[data-testid="document-overview"]');
    await overview.waitForDisplayed({ timeout: 5000 });
    await browser.waitUntil(
      async () => browser.execute(() => Array.from(document.querySelectorAll('[data-testid="overview-row"]')).filter((r) => r.getAttribute('data-status') === 'done').length === 3),
      { timeout: 10000, timeoutMsg: 'the overview does not list three done pages' },
    );
    await browser.execute(() => {
      const select = document.querySelector('[data-testid="overview-filter"]');
      select.value = 'edited';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await browser.waitUntil(
      async () => browser.execute((p) => {
        const rows = Array.from(document.querySelectorAll('[data-testid="overview-row"]'));
        return rows.length === 1 && rows[0].getAttribute('data-page') === String(p);
      }, corrected),
      { timeout: 5000, timeoutMsg: `the corrected filter does not show page ${corrected} alone` },
    );
    await browser.saveScreenshot(path.join(artifacts, 'overview.png'));
    await browser.execute(() => document.querySelector('[data-testid="overview-row"] button').click());
    await overview.waitForExist({ reverse: true, timeout: 5000, timeoutMsg: 'going to a page did not close the overview' });
  });

  it('previews the Markdown export, the document text shown as text', async () => {
    await $('[data-testid="open-export"]').click();
    const dialog = await $('[data-testid="export-dialog"]');
    await dialog.waitForDisplayed({ timeout: 10000 });
    await $('[data-testid="export-format-md"]').click();
    await $('[data-testid="export-preview-button"]').click();
    const preview = await $('[data-testid="export-preview"]');
    await preview.waitForDisplayed({ timeout: 30000 });
    const text = await preview.getText();
    if (!text.includes('<!-- page 1 -->') || !/Chapter 1/.test(text)) throw new Error(`unexpected preview: ${text.slice(0, 300)}`);
    // The correction is in the export, escaped like every document text.
    if (!text.includes('Corrected &lt;b&gt; line &amp; more')) throw new Error(`the corrected line is not in the Markdown: ${text.slice(0, 600)}`);
    // The preview is text: nothing inside it became an element.
    const children = await browser.execute(() => document.querySelector('[data-testid="export-preview"]').children.length);
    if (children !== 0) throw new Error('the preview holds elements');
    await browser.saveScreenshot(path.join(artifacts, 'export-preview.png'));
    await browser.keys('Escape');
    await $('[data-testid="export-dialog"]').waitForExist({ reverse: true, timeout: 5000, timeoutMsg: 'Escape did not close the export dialog' });
  });

  it('unloads a model from the models panel, and the memory graph marks it', async () => {
    await $('[data-testid="open-models"]').click();
    const row = await $('[data-testid="model-row"][data-model="embedding"]');
    await row.waitForExist({ timeout: 10000, timeoutMsg: 'no embedding row in the models panel' });
    await browser.waitUntil(async () => (await row.getAttribute('data-state')) === 'loaded', {
      timeout: 10000,
      timeoutMsg: 'the embedding model is not shown loaded after the search',
    });
    const markers = () =>
      browser.execute(() => {
        const el = document.querySelector('[data-testid="memory-markers"]');
        return { count: Number.parseInt(el.getAttribute('data-count') || '0', 10), kinds: (el.getAttribute('data-kinds') || '').split(',') };
      });
    const before = await markers();
    await $('[data-testid="model-unload-embedding"]').click();
    await browser.waitUntil(async () => (await row.getAttribute('data-state')) === 'not loaded', {
      timeout: 10000,
      timeoutMsg: 'the embedding model still shows loaded',
    });
    await browser.waitUntil(
      async () => {
        const now = await markers();
        return now.count > before.count && now.kinds.includes('model_unloaded');
      },
      { timeout: 15000, interval: 250, timeoutMsg: 'no model-unloaded marker on the memory graph' },
    );
    await browser.saveScreenshot(path.join(artifacts, 'models-unload.png'));
    await browser.keys('Escape');
  });
});
