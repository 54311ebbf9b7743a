// A page that fails: a folder of three page images whose second is damaged. The job finishes its three
// pages with one failed, and the jobs panel says which page and why.

/** Attributes of the newest job, or null. */
async function jobInfo() {
  return browser.execute(() => {
    const el = document.querySelector('[data-testid="job"]');
    if (!el) return null;
    const text = (id) => {
      const e = el.querySelector(`[data-testid="${id}"]`);
      return e ? e.textContent.trim() : '';
    };
    return {
      id: el.getAttribute('data-job-id'),
      state: el.getAttribute('data-state'),
      pages: text('job-pages'),
      failed: text('job-failed'),
      lastFailure: text('job-last-failure'),
      reason: text('job-reason'),
    };
  });
}

describe('A page that fails', () => {
  it('opens the damaged folder as one three-page document', async () => {
    await browser.waitUntil(
      async () =>
        browser.execute(() =>
          Array.from(document.querySelectorAll('[data-testid="document"]')).some(
            (d) => (d.getAttribute('title') || '').endsWith('damaged-pages') && /3 pages/.test(d.textContent || ''),
          ),
        ),
      { timeout: 60000, interval: 250, timeoutMsg: 'no "damaged-pages" document with 3 pages within 60 s' },
    );
  });

  it('finishes the job with page 2 failed and says why', async function () {
    this.timeout(300000);
    await browser.execute(() => {
      const doc = Array.from(document.querySelectorAll('[data-testid="document"]')).find((d) =>
        (d.getAttribute('title') || '').endsWith('damaged-pages'),
      );
      doc.click();
      // The orientation stage alone: the failure comes from rendering, before any model.
      for (const s of ['orientation', 'layout', 'ocr', 'table', 'embed']) {
        const box = document.querySelector(`[data-testid="stage-${s}"]`);
        if (box.checked !== (s === 'orientation')) box.click();
      }
    });
    const button = await $('[data-testid="process-document"]');
    await button.waitForEnabled({ timeout: 30000 });
    await button.click();
    await browser.waitUntil(
      async () => {
        const job = await jobInfo();
        return !!job && !['queued', 'running', 'paused'].includes(job.state);
      },
      { timeout: 240000, interval: 500, timeoutMsg: 'the job did not end within 240 s' },
    );
    const job = await jobInfo();
    console.log(`[folio-e2e] job ${job.id}: ${job.state}, ${job.pages}, "${job.failed}", "${job.lastFailure}"`);
    if (job.state !== 'finished') throw new Error(`expected the job to finish, it ended ${job.state} (${job.reason})`);
    if (job.pages !== '3/3') throw new Error(`expected 3/3 pages, the job shows "${job.pages}"`);
    if (job.failed !== '1 failed') throw new Error(`expected "1 failed", the job shows "${job.failed}"`);
    if (!/^page 2: /.test(job.lastFailure) || !/page2\.png/.test(job.lastFailure)) {
      throw new Error(`expected the failure of page 2 (page2.png), the job shows "${job.lastFailure}"`);
    }
  });
});
