/** Width (in device pixels) requested for thumbnails. */
export const THUMBNAIL_PIXEL_WIDTH = 160;

/** True when the user agent is a Windows WebView2 (custom protocols are served over http://<scheme>.localhost there). */
export function isWindowsUserAgent(userAgent: string): boolean {
  return userAgent.includes('Windows');
}

/** Origin of the `folio` custom protocol for the current platform. */
export function folioOrigin(windows: boolean): string {
  return windows ? 'http://folio.localhost' : 'folio://localhost';
}

/**
 * URL of a rendered page image.
 * `pageIndex` is 0-based; `pixelWidth` is rounded to a positive integer.
 */
export function pageImageUrl(docId: number, pageIndex: number, pixelWidth: number, windows: boolean): string {
  if (!Number.isInteger(docId) || docId < 0) throw new RangeError(`invalid document id: ${docId}`);
  if (!Number.isInteger(pageIndex) || pageIndex < 0) throw new RangeError(`invalid page index: ${pageIndex}`);
  const w = Math.max(1, Math.round(Number.isFinite(pixelWidth) ? pixelWidth : 1));
  return `${folioOrigin(windows)}/page/${docId}/${pageIndex}?w=${w}`;
}

export function thumbnailUrl(docId: number, pageIndex: number, windows: boolean): string {
  return pageImageUrl(docId, pageIndex, THUMBNAIL_PIXEL_WIDTH, windows);
}

/** Platform detection for the running webview (safe outside a browser). */
export function runningOnWindows(): boolean {
  return typeof navigator !== 'undefined' && isWindowsUserAgent(navigator.userAgent);
}
