// The demo host app without a browser: login cookie, the token route and what it signs, page guards, the strict CSP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionVerifier } from '../server/auth/session-token.ts';
import { escapeHtml, html, raw } from '../server/http/html.ts';
import { strictCsp } from './pages.ts';
import { DEMO_AGENTS, PERSONAS } from './personas.ts';
import { type DemoHost, startDemoHost } from './server.ts';
import { createCookieSigner, readCookie, SESSION_COOKIE } from './session.ts';

const SECRET = 'demo-host-test-secret-0123456789-abcdef';
const PARLEY = 'http://127.0.0.1:3210';

const verifier = createSessionVerifier({ hs256Secret: SECRET }, (id) => {
  const agent = DEMO_AGENTS.find((a) => a.id === id);
  if (!agent) return undefined;
  const userContext: Record<string, 'integer' | 'string[]'> =
    id === 'initech'
      ? {}
      : id === 'globex-support'
        ? { organisationId: 'integer', countries: 'string[]' }
        : { organisationId: 'integer' };
  return { userContext };
});

let host: DemoHost;

beforeAll(async () => {
  host = await startDemoHost({ parleyUrl: PARLEY, port: 0, secret: SECRET });
});
afterAll(async () => {
  await host?.close();
});

async function login(persona: string): Promise<string> {
  const res = await fetch(`${host.url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ persona }),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const value = readCookie(setCookie.split(';')[0], SESSION_COOKIE);
  if (!value) throw new Error(`no session cookie in ${setCookie}`);
  return `${SESSION_COOKIE}=${value}`;
}

async function tokenFor(cookie: string, agent?: string) {
  const res = await fetch(`${host.url}/parley/token${agent ? `?agent=${agent}` : ''}`, {
    headers: { cookie, 'sec-fetch-site': 'same-origin' },
  });
  return { status: res.status, body: (await res.json()) as { token?: string; error?: { code: string } } };
}

describe('login', () => {
  it('lists every persona with their organisation', async () => {
    const page = await (await fetch(`${host.url}/login`)).text();
    for (const p of PERSONAS) {
      expect(page).toContain(p.name);
      expect(page).toContain(p.organisationName);
    }
    expect(page).not.toMatch(/<script(?![^>]*src=)/);
  });

  it('sets an HttpOnly, SameSite=Lax cookie and redirects to the app', async () => {
    const res = await fetch(`${host.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ persona: 'alice', next: '/app/csp' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/app/csp');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=alice\\.\\d+\\.[A-Za-z0-9_-]{43};`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
  });

  it('refuses unknown personas, foreign redirects and cross-site posts', async () => {
    const unknown = await fetch(`${host.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ persona: 'mallory' }),
      redirect: 'manual',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('set-cookie')).toBeNull();

    const offsite = await fetch(`${host.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ persona: 'alice', next: 'https://evil.example/' }),
      redirect: 'manual',
    });
    expect(offsite.headers.get('location')).toBe('/app');

    const crossSite = await fetch(`${host.url}/login`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: new URLSearchParams({ persona: 'alice' }),
      redirect: 'manual',
    });
    expect(crossSite.status).toBe(403);
  });

  it('guards the app pages and logs out', async () => {
    const anonymous = await fetch(`${host.url}/app/patterns`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Fapp%2Fpatterns');

    const cookie = await login('bob');
    const page = await fetch(`${host.url}/app`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain('Bob Fischer');
    expect(body).toContain(`<script type="module" src="${PARLEY}/widget/parley-widget.js"></script>`);
    expect(body).toMatch(/<parley-chat[^>]*agent="demo"[^>]*token-endpoint="\/parley\/token"/);

    const out = await fetch(`${host.url}/logout`, {
      method: 'POST',
      headers: { cookie },
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });

  it('ignores forged and tampered cookies', async () => {
    const cookie = await login('alice');
    const tampered = cookie.replace('alice.', 'ada.');
    const forged = `${SESSION_COOKIE}=${createCookieSigner().sign('ada')}`;
    for (const c of [tampered, forged, `${SESSION_COOKIE}=ada`]) {
      expect((await tokenFor(c)).status).toBe(401);
      expect((await fetch(`${host.url}/app`, { headers: { cookie: c }, redirect: 'manual' })).status).toBe(
        303,
      );
    }
  });
});

describe('/parley/token', () => {
  it('needs the login cookie', async () => {
    const res = await tokenFor('');
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('not_logged_in');
  });

  it('signs the persona, its organisation and the page agent for ten minutes', async () => {
    const res = await tokenFor(await login('alice'), 'demo');
    expect(res.status).toBe(200);
    const session = await verifier.verify(res.body.token ?? '');
    expect(session).toMatchObject({
      userIdentifier: 'alice@acme-corp.example',
      agentId: 'demo',
      userContext: { organisationId: 1 },
      permissions: [],
    });
    const ttl = (session.expiresAt.getTime() - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('gives the organisation admin the permission to share files with the organisation', async () => {
    const res = await tokenFor(await login('ada'));
    const session = await verifier.verify(res.body.token ?? '');
    expect(session.permissions).toEqual(['datasets:context:write']);
    expect(session.userContext).toEqual({ organisationId: 1 });
  });

  it('signs each customer agent with its own userContext, and only for that customer', async () => {
    const bob = await login('bob');
    const support = await verifier.verify((await tokenFor(bob, 'globex-support')).body.token ?? '');
    expect(support.userContext).toEqual({
      organisationId: 2,
      countries: ['Germany', 'France', 'Netherlands', 'United Kingdom', 'Spain', 'Italy'],
    });
    const ivy = await login('ivy');
    const dedicated = await verifier.verify((await tokenFor(ivy, 'initech')).body.token ?? '');
    expect(dedicated).toMatchObject({ agentId: 'initech', userContext: {} });

    expect((await tokenFor(bob, 'acme-sales')).status).toBe(403);
    expect((await tokenFor(bob, 'initech')).status).toBe(403);
    expect((await tokenFor(ivy, 'globex-support')).status).toBe(403);
    expect((await tokenFor(ivy, 'nope')).status).toBe(404);
  });

  it('answers same-origin requests only, never cached', async () => {
    const cookie = await login('alice');
    const cross = await fetch(`${host.url}/parley/token`, {
      headers: { cookie, 'sec-fetch-site': 'cross-site' },
    });
    expect(cross.status).toBe(403);
    const ok = await fetch(`${host.url}/parley/token`, { headers: { cookie } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('access-control-allow-origin')).toBeNull();
    const post = await fetch(`${host.url}/parley/token`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ agent: 'acme-sales' }),
    });
    expect(post.status).toBe(200);
    const session = await verifier.verify(((await post.json()) as { token: string }).token);
    expect(session.agentId).toBe('acme-sales');
  });
});

describe('pages', () => {
  it('serves /app/csp with a strict policy: no inline or eval for scripts', async () => {
    const cookie = await login('alice');
    const res = await fetch(`${host.url}/app/csp`, { headers: { cookie } });
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(strictCsp(PARLEY));
    expect(csp).toContain(`script-src 'self' ${PARLEY};`);
    expect(csp).toContain(`connect-src 'self' ${PARLEY} ws://127.0.0.1:3210;`);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const body = await res.text();
    // nothing inline for the policy to block
    expect(body).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('shows each connection pattern, with the widget for the agents this user may use', async () => {
    const alice = await (
      await fetch(`${host.url}/app/patterns`, { headers: { cookie: await login('alice') } })
    ).text();
    expect(alice).toMatch(/<parley-chat[^>]*agent="demo"/);
    expect(alice).toMatch(/<parley-chat[^>]*agent="acme-sales"/);
    expect(alice).not.toMatch(/<parley-chat[^>]*agent="globex-support"/);
    expect(alice).not.toMatch(/<parley-chat[^>]*agent="initech"/);
    expect(alice).toContain('log in as Ivy Chen');
    const ivy = await (
      await fetch(`${host.url}/app/patterns`, { headers: { cookie: await login('ivy') } })
    ).text();
    expect(ivy).toMatch(/<parley-chat[^>]*agent="initech"/);
  });

  it('puts the floating page in launcher mode', async () => {
    const body = await (
      await fetch(`${host.url}/app/floating`, { headers: { cookie: await login('ivy') } })
    ).text();
    expect(body).toMatch(/<parley-chat[^>]*mode="launcher"/);
  });
});

describe('html', () => {
  it('escapes every interpolation but Html', () => {
    const name = `<img src=x onerror="alert('x')">`;
    expect(html`<p title=${name}>${name}</p>`.value).toBe(
      `<p title=${escapeHtml(name)}>&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;</p>`,
    );
    expect(html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe(
      '<ul><li>a</li><li>b</li></ul>',
    );
    expect(html`${raw('<b>')}${false}${null}${3}`.value).toBe('<b>3');
  });
});
