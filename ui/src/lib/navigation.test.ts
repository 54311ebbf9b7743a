import { describe, expect, it } from 'vitest';
import { clampPage, closesOnEscape, isHelpKey, isTyping, keyToNavAction, navigate, pageShortcutAllowed, SHORTCUTS } from './navigation';

describe('clampPage', () => {
  it('clamps into range', () => {
    expect(clampPage(-3, 5)).toBe(0);
    expect(clampPage(2, 5)).toBe(2);
    expect(clampPage(9, 5)).toBe(4);
  });
  it('handles empty documents and bad input', () => {
    expect(clampPage(3, 0)).toBe(0);
    expect(clampPage(NaN, 4)).toBe(0);
    expect(clampPage(2.7, 4)).toBe(2);
  });
});

describe('keyToNavAction', () => {
  it('maps next keys', () => {
    for (const k of ['ArrowRight', 'PageDown', ' ']) expect(keyToNavAction(k)).toBe('next');
  });
  it('maps previous keys', () => {
    for (const k of ['ArrowLeft', 'PageUp']) expect(keyToNavAction(k)).toBe('prev');
    // j and k step through lines, not pages.
    for (const k of ['j', 'k']) expect(keyToNavAction(k)).toBeNull();
  });
  it('maps Home/End', () => {
    expect(keyToNavAction('Home')).toBe('first');
    expect(keyToNavAction('End')).toBe('last');
  });
  it('ignores other keys', () => {
    expect(keyToNavAction('a')).toBeNull();
    expect(keyToNavAction('J')).toBeNull();
    expect(keyToNavAction('Enter')).toBeNull();
  });
});

describe('navigate', () => {
  it('moves within bounds', () => {
    expect(navigate('next', 0, 3)).toBe(1);
    expect(navigate('next', 2, 3)).toBe(2);
    expect(navigate('prev', 0, 3)).toBe(0);
    expect(navigate('prev', 2, 3)).toBe(1);
    expect(navigate('first', 2, 3)).toBe(0);
    expect(navigate('last', 0, 3)).toBe(2);
  });
  it('is safe on empty documents', () => {
    expect(navigate('last', 0, 0)).toBe(0);
    expect(navigate('next', 0, 0)).toBe(0);
  });
});

describe('closesOnEscape', () => {
  it('closes on Escape only, and keeps the key from going further', () => {
    let closed = 0;
    const handler = closesOnEscape(() => closed++);
    const key = (k: string) => {
      const e = { key: k, defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
      handler(e as unknown as KeyboardEvent);
      return e.defaultPrevented;
    };
    expect(key('Enter')).toBe(false);
    expect(closed).toBe(0);
    expect(key('Escape')).toBe(true);
    expect(closed).toBe(1);
  });
});

describe('shortcuts', () => {
  it('lists every key the window handles, and ? opens the list', () => {
    const keys = SHORTCUTS.map((s) => s.keys).join(' ');
    for (const key of ['PageDown', 'PageUp', 'Home', 'End', 'Ctrl+F', 'Ctrl+E', 'F2', 'Esc', '?']) expect(keys).toContain(key);
    // Every navigation key listed is one keyToNavAction knows.
    for (const key of ['PageDown', 'PageUp', 'Home', 'End']) expect(keyToNavAction(key)).not.toBeNull();
    expect(isHelpKey({ key: '?', ctrlKey: false, metaKey: false, altKey: false })).toBe(true);
    expect(isHelpKey({ key: '?', ctrlKey: true, metaKey: false, altKey: false })).toBe(false);
    expect(isHelpKey({ key: '/', ctrlKey: false, metaKey: false, altKey: false })).toBe(false);
  });
});

describe('page shortcuts', () => {
  const el = (tagName: string, isContentEditable = false) => ({ tagName, isContentEditable }) as unknown as HTMLElement;
  it('leave text fields alone and wait while a dialog is open', () => {
    for (const tag of ['INPUT', 'TEXTAREA', 'SELECT']) expect(isTyping(el(tag))).toBe(true);
    expect(isTyping(el('DIV', true))).toBe(true);
    expect(isTyping(el('BUTTON'))).toBe(false);
    expect(isTyping(null)).toBe(false);
    const key = (target: HTMLElement) => ({ target }) as unknown as KeyboardEvent;
    const noDialog = { querySelector: () => null } as unknown as Document;
    const dialog = { querySelector: () => ({}) } as unknown as Document;
    expect(pageShortcutAllowed(key(el('BUTTON')), noDialog)).toBe(true);
    expect(pageShortcutAllowed(key(el('INPUT')), noDialog)).toBe(false);
    expect(pageShortcutAllowed(key(el('BUTTON')), dialog)).toBe(false);
  });
});
