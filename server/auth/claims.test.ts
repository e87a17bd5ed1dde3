import { describe, expect, it } from 'vitest';
import type { UserContextType } from '../config/schema.ts';
import {
  type AgentLookup,
  AuthError,
  checkClaimMapping,
  checkPermissions,
  hasPermission,
  PERMISSION_DATASETS_CONTEXT_WRITE,
  sessionFromClaims,
  USER_IDENTIFIER,
} from './claims.ts';

const AGENTS: Record<string, { userContext: Record<string, UserContextType> }> = {
  demo: { userContext: { organisationId: 'integer' } },
  open: { userContext: {} },
  hr: { userContext: { organisationId: 'integer', regions: 'string[]', isAdmin: 'boolean' } },
};
const agents: AgentLookup = (id) => (Object.hasOwn(AGENTS, id) ? AGENTS[id] : undefined);

function refused(fn: () => unknown, why: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AuthError);
  expect((caught as AuthError).status).toBe(401);
  expect((caught as AuthError).message).toMatch(why);
}

describe('USER_IDENTIFIER', () => {
  it("allows 1-256 printable characters: identity providers' ids, emails, any script", () => {
    const ids = [
      'a',
      'alice@example.com',
      'u_1-2.3',
      'auth0|abc123',
      'google-oauth2:1234',
      'a b',
      'é',
      '用户7',
    ];
    for (const ok of [...ids, 'A'.repeat(256), '😀'.repeat(256)]) expect(USER_IDENTIFIER.test(ok)).toBe(true);
  });

  it('refuses empty, over-long, control and bidi-override characters', () => {
    const bidi = ['\u202E', '\u202A', '\u2066', '\u2069', '\u200F', '\u061C'];
    for (const bad of [
      '',
      'A'.repeat(257),
      'a\n',
      'a\u0000',
      'a\u007f',
      'a\u2028',
      ...bidi.map((c) => `adm${c}in`),
    ])
      expect(USER_IDENTIFIER.test(bad), JSON.stringify(bad)).toBe(false);
  });
});

describe('sessionFromClaims with the default mapping', () => {
  it('reads sub, agentId, userContext and permissions', () => {
    const session = sessionFromClaims(
      { sub: 'u1', agentId: 'demo', userContext: { organisationId: 5 }, permissions: ['a:b', 'a:b'] },
      undefined,
      agents,
    );
    expect(session).toEqual({
      userIdentifier: 'u1',
      agentId: 'demo',
      userContext: { organisationId: 5 },
      permissions: ['a:b'],
    });
    expect(Object.isFrozen(session.userContext)).toBe(true);
  });

  it('allows an absent userContext for an agent that declares no field', () => {
    expect(sessionFromClaims({ sub: 'u1', agentId: 'open' }, undefined, agents).userContext).toEqual({});
  });

  it('checks every declared field by type', () => {
    const ok = { organisationId: 1, regions: ['n'], isAdmin: true };
    expect(
      sessionFromClaims({ sub: 'u', agentId: 'hr', userContext: ok }, undefined, agents).userContext,
    ).toEqual(ok);
    for (const bad of [
      { ...ok, regions: 'n' },
      { ...ok, regions: [1] },
      { ...ok, isAdmin: 'true' },
      { ...ok, isAdmin: 1 },
      { organisationId: 1, regions: ['n'] },
    ]) {
      refused(
        () => sessionFromClaims({ sub: 'u', agentId: 'hr', userContext: bad }, undefined, agents),
        /userContext/,
      );
    }
  });

  it('makes a hostile field name safe before it reaches a message', () => {
    let caught: unknown;
    try {
      sessionFromClaims(
        {
          sub: 'u',
          agentId: 'demo',
          userContext: { organisationId: 1, '<script>\n"x"': 1, ['y'.repeat(500)]: 2 },
        },
        undefined,
        agents,
      );
    } catch (err) {
      caught = err;
    }
    const message = (caught as Error).message;
    expect(message).not.toMatch(/[<>"\n]/);
    expect(message.length).toBeLessThan(200);
  });

  it('does not use the agent lookup for a malformed agent id', () => {
    const seen: string[] = [];
    const lookup: AgentLookup = (id) => {
      seen.push(id);
      return undefined;
    };
    refused(() => sessionFromClaims({ sub: 'u', agentId: '../x' }, undefined, lookup), /malformed/);
    refused(() => sessionFromClaims({ sub: 'u', agentId: 'x'.repeat(65) }, undefined, lookup), /malformed/);
    refused(() => sessionFromClaims({ sub: 'u', agentId: 'ghost' }, undefined, lookup), /unknown agent/);
    expect(seen).toEqual(['ghost']);
  });
});

describe('sessionFromClaims with a host mapping', () => {
  it('maps per-field claims, nested paths and namespaced claim names, with a default agent', () => {
    const mapping = {
      userIdentifier: 'email',
      userContext: {
        organisationId: ['https://host.example/claims', 'org'],
        isAdmin: 'https://host.example/admin',
      },
      agentId: 'agent',
      defaultAgentId: 'hr',
      permissions: ['app', 'perms'],
    };
    const payload = {
      sub: 'auth0|1',
      email: 'a@host.example',
      'https://host.example/claims': { org: 12 },
      'https://host.example/admin': false,
      regions: ['n'],
      app: { perms: [PERMISSION_DATASETS_CONTEXT_WRITE] },
    };
    // regions is not mapped: the hr agent's declared field is missing
    refused(() => sessionFromClaims(payload, mapping, agents), /regions is required/);
    const withRegions = { ...mapping, userContext: { ...mapping.userContext, regions: 'regions' } };
    const session = sessionFromClaims(payload, withRegions, agents);
    expect(session).toEqual({
      userIdentifier: 'a@host.example',
      agentId: 'hr',
      userContext: { organisationId: 12, isAdmin: false, regions: ['n'] },
      permissions: [PERMISSION_DATASETS_CONTEXT_WRITE],
    });
    expect(hasPermission(session, PERMISSION_DATASETS_CONTEXT_WRITE)).toBe(true);
    expect(hasPermission(session, 'datasets:write')).toBe(false);
  });

  it('prefers the token agent over the default, and refuses an unknown one', () => {
    const mapping = { userContext: { organisationId: 'org_id' }, defaultAgentId: 'demo' };
    expect(sessionFromClaims({ sub: 'u', org_id: 1 }, mapping, agents).agentId).toBe('demo');
    refused(
      () => sessionFromClaims({ sub: 'u', org_id: 1, agentId: 'nope' }, mapping, agents),
      /unknown agent/,
    );
  });

  it('does not walk into inherited properties', () => {
    const mapping = { userContext: { organisationId: ['a', 'constructor'] } };
    refused(
      () => sessionFromClaims({ sub: 'u', agentId: 'demo', a: {} }, mapping, agents),
      /organisationId is required/,
    );
  });

  it('refuses a mapping of an undeclared field', () => {
    const mapping = { userContext: { organisationId: 'org_id', tenant: 'tenant' } };
    refused(
      () => sessionFromClaims({ sub: 'u', agentId: 'demo', org_id: 1, tenant: 2 }, mapping, agents),
      /not a declared/,
    );
  });
});

describe('checkClaimMapping', () => {
  it('accepts good mappings and refuses bad ones with the entry named', () => {
    expect(() => checkClaimMapping(undefined)).not.toThrow();
    expect(() =>
      checkClaimMapping({ userIdentifier: 'sub', userContext: { o: ['a', 'b'] }, agentId: 'x' }),
    ).not.toThrow();
    expect(() => checkClaimMapping({ userIdentifier: '' })).toThrow(/claims.userIdentifier/);
    expect(() => checkClaimMapping({ agentId: [] })).toThrow(/claims.agentId/);
    expect(() => checkClaimMapping({ userContext: { o: 3 } as never })).toThrow(/claims.userContext.o/);
    expect(() => checkClaimMapping({ userContext: null as never })).toThrow(/claims.userContext/);
    expect(() => checkClaimMapping({ defaultAgentId: 'bad id' })).toThrow(/defaultAgentId/);
  });
});

describe('checkPermissions', () => {
  it('allows absent, null and up to 50 names; refuses anything else', () => {
    expect(checkPermissions(undefined)).toEqual([]);
    expect(checkPermissions(null)).toEqual([]);
    expect(checkPermissions(['datasets:context:write'])).toEqual(['datasets:context:write']);
    for (const bad of [
      'x',
      {},
      [1],
      [''],
      ['a b'],
      ['x'.repeat(129)],
      Array.from({ length: 51 }, (_, i) => `p${i}`),
    ]) {
      expect(() => checkPermissions(bad)).toThrow(AuthError);
    }
  });
});
