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

/** The zoom scales Ctrl+wheel moves between (of 100%). */
export const MIN_SCALE = 0.25;
export const MAX_SCALE = 4;

/** The scale one Ctrl+wheel step gives from `scale` (in for a negative `deltaY`). */
export function wheelScale(scale: number, deltaY: number): number {
  const base = Number.isFinite(scale) && scale > 0 ? scale : 1;
  const next = deltaY < 0 ? base * 1.1 : deltaY > 0 ? base / 1.1 : base;
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, Math.round(next * 1000) / 1000));
}

/** The page's shape: height over width (A4-like when unknown). */
function aspectOf(widthPt: number, heightPt: number | undefined): number {
  return widthPt > 0 && heightPt && heightPt > 0 ? heightPt / widthPt : 1.414;
}

/**
 * CSS width to display the page at: fit width (the container's width), fit page (the whole page in the
 * container), 100% (96/72 CSS px per point), or a scale of 100%.
 */
export function displayCssWidth(
  mode: 'fit' | 'page' | 'actual' | number,
  containerWidthCss: number,
  widthPt: number,
  containerHeightCss = 0,
  heightPt?: number,
): number {
  if (mode === 'fit') return Math.max(1, containerWidthCss);
  if (mode === 'page') {
    const byHeight = containerHeightCss > 0 ? containerHeightCss / aspectOf(widthPt, heightPt) : Infinity;
    return Math.max(1, Math.min(containerWidthCss, byHeight));
  }
  if (mode === 'actual') return actualSizeCssWidth(widthPt);
  return Math.max(1, actualSizeCssWidth(widthPt) * Math.min(MAX_SCALE, Math.max(MIN_SCALE, mode)));
}

/** Pixel width to request for a zoom mode: the displayed width in device pixels (fit width: rounded up). */
export function requestPixelWidth(
  mode: 'fit' | 'page' | 'actual' | number,
  containerWidthCss: number,
  widthPt: number,
  dpr: number,
  containerHeightCss = 0,
  heightPt?: number,
): number {
  if (mode === 'fit') return fitWidthPixels(containerWidthCss, dpr);
  if (mode === 'actual') return actualSizePixels(widthPt, dpr);
  const css = displayCssWidth(mode, containerWidthCss, widthPt, containerHeightCss, heightPt);
  return Math.min(MAX_PIXEL_WIDTH, roundUpTo(css * safeDpr(dpr), WIDTH_STEP));
}

/** "Fit width", "Fit page", "100%" or "150%". */
export function zoomLabel(mode: 'fit' | 'page' | 'actual' | number): string {
  if (mode === 'fit') return 'Fit width';
  if (mode === 'page') return 'Fit page';
  if (mode === 'actual') return '100%';
  return `${Math.round(mode * 100)}%`;
}
