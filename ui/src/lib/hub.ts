// A synchronous fan-out: App listens to `worker-event` once and hands every event to each panel.
export interface Hub<T> {
  subscribe(fn: (value: T) => void): () => void;
  emit(value: T): void;
  readonly size: number;
}

export function createHub<T>(onError: (err: unknown) => void = (e) => console.error(e)): Hub<T> {
  const subs = new Set<(value: T) => void>();
  return {
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
    emit(value) {
      for (const fn of [...subs]) {
        try {
          fn(value);
        } catch (err) {
          onError(err);
        }
      }
    },
    get size() {
      return subs.size;
    },
  };
}
