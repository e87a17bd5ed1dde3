// The demo host app's users and which Parley agents each may use. In a real product these come from the host's own
// user database; here they are fixed personas of the demo organisations (ids as in the seeded demo data). They need
// not exist in the demo data's users table: Parley only sees the userIdentifier and the userContext the host signs.

export const CONTEXT_WRITE = 'datasets:context:write';

export interface Persona {
  /** the login id (also the cookie's subject) */
  id: string;
  name: string;
  role: string;
  /** shown on the login page */
  note?: string;
  organisationId: number;
  organisationName: string;
  /** the session token's `sub` */
  userIdentifier: string;
  /** token permissions, e.g. the organisation admin may share files with the whole organisation */
  permissions: readonly string[];
  /** countries covered by a support agent (the globex-support agent scopes accounts by them) */
  countries?: readonly string[];
}

export const PERSONAS: readonly Persona[] = [
  {
    id: 'alice',
    name: 'Alice Martin',
    role: 'Sales analyst',
    organisationId: 1,
    organisationName: 'Acme Corp',
    userIdentifier: 'alice@acme-corp.example',
    permissions: [],
  },
  {
    id: 'ada',
    name: 'Ada Okafor',
    role: 'Organisation admin',
    note: 'May share data files with all of Acme Corp',
    organisationId: 1,
    organisationName: 'Acme Corp',
    userIdentifier: 'ada@acme-corp.example',
    permissions: [CONTEXT_WRITE],
  },
  {
    id: 'bob',
    name: 'Bob Fischer',
    role: 'Support lead, Europe desk',
    organisationId: 2,
    organisationName: 'Globex',
    userIdentifier: 'bob@globex.example',
    permissions: [],
    countries: ['Germany', 'France', 'Netherlands', 'United Kingdom', 'Spain', 'Italy'],
  },
  {
    id: 'ivy',
    name: 'Ivy Chen',
    role: 'Operations manager',
    organisationId: 3,
    organisationName: 'Initech',
    userIdentifier: 'ivy@initech.example',
    permissions: [],
  },
];

export function personaById(id: string): Persona | undefined {
  return PERSONAS.find((p) => p.id === id);
}

export type ConnectionPattern = 'shared' | 'linked' | 'dedicated';

/** A Parley agent of the demo config, which personas may use it and the userContext the host signs for them. */
export interface DemoAgent {
  id: string;
  name: string;
  pattern: ConnectionPattern;
  /** the organisations whose users may use it; undefined = every organisation */
  organisations?: readonly number[];
  userContext(persona: Persona): Record<string, unknown>;
}

export const DEMO_AGENTS: readonly DemoAgent[] = [
  {
    id: 'demo',
    name: 'Demo shop analytics',
    pattern: 'shared',
    userContext: (p) => ({ organisationId: p.organisationId }),
  },
  {
    id: 'acme-sales',
    name: 'Acme sales assistant',
    pattern: 'linked',
    organisations: [1],
    userContext: (p) => ({ organisationId: p.organisationId }),
  },
  {
    id: 'globex-support',
    name: 'Globex support desk',
    pattern: 'linked',
    organisations: [2],
    userContext: (p) => ({ organisationId: p.organisationId, countries: [...(p.countries ?? [])] }),
  },
  {
    id: 'initech',
    name: 'Initech analytics (dedicated database)',
    pattern: 'dedicated',
    organisations: [3],
    // the database holds Initech's data only: nothing to scope by
    userContext: () => ({}),
  },
];

export function demoAgent(id: string): DemoAgent | undefined {
  return DEMO_AGENTS.find((a) => a.id === id);
}

export function mayUseAgent(persona: Persona, agent: DemoAgent): boolean {
  return agent.organisations === undefined || agent.organisations.includes(persona.organisationId);
}

/** The personas who may use an agent, for "log in as ..." hints. */
export function personasFor(agent: DemoAgent): Persona[] {
  return PERSONAS.filter((p) => mayUseAgent(p, agent));
}
