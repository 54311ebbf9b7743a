export type NavAction = 'next' | 'prev' | 'first' | 'last';

/** Clamp a 0-based page index into [0, pageCount - 1] (0 when the document is empty). */
export function clampPage(index: number, pageCount: number): number {
  if (!Number.isFinite(pageCount) || pageCount <= 0) return 0;
  if (!Number.isFinite(index)) return 0;
  return Math.min(Math.max(Math.trunc(index), 0), Math.floor(pageCount) - 1);
}

/** Map a KeyboardEvent.key to a navigation action. */
export function keyToNavAction(key: string): NavAction | null {
  switch (key) {
    case 'ArrowRight':
    case 'PageDown':
    case ' ':
    case 'Spacebar':
      return 'next';
    case 'ArrowLeft':
    case 'PageUp':
      return 'prev';
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    default:
      return null;
  }
}

/** Apply a navigation action to a 0-based page index. */
export function navigate(action: NavAction, current: number, pageCount: number): number {
  switch (action) {
    case 'next':
      return clampPage(current + 1, pageCount);
    case 'prev':
      return clampPage(current - 1, pageCount);
    case 'first':
      return 0;
    case 'last':
      return clampPage(pageCount - 1, pageCount);
  }
}

/** Whether a key press goes to a text field (typing), not to the window's shortcuts. */
export function isTyping(target: EventTarget | null): boolean {
  const t = target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

/** Whether a page-level shortcut (j/k, Delete) may act: not while typing, nor under a dialog. */
export function pageShortcutAllowed(e: KeyboardEvent, doc: Pick<Document, 'querySelector'> = document): boolean {
  return !isTyping(e.target) && !doc.querySelector('[role="dialog"]');
}

/** A keydown handler that calls `close` on Escape (panels and dialogs). */
export function closesOnEscape(close: () => void): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  };
}

/** Every keyboard shortcut of the window, as the help overlay (`?`) lists them. */
export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: '→  PageDown  Space', what: 'Next page' },
  { keys: '←  PageUp', what: 'Previous page' },
  { keys: 'j  k', what: 'Next and previous line in reading order (analysis shown)' },
  { keys: 'Arrow keys, the page focused (click it)', what: 'Pan the page' },
  { keys: 'Home  End', what: 'First and last page' },
  { keys: 'Ctrl+F', what: 'Search every processed document' },
  { keys: 'Ctrl+E', what: 'Export the document shown' },
  { keys: 'F2 or double-click', what: 'Correct the line chosen in the text panel (Enter saves, Esc cancels)' },
  { keys: 'Ctrl+wheel', what: 'Zoom the page (drag it to pan)' },
  { keys: 'Esc', what: 'Close the panel or dialog' },
  { keys: '?', what: 'This list' },
];

/** Whether a key press asks for the help overlay (`?`, however the layout types it). */
export function isHelpKey(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): boolean {
  return e.key === '?' && !e.ctrlKey && !e.metaKey && !e.altKey;
}
