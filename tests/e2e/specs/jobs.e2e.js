// Jobs end-to-end test: process the fixture, change a batch size while the job runs (a marker appears on
// the memory graph), cancel, and check the pages finished before the cancel kept their results (overlay).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.resolve(here, '..', 'artifacts');
const expectedPages = Number.parseInt(process.env.FOLIO_FIXTURE_PAGES || '3', 10);
const expectedText = expectedPages === 1 ? '1 page' : `${expectedPages} pages`;
const ACTIVE = ['queued', 'running', 'paused'];

/** Attributes of the first job in the list (the newest), or null. */
async function jobInfo() {
  return browser.execute(() => {
    const el = document.querySelector('[data-testid="job"]');
    if (!el) return null;
    const pages = el.querySelector('[data-testid="job-pages"]');
    return {
      id: el.getAttribute('data-job-id'),
      state: el.getAttribute('data-state'),
      pages: pages ? pages.textContent.trim() : '',
    };
  });
}

/** "3/10" → { done: 3, total: 10 }. */
function parsePages(text) {
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(text || '');
  return m ? { done: Number(m[1]), total: Number(m[2]) } : { done: 0, total: 0 };
}

async function markerCount() {
  return browser.execute(() => {
    const el = document.querySelector('[data-testid="memory-markers"]');
    return el ? Number.parseInt(el.getAttribute('data-count') || '', 10) : Number.NaN;
  });
}

let jobId = null;

describe('Folio jobs', () => {
  it(`opens the fixture ("${expectedText}")`, async () => {
    await browser.waitUntil(
      async () => {
        const texts = await browser.execute(() =>
          Array.from(document.querySelectorAll('[data-testid="page-count"]')).map((e) => e.textContent.trim()),
        );
        return texts.includes(expectedText);
      },
      { timeout: 60000, interval: 250, timeoutMsg: `no [data-testid="page-count"] with text "${expectedText}" within 60 s` },
    );
    const jobs = await $('[data-testid="jobs"]');
    await jobs.waitForExist({ timeout: 10000 });
    const stages = await browser.execute(() =>
      ['orientation', 'layout', 'ocr', 'table', 'embed'].map((s) => {
        const box = document.querySelector(`[data-testid="stage-${s}"]`);
        return box ? box.checked : null;
      }),
    );
    if (!stages.every((c) => c === true)) throw new Error(`expected all stages checked by default, got ${JSON.stringify(stages)}`);
    const textLayer = await browser.execute(() => {
      const select = document.querySelector('[data-testid="text-layer-select"]');
      return select ? { value: select.value, modes: Array.from(select.options).map((o) => o.value) } : null;
    });
    if (!textLayer) throw new Error('no [data-testid="text-layer-select"]');
    if (textLayer.value !== 'auto') throw new Error(`expected the text layer to default to auto, got ${textLayer.value}`);
    if (textLayer.modes.join(',') !== 'auto,text,ocr,redo') throw new Error(`unexpected text-layer modes: ${textLayer.modes.join(',')}`);
  });

  it('submits a job for the document with all stages', async () => {
    // Other documents are open too: pick the fixture.
    const name = process.env.FOLIO_FIXTURE ? path.basename(process.env.FOLIO_FIXTURE) : 'three-pages.pdf';
    const picked = await browser.execute((n) => {
      const doc = Array.from(document.querySelectorAll('[data-testid="document"]')).find((d) => (d.getAttribute('title') || '').endsWith(n));
      if (doc) doc.click();
      return !!doc;
    }, name);
    if (!picked) throw new Error(`no [data-testid="document"] for ${name}`);
    // OCR every page: the fixture's pages have a text layer, which alone would finish a page in a fraction of
    // a second, before the cancel below could catch the job running.
    await browser.execute(() => {
      const select = document.querySelector('[data-testid="text-layer-select"]');
      select.value = 'ocr';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    const button = await $('[data-testid="process-document"]');
    await button.waitForEnabled({ timeout: 30000 });
    await button.click();
    await browser.waitUntil(async () => (await jobInfo()) !== null, {
      timeout: 30000,
      interval: 200,
      timeoutMsg: 'no [data-testid="job"] appeared within 30 s of clicking process-document',
    });
    const job = await jobInfo();
    jobId = job.id;
    console.log(`[folio-e2e] job ${job.id}: ${job.state} ${job.pages}`);
  });

  it('marks a batch size change on the memory graph', async () => {
    const before = await markerCount();
    if (!Number.isFinite(before)) throw new Error('[data-testid="memory-markers"] has no numeric data-count');
    const job = await jobInfo();
    console.log(`[folio-e2e] changing the OCR batch size while the job is ${job && job.state}`);
    const next = await browser.execute(() => {
      const input = document.querySelector('[data-testid="batch-ocr"]');
      if (!input) return null;
      const current = Number.parseInt(input.value, 10) || 1;
      const value = current > 1 ? current - 1 : current + 1;
      input.value = String(value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
      return value;
    });
    if (next === null) throw new Error('no [data-testid="batch-ocr"] input');
    await browser.waitUntil(
      async () => {
        const state = await browser.execute(() => {
          const el = document.querySelector('[data-testid="memory-markers"]');
          return { count: Number.parseInt(el.getAttribute('data-count') || '', 10), kinds: el.getAttribute('data-kinds') || '' };
        });
        return state.count > before && state.kinds.split(',').includes('batch');
      },
      { timeout: 15000, interval: 200, timeoutMsg: `no batch-size marker appeared (markers before: ${before})` },
    );
    const value = await browser.execute(() => document.querySelector('[data-testid="batch-ocr"]').value);
    if (Number(value) !== next) throw new Error(`batch-ocr shows ${value}, expected ${next}`);
  });

  it('cancels the job, keeping the pages it finished', async function () {
    this.timeout(300000);
    // Let at least one page finish first (model loading can take a while on a cold start), and cancel in the
    // same moment, from inside the window: warm models finish this fixture's pages within a poll's interval.
    await browser.setTimeout({ script: 250000 });
    const cancelled = await browser.executeAsync((id, active, done) => {
      const deadline = Date.now() + 240000;
      const timer = setInterval(() => {
        const el = document.querySelector(`[data-testid="job"][data-job-id="${id}"]`);
        const state = el ? el.getAttribute('data-state') : null;
        const pages = el ? el.querySelector('[data-testid="job-pages"]')?.textContent || '' : '';
        const finished = Number.parseInt(pages.split('/')[0], 10) || 0;
        if (!el || !active.includes(state) || Date.now() > deadline) {
          clearInterval(timer);
          done(`not cancelled: the job is ${state} with ${pages} pages`);
        } else if (finished >= 1) {
          const cancel = el.querySelector('[data-testid="job-cancel"]');
          clearInterval(timer);
          if (cancel) cancel.click();
          done(cancel ? 'cancelled' : 'no cancel button');
        }
      }, 20);
    }, jobId, ACTIVE);
    if (cancelled !== 'cancelled') throw new Error(`the job ended before it could be cancelled (${cancelled})`);
    await browser.waitUntil(
      async () => {
        const job = await jobInfo();
        return !!job && !ACTIVE.includes(job.state);
      },
      { timeout: 60000, interval: 250, timeoutMsg: 'the job did not end within 60 s of cancel' },
    );
    const job = await jobInfo();
    const pages = parsePages(job.pages);
    console.log(`[folio-e2e] job ${job.id} ended ${job.state} with ${job.pages} pages`);
    if (job.state !== 'cancelled') throw new Error(`expected the job to end cancelled, it ended ${job.state}`);
    if (pages.done < 1) throw new Error(`expected at least 1 page done, job-pages says "${job.pages}"`);
  });

  it('shows the analysis of page 1 over the page', async () => {
    // Go to page 1.
    await browser.execute(() => {
      const thumb = document.querySelector('.thumbs button[data-index="0"]');
      if (thumb) thumb.click();
    });
    await browser.waitUntil(
      async () =>
        browser.execute(() => {
          const img = document.querySelector('img[data-testid="page-image"]');
          return !!img && img.naturalWidth > 0 && /page 1 of/i.test(img.getAttribute('alt') || '');
        }),
      { timeout: 60000, interval: 250, timeoutMsg: 'page 1 did not load within 60 s' },
    );
    const toggle = await $('[data-testid="overlay-toggle"]');
    await toggle.waitForExist({ timeout: 30000, timeoutMsg: 'no overlay-toggle: page 1 has no result' });
    await toggle.click();
    await browser.waitUntil(
      async () =>
        browser.execute(
          () => document.querySelectorAll('[data-testid="overlay-region"], [data-testid="overlay-line"]').length > 0,
        ),
      { timeout: 10000, interval: 200, timeoutMsg: 'no overlay-region or overlay-line drawn over page 1' },
    );
    const counts = await browser.execute(() => ({
      regions: document.querySelectorAll('[data-testid="overlay-region"]').length,
      lines: document.querySelectorAll('[data-testid="overlay-line"]').length,
    }));
    console.log(`[folio-e2e] page 1 overlay: ${counts.regions} regions, ${counts.lines} lines`);
    // Page 1 is done with every stage: the table stage's cells are drawn with their row and column, and the
    // text panel shows the table as a table.
    const tableDone = await browser.execute(() => !!document.querySelector('[data-testid="stage-status"] [data-stage="table"][data-status="done"]'));
    if (!tableDone) throw new Error('page 1 is done, but its table stage is not');
    {
      await browser.waitUntil(
        async () =>
          browser.execute(() => {
            const cells = Array.from(document.querySelectorAll('[data-testid="overlay-cell"]')).map((c) => c.getAttribute('data-cell'));
            return cells.includes('r1 c1') && document.querySelectorAll('[data-testid="panel-table"] tr').length >= 2;
          }),
        { timeout: 10000, interval: 200, timeoutMsg: 'the table stage ran on page 1 but no cell r1 c1 is drawn or the text panel shows no table' },
      );
      const cells = await browser.execute(() => document.querySelectorAll('[data-testid="overlay-cell"]').length);
      console.log(`[folio-e2e] page 1 table: ${cells} cells drawn`);
    }
  });

  it("shows where page 1's text came from, in the viewer and on its thumbnail", async () => {
    const ROUTES = ['text', 'ocr', 'mixed'];
    await browser.waitUntil(
      async () =>
        browser.execute((routes) => {
          const viewer = document.querySelector('[data-testid="viewer-route"]');
          const thumb = document.querySelector('.thumbs button[data-index="0"]');
          return (
            !!viewer &&
            routes.includes(viewer.getAttribute('data-route')) &&
            !!thumb &&
            thumb.getAttribute('data-route') === viewer.getAttribute('data-route') &&
            !!document.querySelector('[data-testid="route-badge-1"]')
          );
        }, ROUTES),
      { timeout: 30000, interval: 250, timeoutMsg: 'page 1 shows no route in the viewer, or its thumbnail shows another' },
    );
    const route = await browser.execute(() => {
      const el = document.querySelector('[data-testid="viewer-route"]');
      return { route: el.getAttribute('data-route'), text: el.textContent.trim() };
    });
    console.log(`[folio-e2e] page 1 route: ${route.route} (${route.text})`);
  });

  it('saves a screenshot, with no uncaught errors', async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    const file = path.join(artifacts, 'jobs.png');
    await browser.saveScreenshot(file);
    if (!fs.existsSync(file) || fs.statSync(file).size === 0) throw new Error(`screenshot not written: ${file}`);
    const errors = await browser.execute(() => window.__folioErrors ?? null);
    if (!Array.isArray(errors) || errors.length > 0) throw new Error(`uncaught errors in the window: ${JSON.stringify(errors)}`);
  });
});
