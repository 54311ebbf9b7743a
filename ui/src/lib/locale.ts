// A desktop session started with LANG=C (common under Xvfb, in containers and over SSH) makes WebKit report
// `navigator.language === 'C'`, which is not a BCP 47 tag: `new Intl.NumberFormat('C')` throws, and uPlot
// calls exactly that when its module loads. This module must be imported before anything that formats.

/** True when `tag` is a language tag that Intl accepts. */
export function isValidLocale(tag: string | undefined): boolean {
  if (!tag) return false;
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

/** Replaces an unusable `navigator.language` with `fallback`; returns the language in effect. */
export function ensureUsableLocale(nav: Navigator | undefined, fallback = 'en-US'): string | undefined {
  if (!nav) return undefined;
  if (isValidLocale(nav.language)) return nav.language;
  Object.defineProperty(nav, 'language', { get: () => fallback, configurable: true });
  Object.defineProperty(nav, 'languages', { get: () => [fallback], configurable: true });
  return fallback;
}

ensureUsableLocale(typeof navigator === 'undefined' ? undefined : navigator);
