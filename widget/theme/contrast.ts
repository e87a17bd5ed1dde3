// Colours that stay readable whatever the host sets: the user bubble's text is derived from the bubble's background
// (`--parley-color-user-bg`), the text on accent buttons from the accent (`--parley-color-accent`), accent-coloured
// text (links) and the focus ring from the panel's background, so that a host that sets only a background or a
// brand colour (as documented) still gets WCAG AA text (4.5:1) and a visible focus ring (3:1), in light and dark.
// A host colour that already meets the ratio is kept; otherwise the better of near-black and white is used.

export type Rgb = [number, number, number];

export const MIN_TEXT_CONTRAST = 4.5;
export const MIN_FOCUS_CONTRAST = 3;
const DARK: Rgb = [0x1f, 0x23, 0x28];
const LIGHT: Rgb = [0xff, 0xff, 0xff];

/** "#abc", "#aabbcc", "rgb(1, 2, 3)", "rgba(1 2 3 / 0.5)" -> [r, g, b]; other forms -> undefined. */
export function parseRgb(value: string): Rgb | undefined {
  const v = value.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/.exec(v);
  if (hex?.[1]) {
    const h = hex[1].length === 3 ? [...hex[1]].map((c) => c + c).join('') : hex[1];
    return [0, 2, 4].map((i) => Number.parseInt(h.slice(i, i + 2), 16)) as Rgb;
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(v);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  return undefined;
}

/** Any CSS colour as sRGB: parsed when it is hex or rgb(), else painted on a 1x1 canvas and read back. */
export function resolveColor(value: string): Rgb | undefined {
  const parsed = parseRgb(value);
  if (parsed || typeof document === 'undefined') return parsed;
  try {
    const canvas = document.createElement('canvas');
    canvas.width = 1;
    canvas.height = 1;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return undefined;
    ctx.fillStyle = '#000';
    ctx.fillStyle = value;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
    return [r ?? 0, g ?? 0, b ?? 0];
  } catch {
    return undefined;
  }
}

function channel(c: number): number {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** WCAG 2 relative luminance. */
export function luminance([r, g, b]: Rgb): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** WCAG 2 contrast ratio, 1 to 21. */
export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

function css([r, g, b]: Rgb): string {
  return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
}

/** `preferred` when it reaches `min` against `background`, else whichever of near-black and white contrasts more. */
export function readableOn(background: Rgb, preferred: Rgb | undefined, min: number): Rgb {
  if (preferred && contrast(preferred, background) >= min) return preferred;
  return contrast(DARK, background) >= contrast(LIGHT, background) ? DARK : LIGHT;
}

/**
 * Sets `--parley-user-text-derived`, `--parley-on-accent-derived`, `--parley-accent-text-derived` and
 * `--parley-focus-derived` on the element from its computed theme variables; the styles use them before the plain
 * variables. Returns false when the colours cannot be read (no CSSOM).
 */
export function deriveReadableColors(el: HTMLElement): boolean {
  if (typeof getComputedStyle !== 'function') return false;
  const style = getComputedStyle(el);
  const read = (name: string): Rgb | undefined => {
    const value = style.getPropertyValue(name).trim();
    return value ? resolveColor(value) : undefined;
  };
  // written only when it changes: the style observer (watchTheme) then sees its own write once and stops
  const set = (name: string, colour: Rgb) => {
    const value = css(colour);
    if (el.style.getPropertyValue(name) !== value) el.style.setProperty(name, value);
  };
  const userBg = read('--parley-color-user-bg');
  const panelBg = read('--parley-color-bg');
  const accent = read('--parley-color-accent');
  if (accent) {
    const text = readableOn(accent, read('--parley-color-on-accent'), MIN_TEXT_CONTRAST);
    set('--parley-on-accent-derived', text);
  }
  if (accent && panelBg) {
    // a brand colour too dark for a dark panel (or too light for a light one) is not used for text there
    set('--parley-accent-text-derived', readableOn(panelBg, accent, MIN_TEXT_CONTRAST));
  }
  if (userBg) {
    const text = readableOn(userBg, read('--parley-color-user-text'), MIN_TEXT_CONTRAST);
    set('--parley-user-text-derived', text);
  }
  if (panelBg) {
    const focus = readableOn(panelBg, read('--parley-color-focus'), MIN_FOCUS_CONTRAST);
    set('--parley-focus-derived', focus);
  }
  return userBg !== undefined || panelBg !== undefined;
}

/**
 * Derives the colours again whenever the element's theme, class or style attribute changes (a host setting a
 * `--parley-color-*` variable inline); returns the stop function.
 */
export function watchTheme(el: HTMLElement): () => void {
  if (typeof MutationObserver === 'undefined') return () => {};
  // deriving writes the element's style only when a colour changes, so its own write wakes this once, no more
  const observer = new MutationObserver(() => deriveReadableColors(el));
  observer.observe(el, { attributes: true, attributeFilter: ['theme', 'class', 'style'] });
  return () => observer.disconnect();
}
