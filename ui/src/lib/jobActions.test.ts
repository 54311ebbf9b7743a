import { describe, expect, it, vi } from 'vitest';
import { actionLabel, runJobAction, type JobActionApi } from './jobActions';

function fakeApi(over: Partial<JobActionApi> = {}): JobActionApi {
  return {
    pause: vi.fn(async () => undefined),
    resume: vi.fn(async () => undefined),
    cancel: vi.fn(async () => undefined),
    move: vi.fn(async () => true),
    discard: vi.fn(async () => true),
    resumeStored: vi.fn(async (job: number) => [{ job, pages: 3, error: null }]),
    retry: vi.fn(async (job: number) => ({ job, pages: 2, error: null })),
    ...over,
  };
}

describe('runJobAction', () => {
  it('calls the matching command', async () => {
    const api = fakeApi();
    await runJobAction('moveUp', 4, api);
    await runJobAction('moveDown', 4, api);
    expect(api.move).toHaveBeenNthCalledWith(1, 4, true);
    expect(api.move).toHaveBeenNthCalledWith(2, 4, false);
    expect(await runJobAction('pause', 4, api)).toEqual({ error: null, threw: false, removed: false });
    expect(api.pause).toHaveBeenCalledWith(4);
    await runJobAction('cancel', 4, api);
    expect(api.cancel).toHaveBeenCalledWith(4);
    expect(await runJobAction('retry', 4, api)).toEqual({ error: null, threw: false, removed: false });
    expect(api.retry).toHaveBeenCalledWith(4);
    expect(await runJobAction('requeue', 4, api)).toEqual({ error: null, threw: false, removed: false });
    expect(api.resumeStored).toHaveBeenCalledWith(4);
  });

  it('says a removed or discarded job can go, and why one was not', async () => {
    expect(await runJobAction('remove', 2, fakeApi())).toEqual({ error: null, threw: false, removed: true });
    const kept = await runJobAction('discard', 2, fakeApi({ discard: async () => false }));
    expect(kept.removed).toBe(false);
    expect(kept.error).toMatch(/^Discard job 2: it was not dropped/);
  });

  it("shows a requeue's error, and a failed call as thrown", async () => {
    const retry = await runJobAction('retry', 5, fakeApi({ retry: async (job) => ({ job, pages: 0, error: 'a.pdf has changed' }) }));
    expect(retry).toEqual({ error: 'Retry the failed pages of job 5: a.pdf has changed', threw: false, removed: false });
    const resume = await runJobAction(
      'requeue',
      5,
      fakeApi({ resumeStored: async () => [{ job: 5, pages: 0, error: 'a.pdf cannot be opened' }] }),
    );
    expect(resume.error).toBe('Resume job 5: a.pdf cannot be opened');
    const thrown = await runJobAction('pause', 5, fakeApi({ pause: async () => Promise.reject('no running job 5') }));
    expect(thrown).toEqual({ error: 'Pause job 5: no running job 5', threw: true, removed: false });
    // Moving the first job up is not an error: the list shows where it is.
    expect((await runJobAction('moveUp', 5, fakeApi({ move: async () => false }))).error).toBeNull();
    expect(actionLabel('moveDown', 3)).toBe('Move job 3 down');
  });
});
