import { describe, expect, it } from 'vitest';
import { contrast, MIN_TEXT_CONTRAST, parseRgb, readableOn } from './contrast.ts';

describe('readable colours', () => {
  it('reads hex and rgb() colours and measures WCAG contrast', () => {
    expect(parseRgb('#fff')).toEqual([255, 255, 255]);
    expect(parseRgb('#22344dff')).toEqual([0x22, 0x34, 0x4d]);
    expect(parseRgb('rgb(10, 20, 30)')).toEqual([10, 20, 30]);
    expect(parseRgb('rgba(10 20 30 / 50%)')).toEqual([10, 20, 30]);
    expect(parseRgb('oklch(0.7 0.1 200)')).toBeUndefined();
    expect(contrast([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 5);
    expect(contrast([0x77, 0x77, 0x77], [255, 255, 255])).toBeCloseTo(4.48, 2);
  });

  it('keeps a host text colour that is readable, and replaces one that is not', () => {
    const lightBubble = parseRgb('#e7f0fb') as [number, number, number];
    // the dark theme's near-white text on a light bubble the host set: 1.1:1, replaced by near-black
    const nearWhite = parseRgb('#e6e8eb');
    const chosen = readableOn(lightBubble, nearWhite, MIN_TEXT_CONTRAST);
    expect(contrast(chosen, lightBubble)).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
    expect(chosen).not.toEqual(nearWhite);
    const darkBubble = parseRgb('#0b3d91') as [number, number, number];
    expect(contrast(readableOn(darkBubble, parseRgb('#1f2328'), 4.5), darkBubble)).toBeGreaterThanOrEqual(
      4.5,
    );
    const kept = parseRgb('#123456');
    expect(readableOn(lightBubble, kept, MIN_TEXT_CONTRAST)).toBe(kept);
  });
});
