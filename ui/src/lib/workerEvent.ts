// Accept the `worker-event` payload shapes the back end may send and turn them into `WorkerEvent`.
import type { WorkerEvent } from './types';

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function modelEvent(inner: Raw, t_ms: unknown): WorkerEvent | null {
  const kind = inner.kind;
  if (kind === 'loaded' || kind === 'model_loaded') return { ...inner, kind: 'model_loaded', ...(t_ms !== undefined ? { t_ms } : {}) } as WorkerEvent;
  if (kind === 'unloaded' || kind === 'model_unloaded')
    return { ...inner, kind: 'model_unloaded', ...(t_ms !== undefined ? { t_ms } : {}) } as WorkerEvent;
  return null;
}

/**
 * The contract is flat `{ kind: 'model_loaded' | 'model_unloaded', ... }` model events; also accepted:
 * `{ kind: 'model', event | 0: { kind: 'loaded' | 'unloaded', ... } }` and a bare `{ kind: 'loaded' | 'unloaded' }`
 * (what serde makes of a tagged enum inside a tagged enum). Returns null for payloads without a kind.
 */
export function normalizeWorkerEvent(raw: unknown): WorkerEvent | null {
  if (!isObject(raw) || typeof raw.kind !== 'string') return null;
  if (raw.kind === 'loaded' || raw.kind === 'unloaded') return modelEvent(raw, raw.t_ms);
  if (raw.kind === 'model') {
    const inner = [raw.event, raw['0'], raw.model].find(isObject);
    if (inner) return modelEvent(inner, raw.t_ms ?? inner.t_ms);
    if (typeof raw.action === 'string') return modelEvent({ ...raw, kind: raw.action }, raw.t_ms);
    return null;
  }
  return raw as unknown as WorkerEvent;
}
