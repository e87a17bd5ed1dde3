// The native checks of clean text (isUtf8, a control character in the decoded text) agree with the byte loops
// that find where a problem is; the refusals themselves are tested with the parser (parse.test.ts).
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkContent, firstBinaryControl, firstInvalidUtf8 } from './sniff.ts';

describe('checkContent', () => {
  it('isUtf8 agrees with firstInvalidUtf8 on any bytes', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.string({ unit: 'binary', maxLength: 12 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        expect(isUtf8(b)).toBe(firstInvalidUtf8(b) === -1);
      }),
      { numRuns: 5000 },
    );
  });

  it('takes text as text and refuses control bytes wherever they are, with or without a byte order mark', async () => {
    await expect(checkContent(Buffer.from('a,b\n1,2\n'), 'csv')).resolves.toBe('a,b\n1,2\n');
    await expect(checkContent(Buffer.from('\uFEFFa,b\n1,é\t2\r\n'), 'csv')).resolves.toBe('a,b\n1,é\t2\r\n');
    for (const control of [0x00, 0x08, 0x0e, 0x19, 0x1b, 0x1f]) {
      const bytes = Buffer.from(`a,b\n1,2${String.fromCharCode(control)}\n`);
      expect(firstBinaryControl(bytes)).toBeGreaterThan(0);
      await expect(checkContent(bytes, 'csv')).rejects.toMatchObject({ status: 415 });
    }
    // vertical tab, form feed and SUB are text
    await expect(checkContent(Buffer.from('a\u000b\u000c\u001a\n'), 'csv')).resolves.toBeTypeOf('string');
  });
});
