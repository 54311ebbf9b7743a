import { describe, expect, it } from 'vitest';
import { lastUsed, modelRows } from './models';

describe('models panel', () => {
  it('says when a model was last used', () => {
    expect(lastUsed(null)).toBe('never');
    expect(lastUsed(2400)).toBe('2 s ago');
    expect(lastUsed(4 * 60_000)).toBe('4 min ago');
    expect(lastUsed(3 * 3_600_000)).toBe('3 h ago');
  });

  it('shows each model with its state, bytes and loads, and offers Unload only when loaded', () => {
    const rows = modelRows([
      { model: 'layout', name: 'layout', loaded: true, load_count: 2, load_ms: 812.4, bytes: 19 * 1048576, idle_ms: 1000 },
      { model: 'table', name: 'table', loaded: false, load_count: 0, load_ms: 0, bytes: 0, idle_ms: null },
    ]);
    expect(rows[0]).toMatchObject({ label: 'Layout', state: 'loaded', loads: 2, loadTime: '812 ms', lastUsed: '1 s ago', canUnload: true });
    expect(rows[0].bytes).toContain('19');
    expect(rows[1]).toMatchObject({ label: 'Table structure', state: 'not loaded', bytes: '—', loadTime: '—', lastUsed: 'never', canUnload: false });
  });
});
