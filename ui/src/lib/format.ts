const MB = 1024 * 1024;

export function bytesToMB(bytes: number): number {
  return bytes / MB;
}

/** "123.4 MB" (one decimal below 1000 MB, none above), "–" for invalid input. */
export function formatMB(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  const mb = bytesToMB(bytes);
  return mb >= 1000 ? `${Math.round(mb)} MB` : `${mb.toFixed(1)} MB`;
}

/** "1 page", "3 pages". */
export function formatPageCount(n: number): string {
  return n === 1 ? '1 page' : `${n} pages`;
}

/** Human label for a document kind. */
export function formatKind(kind: string): string {
  switch (kind) {
    case 'pdf':
      return 'PDF';
    case 'image':
      return 'Image';
    case 'image_folder':
      return 'Image folder';
    default:
      return kind;
  }
}

/** Relative time label for the graph axis: 0 → "now", -90 → "-1:30". */
export function formatRelativeSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s === 0) return 'now';
  const sign = s < 0 ? '-' : '+';
  const abs = Math.abs(s);
  const m = Math.floor(abs / 60);
  const r = abs % 60;
  return `${sign}${m}:${r.toString().padStart(2, '0')}`;
}

/** Turn anything thrown by invoke()/plugins (usually a string) into a message. */
export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err && typeof (err as { message: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
