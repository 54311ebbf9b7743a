/** CSS px per PDF point. */
export const CSS_PX_PER_PT = 96 / 72;
/** Requested widths are rounded up to a multiple of this to improve cache hits. */
export const WIDTH_STEP = 64;
/** Upper bound for a requested page width in device pixels. */
export const MAX_PIXEL_WIDTH = 8192;

function safeDpr(dpr: number): number {
  return Number.isFinite(dpr) && dpr > 0 ? dpr : 1;
}

/** Round up to the next multiple of `step` (at least one step). */
export function roundUpTo(value: number, step: number): number {
  if (!Number.isFinite(value) || value <= 0) return step;
  return Math.ceil(value / step) * step;
}

/** Fit width: request containerWidth * dpr device pixels, rounded up to a multiple of 64. */
export function fitWidthPixels(containerWidthCss: number, dpr: number): number {
  return Math.min(MAX_PIXEL_WIDTH, roundUpTo(containerWidthCss * safeDpr(dpr), WIDTH_STEP));
}

/** 100%: CSS width at which a page of `widthPt` points is displayed. */
export function actualSizeCssWidth(widthPt: number): number {
  return widthPt * CSS_PX_PER_PT;
}

/** 100%: device pixels to request for a page of `widthPt` points. */
export function actualSizePixels(widthPt: number, dpr: number): number {
  const px = Math.ceil(actualSizeCssWidth(widthPt) * safeDpr(dpr) - 1e-9);
  return Math.min(MAX_PIXEL_WIDTH, Math.max(1, px));
}

/** Pixel width to request for a zoom mode. */
export function requestPixelWidth(
  mode: 'fit' | 'actual',
  containerWidthCss: number,
  widthPt: number,
  dpr: number,
): number {
  return mode === 'fit' ? fitWidthPixels(containerWidthCss, dpr) : actualSizePixels(widthPt, dpr);
}

/** CSS width to display the page at (fit: container width, 100%: 96/72 of points). */
export function displayCssWidth(mode: 'fit' | 'actual', containerWidthCss: number, widthPt: number): number {
  return mode === 'fit' ? Math.max(1, containerWidthCss) : actualSizeCssWidth(widthPt);
}
