import { describe, expect, it } from 'vitest';
import { folioOrigin, isWindowsUserAgent, pageImageUrl, thumbnailUrl, THUMBNAIL_PIXEL_WIDTH } from './pageUrl';

describe('page URLs', () => {
  it('detects Windows user agents', () => {
    expect(isWindowsUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/120')).toBe(true);
    expect(isWindowsUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15')).toBe(false);
    expect(isWindowsUserAgent('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15')).toBe(false);
  });

  it('uses folio://localhost on Linux/macOS and http://folio.localhost on Windows', () => {
    expect(folioOrigin(false)).toBe('folio://localhost');
    expect(folioOrigin(true)).toBe('http://folio.localhost');
    expect(pageImageUrl(3, 0, 1024, false)).toBe('folio://localhost/page/3/0?w=1024');
    expect(pageImageUrl(3, 7, 1024, true)).toBe('http://folio.localhost/page/3/7?w=1024');
  });

  it('rounds the width to a positive integer', () => {
    expect(pageImageUrl(1, 2, 799.6, false)).toBe('folio://localhost/page/1/2?w=800');
    expect(pageImageUrl(1, 2, 0, false)).toBe('folio://localhost/page/1/2?w=1');
    expect(pageImageUrl(1, 2, NaN, false)).toBe('folio://localhost/page/1/2?w=1');
  });

  it('rejects invalid ids and indices', () => {
    expect(() => pageImageUrl(-1, 0, 100, false)).toThrow(RangeError);
    expect(() => pageImageUrl(1, -1, 100, false)).toThrow(RangeError);
    expect(() => pageImageUrl(1, 0.5, 100, false)).toThrow(RangeError);
  });

  it('thumbnails request 160 px', () => {
    expect(THUMBNAIL_PIXEL_WIDTH).toBe(160);
    expect(thumbnailUrl(5, 1, false)).toBe('folio://localhost/page/5/1?w=160');
    expect(thumbnailUrl(5, 1, true)).toBe('http://folio.localhost/page/5/1?w=160');
  });
});
