import { describe, expect, it } from 'vitest';
import type { Answer } from '../../answers/answer.ts';
import { toResponseObject } from './inconvo.ts';
import { ResponseCreateResponse } from './schemas.ts';

describe('/api/v1 response objects', () => {
  it('carry the "Read as" chips with their alternatives and the unused words, valid under the published schema', () => {
    const answer: Answer = {
      id: 'r1',
      conversationId: 'c1',
      type: 'text',
      message: '210 users in October 2026.',
      readAs: [
        { kind: 'measure', text: 'Users' },
        {
          kind: 'period',
          text: 'Last month (October 2026)',
          alternatives: [
            { label: 'Dated by when the order was placed', question: 'users with orders last month' },
          ],
        },
      ],
      unusedWords: ['young'],
    };
    const object = toResponseObject(answer);
    expect(object.readAs).toEqual(answer.readAs);
    expect(object.unusedWords).toEqual(['young']);
    expect(ResponseCreateResponse.strict().parse(object)).toEqual(object);
    expect(toResponseObject({ ...answer, readAs: [], unusedWords: [] })).not.toHaveProperty('unusedWords');
  });
});
