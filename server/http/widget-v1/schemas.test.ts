import { describe, expect, it } from 'vitest';
import {
  FeedbackBody,
  ListConversationsQuery,
  SendMessageBody,
  widgetV1Paths,
  widgetV1SecuritySchemes,
} from './schemas.ts';

describe('widgetV1Paths', () => {
  it('describes every widget route with JSON Schemas built from the zod schemas', () => {
    expect(Object.keys(widgetV1Paths).sort()).toEqual([
      '/widget/v1/config',
      '/widget/v1/conversations',
      '/widget/v1/conversations/{id}',
      '/widget/v1/conversations/{id}/messages',
      '/widget/v1/conversations/{id}/responses/{responseId}/export.csv',
      '/widget/v1/conversations/{id}/responses/{responseId}/feedback',
      '/widget/v1/origin',
      '/widget/v1/ws',
    ]);
    const text = JSON.stringify(widgetV1Paths);
    expect(text).not.toContain('"$schema"');
    const feedback = widgetV1Paths['/widget/v1/conversations/{id}/responses/{responseId}/feedback'] as {
      post: { requestBody: { content: { 'application/json': { schema: Record<string, unknown> } } } };
    };
    expect(feedback.post.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['rating'],
      properties: { comment: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }] } },
    });
  });

  it('names only the documented security scheme', () => {
    const names = new Set<string>();
    for (const item of Object.values(widgetV1Paths)) {
      for (const op of Object.values(item)) {
        for (const s of (op as { security?: Array<Record<string, unknown>> }).security ?? []) {
          for (const name of Object.keys(s)) names.add(name);
        }
      }
    }
    expect([...names]).toEqual(Object.keys(widgetV1SecuritySchemes));
  });
});

describe('request schemas', () => {
  it('validate feedback, messages and list queries', () => {
    expect(FeedbackBody.safeParse({ rating: 'positive' }).success).toBe(true);
    expect(FeedbackBody.safeParse({ rating: null, comment: 'meh' }).success).toBe(true);
    expect(FeedbackBody.safeParse({ comment: 'no rating' }).success).toBe(false);
    expect(FeedbackBody.safeParse({ rating: 'positive', comment: 'x'.repeat(2001) }).success).toBe(false);
    expect(SendMessageBody.safeParse({ text: '  ' }).success).toBe(false);
    expect(SendMessageBody.parse({ text: ' hi ' })).toEqual({ text: 'hi' });
    expect(ListConversationsQuery.parse({ limit: '5' })).toEqual({ limit: 5 });
    expect(ListConversationsQuery.safeParse({ limit: '101' }).success).toBe(false);
    expect(ListConversationsQuery.safeParse({ limit: ['1', '2'] }).success).toBe(false);
  });
});
