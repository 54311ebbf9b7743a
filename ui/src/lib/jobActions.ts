// What a jobs-panel button does: the IPC call, and the error (if any) the user should see.
import { errorMessage } from './format';
import type { Requeued } from './types';

export type JobAction = 'pause' | 'resume' | 'cancel' | 'moveUp' | 'moveDown' | 'remove' | 'requeue' | 'discard' | 'retry';

/** The calls the buttons make (api.ts, or fakes in tests). */
export interface JobActionApi {
  pause(job: number): Promise<unknown>;
  resume(job: number): Promise<unknown>;
  cancel(job: number): Promise<unknown>;
  move(job: number, up: boolean): Promise<boolean>;
  discard(job: number): Promise<boolean>;
  resumeStored(job: number): Promise<Requeued[]>;
  retry(job: number): Promise<Requeued>;
}

export interface ActionOutcome {
  /** What to tell the user, when it did not work. */
  error: string | null;
  /** The call itself failed (an optimistic state should be undone). */
  threw: boolean;
  /** The job was dropped from the store and queue (its row can go). */
  removed: boolean;
}

const LABEL: Record<JobAction, (id: number) => string> = {
  pause: (id) => `Pause job ${id}`,
  resume: (id) => `Resume job ${id}`,
  cancel: (id) => `Cancel job ${id}`,
  moveUp: (id) => `Move job ${id} up`,
  moveDown: (id) => `Move job ${id} down`,
  remove: (id) => `Remove job ${id}`,
  requeue: (id) => `Resume job ${id}`,
  discard: (id) => `Discard job ${id}`,
  retry: (id) => `Retry the failed pages of job ${id}`,
};

export function actionLabel(action: JobAction, id: number): string {
  return LABEL[action](id);
}

const NOT_DROPPED = 'it was not dropped (another Folio process may be running it, or it is gone)';

function requeueError(r: Requeued | undefined): string | null {
  return r && typeof r.error === 'string' && r.error.length > 0 ? r.error : null;
}

export async function runJobAction(action: JobAction, id: number, api: JobActionApi): Promise<ActionOutcome> {
  const ok: ActionOutcome = { error: null, threw: false, removed: false };
  const fail = (why: string): ActionOutcome => ({ ...ok, error: `${LABEL[action](id)}: ${why}` });
  try {
    switch (action) {
      case 'pause':
        await api.pause(id);
        return ok;
      case 'resume':
        await api.resume(id);
        return ok;
      case 'cancel':
        await api.cancel(id);
        return ok;
      case 'moveUp':
      case 'moveDown':
        // False: it is already first or last (the list, fetched again, shows where it is).
        await api.move(id, action === 'moveUp');
        return ok;
      case 'remove':
      case 'discard':
        return (await api.discard(id)) ? { ...ok, removed: true } : fail(NOT_DROPPED);
      case 'requeue': {
        const results = await api.resumeStored(id);
        const why = requeueError((Array.isArray(results) ? results : []).find((r) => r.job === id));
        return why ? fail(why) : ok;
      }
      case 'retry': {
        const why = requeueError(await api.retry(id));
        return why ? fail(why) : ok;
      }
    }
  } catch (err) {
    return { ...fail(errorMessage(err)), threw: true };
  }
}
