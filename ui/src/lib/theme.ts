// The window's colours: light or dark, following the system unless the user chose one. The choice is kept
// in localStorage; the theme itself is a `data-theme` attribute on <html> that app.css reads.

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'folio.theme';
const CHOICES: ThemeChoice[] = ['system', 'light', 'dark'];

/** A stored choice, or "system" for anything else (nothing stored, an old or damaged value). */
export function parseChoice(value: string | null | undefined): ThemeChoice {
  return CHOICES.includes(value as ThemeChoice) ? (value as ThemeChoice) : 'system';
}

/** The theme a choice gives when the system prefers `systemDark`. */
export function effectiveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

/** The switch's next choice: system → light → dark → system. */
export function nextChoice(choice: ThemeChoice): ThemeChoice {
  return CHOICES[(CHOICES.indexOf(choice) + 1) % CHOICES.length];
}

/** What the switch says it does now. */
export function choiceLabel(choice: ThemeChoice, theme: Theme): string {
  return choice === 'system' ? `Theme: as the system (${theme})` : `Theme: ${choice}`;
}

type Listener = (theme: Theme, choice: ThemeChoice) => void;

/** The window's theme: reads the stored choice, follows the system while the choice is "system". */
export function createTheme(win: Window = window) {
  const media = win.matchMedia?.('(prefers-color-scheme: dark)');
  let choice = parseChoice(safeGet(win));
  const listeners = new Set<Listener>();

  function theme(): Theme {
    return effectiveTheme(choice, media ? media.matches : true);
  }

  function apply() {
    const t = theme();
    const root = win.document.documentElement;
    root.dataset.theme = t;
    root.style.colorScheme = t;
    for (const l of listeners) l(t, choice);
  }

  media?.addEventListener?.('change', () => {
    if (choice === 'system') apply();
  });
  apply();

  return {
    theme,
    choice: () => choice,
    set(next: ThemeChoice) {
      choice = next;
      try {
        if (next === 'system') win.localStorage.removeItem(THEME_KEY);
        else win.localStorage.setItem(THEME_KEY, next);
      } catch {
        /* storage unavailable: the choice lasts this session */
      }
      apply();
    },
    subscribe(listener: Listener): () => void {
      listeners.add(listener);
      listener(theme(), choice);
      return () => listeners.delete(listener);
    },
  };
}

function safeGet(win: Window): string | null {
  try {
    return win.localStorage.getItem(THEME_KEY);
  } catch {
    return null;
  }
}

export type ThemeController = ReturnType<typeof createTheme>;
