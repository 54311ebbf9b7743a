import { describe, expect, it } from 'vitest';
import { choiceLabel, createTheme, effectiveTheme, nextChoice, parseChoice, THEME_KEY } from './theme';

/** A window whose system prefers `dark` (changeable) and whose storage holds `stored`. */
function fakeWindow(dark: boolean, stored: string | null = null) {
  const changeListeners: (() => void)[] = [];
  const media = {
    matches: dark,
    addEventListener: (_: string, l: () => void) => changeListeners.push(l),
  };
  const storage = new Map<string, string>();
  if (stored !== null) storage.set(THEME_KEY, stored);
  const root = { dataset: {} as Record<string, string>, style: {} as Record<string, string> };
  const win = {
    matchMedia: () => media,
    localStorage: {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => storage.set(k, v),
      removeItem: (k: string) => storage.delete(k),
    },
    document: { documentElement: root },
  } as unknown as Window;
  return {
    win,
    root,
    storage,
    systemTurns(toDark: boolean) {
      media.matches = toDark;
      for (const l of changeListeners) l();
    },
  };
}

describe('theme choice', () => {
  it('reads only the three choices, anything else as the system', () => {
    expect(parseChoice('light')).toBe('light');
    expect(parseChoice('dark')).toBe('dark');
    expect(parseChoice('system')).toBe('system');
    expect(parseChoice('purple')).toBe('system');
    expect(parseChoice(null)).toBe('system');
  });
  it('follows the system only when asked to', () => {
    expect(effectiveTheme('system', true)).toBe('dark');
    expect(effectiveTheme('system', false)).toBe('light');
    expect(effectiveTheme('light', true)).toBe('light');
    expect(effectiveTheme('dark', false)).toBe('dark');
  });
  it('cycles system, light, dark', () => {
    expect(nextChoice('system')).toBe('light');
    expect(nextChoice('light')).toBe('dark');
    expect(nextChoice('dark')).toBe('system');
    expect(choiceLabel('system', 'light')).toBe('Theme: as the system (light)');
    expect(choiceLabel('dark', 'dark')).toBe('Theme: dark');
  });
});

describe('createTheme', () => {
  it('marks <html> with the system theme and follows it while nothing is chosen', () => {
    const w = fakeWindow(false);
    const t = createTheme(w.win);
    expect(w.root.dataset.theme).toBe('light');
    expect(w.root.style.colorScheme).toBe('light');
    w.systemTurns(true);
    expect(w.root.dataset.theme).toBe('dark');
    expect(t.theme()).toBe('dark');
  });
  it('keeps a chosen theme across a system change and stores it; "system" clears it', () => {
    const w = fakeWindow(true);
    const t = createTheme(w.win);
    const seen: string[] = [];
    t.subscribe((theme, choice) => seen.push(`${theme}/${choice}`));
    t.set('light');
    expect(w.storage.get(THEME_KEY)).toBe('light');
    w.systemTurns(true);
    expect(w.root.dataset.theme).toBe('light');
    t.set('system');
    expect(w.storage.has(THEME_KEY)).toBe(false);
    expect(w.root.dataset.theme).toBe('dark');
    expect(seen).toEqual(['dark/system', 'light/light', 'dark/system']);
  });
  it('starts from the stored choice', () => {
    const w = fakeWindow(true, 'light');
    expect(createTheme(w.win).choice()).toBe('light');
    expect(w.root.dataset.theme).toBe('light');
  });
});
