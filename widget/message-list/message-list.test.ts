import { describe, expect, it } from 'vitest';
import { withoutEllipsis } from './message-list.ts';

describe('progress text', () => {
  it('drops a trailing ellipsis where animated dots follow (no "Sending……")', () => {
    expect(withoutEllipsis('Sending…')).toBe('Sending');
    expect(withoutEllipsis('Planning the query...')).toBe('Planning the query');
    expect(withoutEllipsis('Querying')).toBe('Querying');
  });
});
