import { describe, expect, it } from 'vitest';
import { normalizeWorkerEvent } from './workerEvent';

describe('normalizeWorkerEvent', () => {
  it('passes contract events through', () => {
    const ev = { kind: 'model_loaded', model: 'ocr', bytes: 1, ms: 2, t_ms: 3 };
    expect(normalizeWorkerEvent(ev)).toEqual(ev);
    const job = { kind: 'job_started', job: 1, t_ms: 5 };
    expect(normalizeWorkerEvent(job)).toEqual(job);
  });

  it('flattens nested or bare model events', () => {
    expect(normalizeWorkerEvent({ kind: 'model', event: { kind: 'loaded', model: 'a', bytes: 1, ms: 2 }, t_ms: 9 })).toEqual({
      kind: 'model_loaded',
      model: 'a',
      bytes: 1,
      ms: 2,
      t_ms: 9,
    });
    expect(normalizeWorkerEvent({ kind: 'model', 0: { kind: 'unloaded', model: 'a', bytes: 1, reason: 'idle' } })).toMatchObject({
      kind: 'model_unloaded',
      model: 'a',
    });
    expect(normalizeWorkerEvent({ kind: 'unloaded', model: 'b', bytes: 1, reason: 'x', t_ms: 1 })).toMatchObject({
      kind: 'model_unloaded',
      model: 'b',
      t_ms: 1,
    });
  });

  it('rejects payloads without a kind', () => {
    expect(normalizeWorkerEvent(null)).toBeNull();
    expect(normalizeWorkerEvent({})).toBeNull();
    expect(normalizeWorkerEvent({ kind: 'model' })).toBeNull();
  });
});
