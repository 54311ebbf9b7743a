// The overlay's draw time on a dense page: tests/fixtures/dense-lines.pdf (1,000 text-layer lines on one
// page) is processed, and the window times, in the real webview, what a user does to the overlay: showing
// the lines, zooming, hovering lines and showing the whole analysis. (Text-layer lines have no confidence,
// so the confidence slider changes nothing on this page and is not timed.) Figures are printed and written to artifacts/overlay-bench.json; the target (under 16 ms,
// one frame) is read from them, not asserted.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.resolve(here, '..', 'artifacts');
const dense = path.resolve(here, '../../fixtures/dense-lines.pdf');
const LINES = 1000;
const RUNS = 15;

/** Times `RUNS` repetitions of one action in the window: until the DOM is updated and laid out (script, style
 * and layout), and until the frame showing it has been drawn (which includes waiting for the display's next
 * frame, up to 16.7 ms at 60 Hz, whatever the work). */
async function timeAction(kind) {
  return browser.executeAsync(
    (kind, runs, done) => {
      const q = (s) => document.querySelector(s);
      const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      // The frame that shows the change has been drawn: a task after its animation-frame callbacks.
      const painted = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const settle = async (check) => {
        for (let i = 0; i < 20 && !check(); i++) await Promise.resolve();
        if (!check()) await new Promise((r) => setTimeout(r, 0));
        // Style and layout now: reading a box forces both.
        q('[data-testid="overlay"]')?.getBoundingClientRect();
        return check();
      };
      const actions = {
        // Analysis hidden, then shown: the overlay and the text panel beside it (the viewer narrower) from nothing.
        show: async (i) => {
          const toggle = q('[data-testid="overlay-toggle"]');
          toggle.click();
          await settle(() => !q('[data-testid="overlay"]'));
          await frame();
          const t0 = performance.now();
          toggle.click();
          const ok = await settle(() => document.querySelectorAll('[data-testid="overlay-line"]').length === 1000);
          return { t0, ok };
        },
        // The text lines hidden, then shown from the legend: the 1,000 lines drawn from nothing.
        lines: async (i) => {
          const chip = q('[data-testid="lines-chip"]');
          chip.click();
          await settle(() => document.querySelectorAll('[data-testid="overlay-line"]').length === 0);
          await frame();
          const t0 = performance.now();
          chip.click();
          const ok = await settle(() => document.querySelectorAll('[data-testid="overlay-line"]').length === 1000);
          return { t0, ok };
        },
        // Fit page and fit width in turn: every line's points worked out and drawn again at the new scale.
        zoom: async (i) => {
          const button = Array.from(document.querySelectorAll('.zoom button')).find((b) => b.textContent.trim() === (i % 2 ? 'Fit width' : 'Fit page'));
          const before = q('[data-testid="overlay"]').getAttribute('width');
          const t0 = performance.now();
          button.click();
          const ok = await settle(() => q('[data-testid="overlay"]').getAttribute('width') !== before);
          return { t0, ok };
        },
        // A line hovered: its card shown.
        hover: async (i) => {
          const lines = document.querySelectorAll('[data-testid="overlay-line"]');
          const line = lines[(i * 37) % lines.length];
          const t0 = performance.now();
          line.dispatchEvent(new PointerEvent('pointerover', { bubbles: true }));
          const ok = await settle(() => q('[data-testid="line-hover"]')?.getAttribute('data-index') === line.getAttribute('data-index'));
          line.dispatchEvent(new PointerEvent('pointerout', { bubbles: true }));
          return { t0, ok };
        },
      };
      (async () => {
        const update = [];
        const nextFrame = [];
        let failed = 0;
        for (let i = 0; i < runs + 2; i++) {
          const { t0, ok } = await actions[kind](i);
          const t1 = performance.now();
          await painted();
          const t2 = performance.now();
          if (!ok) failed++;
          // The first two warm the code paths.
          if (i >= 2) {
            update.push(t1 - t0);
            nextFrame.push(t2 - t0);
          }
          await frame();
        }
        done({ update, nextFrame, failed });
      })().catch((e) => done({ error: String(e) }));
    },
    kind,
    RUNS,
  );
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { median: +at(0.5).toFixed(2), p90: +at(0.9).toFixed(2), max: +sorted[sorted.length - 1].toFixed(2) };
}

describe('Overlay draw time on a page of 1,000 lines', () => {
  it('processes the dense page', async function () {
    this.timeout(300000);
    const caps = structuredClone(browser.requestedCapabilities);
    caps['tauri:options'] = { ...caps['tauri:options'], args: ['--open', dense] };
    await browser.reloadSession(caps);
    await browser.waitUntil(
      async () =>
        browser.execute(() => {
          const doc = Array.from(document.querySelectorAll('[data-testid="document"]')).find((d) => (d.getAttribute('title') || '').endsWith('dense-lines.pdf'));
          if (doc) doc.click();
          return !!doc;
        }),
      { timeout: 60000, interval: 250, timeoutMsg: 'dense-lines.pdf is not in the library' },
    );
    await browser.execute(() => {
      for (const s of ['orientation', 'layout', 'ocr', 'table', 'embed']) {
        const box = document.querySelector(`[data-testid="stage-${s}"]`);
        if (box.checked !== ['layout', 'ocr'].includes(s)) box.click();
      }
    });
    const button = await $('[data-testid="process-document"]');
    await button.waitForEnabled({ timeout: 30000 });
    await button.click();
    const toggle = await $('[data-testid="overlay-toggle"]');
    await toggle.waitForExist({ timeout: 240000, timeoutMsg: 'the dense page has no result within 240 s' });
    await toggle.click();
    await browser.waitUntil(async () => (await browser.execute(() => document.querySelectorAll('[data-testid="overlay-line"]').length)) === LINES, {
      timeout: 30000,
      timeoutMsg: `the overlay does not draw ${LINES} lines`,
    });
  });

  it('times showing the lines, zooming, hovering and showing the analysis, and prints the figures', async function () {
    this.timeout(300000);
    await browser.setTimeout({ script: 240000 });
    const figures = { lines: LINES, runs: RUNS, when: new Date().toISOString() };
    for (const kind of ['lines', 'zoom', 'hover', 'show']) {
      const r = await timeAction(kind);
      if (r.error) throw new Error(`${kind}: ${r.error}`);
      if (r.failed > 0) throw new Error(`${kind}: ${r.failed} of ${RUNS + 2} runs did not change the overlay`);
      figures[kind] = { update_ms: stats(r.update), next_frame_ms: stats(r.nextFrame) };
      console.log(
        `[folio-bench] overlay, ${LINES} lines, ${kind}: DOM updated and laid out median ${figures[kind].update_ms.median} ms (p90 ${figures[kind].update_ms.p90}, max ${figures[kind].update_ms.max}); next frame drawn median ${figures[kind].next_frame_ms.median} ms (p90 ${figures[kind].next_frame_ms.p90})`,
      );
    }
    fs.mkdirSync(artifacts, { recursive: true });
    fs.writeFileSync(path.join(artifacts, 'overlay-bench.json'), `${JSON.stringify(figures, null, 2)}\n`);
    await browser.saveScreenshot(path.join(artifacts, 'overlay-bench.png'));
  });
});
