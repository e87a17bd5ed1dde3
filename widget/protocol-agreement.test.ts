// The widget declares the WebSocket messages by hand (widget/types.ts) so that its bundle carries no zod; the server's
// zod schemas (server/ws/protocol.ts) are the definition. These checks fail, at typecheck and at run time, when the
// two drift apart: every frame the server may send is one the widget reads, and every frame the widget sends is one
// the server accepts.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import * as server from '../server/ws/protocol.ts';
import { type ClientMessage, parseServerEvent, type ServerEvent } from './types.ts';

describe('the widget’s message types agree with the server’s protocol', () => {
  it('names the same server events', () => {
    expectTypeOf<ServerEvent['type']>().toEqualTypeOf<server.ServerEvent['type']>();
    for (const option of server.ServerEvent.options) {
      const type = option.shape.type.value;
      expect(parseServerEvent(JSON.stringify({ type })), type).toEqual({ type });
    }
    expect(parseServerEvent(JSON.stringify({ type: 'response.unknown' }))).toBeUndefined();
  });

  it('reads every frame the server may send, and sends only frames the server accepts', () => {
    expectTypeOf<server.ServerEvent>().toExtend<ServerEvent>();
    expectTypeOf<ClientMessage>().toExtend<z.input<typeof server.ClientMessage>>();
    expectTypeOf<ClientMessage['type']>().toEqualTypeOf<server.ClientMessage['type']>();
  });
});
