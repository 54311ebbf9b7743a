import { describe, expect, it } from 'vitest';
import { ensureUsableLocale, isValidLocale } from './locale';

describe('locale guard', () => {
  it('tells usable tags from POSIX locale names', () => {
    expect(isValidLocale('en-US')).toBe(true);
    expect(isValidLocale('de')).toBe(true);
    expect(isValidLocale('C')).toBe(false);
    expect(isValidLocale(undefined)).toBe(false);
  });

  it('replaces an unusable navigator.language so Intl works', () => {
    const nav = { language: 'C', languages: ['C'] } as unknown as Navigator;
    expect(ensureUsableLocale(nav)).toBe('en-US');
    expect(nav.language).toBe('en-US');
    expect(() => new Intl.NumberFormat(nav.language)).not.toThrow();
  });

  it('keeps a usable language as it is', () => {
    const nav = { language: 'fr-FR', languages: ['fr-FR'] } as unknown as Navigator;
    expect(ensureUsableLocale(nav)).toBe('fr-FR');
    expect(nav.language).toBe('fr-FR');
  });
});
