import { describe, expect, it } from 'vitest';
import { bytesToMB, errorMessage, formatKind, formatMB, formatPageCount, formatRelativeSeconds } from './format';

describe('formatting', () => {
  it('converts bytes to MiB-based MB', () => {
    expect(bytesToMB(1024 * 1024)).toBe(1);
    expect(bytesToMB(0)).toBe(0);
    expect(formatMB(1.5 * 1024 * 1024)).toBe('1.5 MB');
    expect(formatMB(0)).toBe('0.0 MB');
    expect(formatMB(2048 * 1024 * 1024)).toBe('2048 MB');
    expect(formatMB(-1)).toBe('–');
    expect(formatMB(NaN)).toBe('–');
  });

  it('pluralises page counts', () => {
    expect(formatPageCount(1)).toBe('1 page');
    expect(formatPageCount(3)).toBe('3 pages');
    expect(formatPageCount(0)).toBe('0 pages');
  });

  it('labels kinds', () => {
    expect(formatKind('pdf')).toBe('PDF');
    expect(formatKind('image')).toBe('Image');
    expect(formatKind('image_folder')).toBe('Image folder');
  });

  it('formats relative seconds', () => {
    expect(formatRelativeSeconds(0)).toBe('now');
    expect(formatRelativeSeconds(-90)).toBe('-1:30');
    expect(formatRelativeSeconds(-600)).toBe('-10:00');
    expect(formatRelativeSeconds(-5.4)).toBe('-0:05');
  });

  it('extracts error messages', () => {
    expect(errorMessage('boom')).toBe('boom');
    expect(errorMessage(new Error('bad'))).toBe('bad');
    expect(errorMessage({ message: 'obj' })).toBe('obj');
    expect(errorMessage({ code: 1 })).toBe('{"code":1}');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
