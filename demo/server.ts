// The demo host app: a small SaaS-like site that embeds <parley-chat>. It has its own login (demo personas of the
// seeded organisations), mints Parley session tokens for the logged-in user on its own backend (/parley/token), and
// shows the widget inline, as a floating launcher, on a page per connection pattern and under a strict CSP.
//
//   const host = await startDemoHost({ parleyUrl: 'http://127.0.0.1:3210', port: 3000 });
//   host.url   // http://127.0.0.1:3000
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { mintSessionToken, sessionSecretKey } from '../server/auth/session-token.ts';
import { PACKAGE_ROOT } from '../server/package-root.ts';
import {
  APP_PATHS,
  cspPage,
  dashboardPage,
  floatingPage,
  loginPage,
  notFoundPage,
  type PageContext,
  patternsPage,
  strictCsp,
} from './pages.ts';
import { demoAgent, mayUseAgent, type Persona, personaById } from './personas.ts';
import {
  type CookieSigner,
  clearedSessionCookie,
  createCookieSigner,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
} from './session.ts';

export interface DemoHostOptions {
  /** the Parley server (BFF) the pages load the widget from and talk to, e.g. http://127.0.0.1:3210 */
  parleyUrl: string;
  /** 0 = any free port */
  port: number;
  /** default 127.0.0.1 */
  host?: string;
  /** HS256 secret for the session tokens; default PARLEY_SESSION_SECRET (the Parley server must share it) */
  secret?: string;
  /** session token lifetime; default 10 minutes */
  tokenTtl?: string | number;
}

export interface DemoHost {
  url: string;
  close(): Promise<void>;
}

export const TOKEN_TTL = '10m';
const PUBLIC_DIR = path.join(PACKAGE_ROOT, 'demo', 'public');

interface Locals {
  persona?: Persona;
}

export function createDemoApp(options: {
  parleyUrl: string;
  secret: string;
  tokenTtl?: string | number;
  signer?: CookieSigner;
}): express.Express {
  const parleyUrl = options.parleyUrl.replace(/\/+$/, '');
  const signer = options.signer ?? createCookieSigner();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  });
  app.use('/static', express.static(PUBLIC_DIR, { index: false, maxAge: 0 }));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  // the login session (a signed cookie); every /app page and /parley/token need it
  app.use((req, res, next) => {
    const id = signer.verify(readCookie(req.headers.cookie, SESSION_COOKIE));
    const persona = id === undefined ? undefined : personaById(id);
    if (persona) (res.locals as Locals).persona = persona;
    next();
  });

  const secure = (req: Request) => req.protocol === 'https';
  const ctx = (res: Response): PageContext => ({ parleyUrl, persona: personaOf(res) });
  const page = (res: Response, body: string) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(body);
  };

  app.get('/', (_req, res) => {
    res.redirect(303, (res.locals as Locals).persona ? '/app' : '/login');
  });
  app.get('/login', (req, res) => {
    const next = typeof req.query.next === 'string' ? req.query.next : undefined;
    page(res, loginPage({ current: (res.locals as Locals).persona, next }));
  });
  app.post('/login', sameOriginOnly, express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const persona = typeof body.persona === 'string' ? personaById(body.persona) : undefined;
    if (!persona) {
      res.status(400);
      page(res, loginPage({ error: 'Pick one of the demo users.' }));
      return;
    }
    res.setHeader('Set-Cookie', sessionCookie(signer.sign(persona.id), secure(req)));
    const next = typeof body.next === 'string' && APP_PATHS.includes(body.next) ? body.next : '/app';
    res.redirect(303, next);
  });
  app.post('/logout', sameOriginOnly, (req, res) => {
    res.setHeader('Set-Cookie', clearedSessionCookie(secure(req)));
    res.redirect(303, '/login');
  });

  const requireLogin = (req: Request, res: Response, next: NextFunction) => {
    if ((res.locals as Locals).persona) return next();
    const back = APP_PATHS.includes(req.path) ? `?next=${encodeURIComponent(req.path)}` : '';
    res.redirect(303, `/login${back}`);
  };
  app.get('/app', requireLogin, (_req, res) => page(res, dashboardPage(ctx(res))));
  app.get('/app/floating', requireLogin, (_req, res) => page(res, floatingPage(ctx(res))));
  app.get('/app/patterns', requireLogin, (_req, res) => page(res, patternsPage(ctx(res))));
  app.get('/app/csp', requireLogin, (_req, res) => {
    res.setHeader('Content-Security-Policy', strictCsp(parleyUrl));
    page(res, cspPage(ctx(res)));
  });

  // the host backend's token route: the widget fetches it with this page's cookies (same origin only)
  const token = (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Cookie');
    const persona = (res.locals as Locals).persona;
    if (!persona) {
      res.status(401).json({ error: { code: 'not_logged_in', message: 'log in first' } });
      return;
    }
    const fetchSite = req.headers['sec-fetch-site'];
    if (fetchSite !== undefined && fetchSite !== 'same-origin') {
      res
        .status(403)
        .json({ error: { code: 'cross_site', message: 'tokens are for this site’s own pages' } });
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const requested =
      typeof req.query.agent === 'string'
        ? req.query.agent
        : typeof body.agent === 'string'
          ? body.agent
          : 'demo';
    const agent = demoAgent(requested);
    if (!agent) {
      res
        .status(404)
        .json({ error: { code: 'unknown_agent', message: `no agent "${requested}" in this app` } });
      return;
    }
    if (!mayUseAgent(persona, agent)) {
      res.status(403).json({
        error: {
          code: 'agent_not_allowed',
          message: `${persona.organisationName} users may not use ${agent.id}`,
        },
      });
      return;
    }
    const jwt = mintSessionToken({
      userIdentifier: persona.userIdentifier,
      userContext: agent.userContext(persona),
      agentId: agent.id,
      ttl: options.tokenTtl ?? TOKEN_TTL,
      ...(persona.permissions.length > 0 ? { permissions: [...persona.permissions] } : {}),
      secret: options.secret,
    });
    res.json({ token: jwt });
  };
  app.get('/parley/token', token);
  app.post('/parley/token', sameOriginOnly, express.json({ limit: '2kb' }), token);

  app.use((_req, res) => {
    res.status(404);
    page(res, notFoundPage());
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    res.status(typeof status === 'number' && status >= 400 && status < 500 ? status : 500);
    res.type('text').send(res.statusCode === 500 ? 'Something went wrong.' : 'Bad request.');
  });
  return app;
}

function personaOf(res: Response): Persona {
  const persona = (res.locals as Locals).persona;
  if (!persona) throw new Error('requireLogin runs first');
  return persona;
}

/** Refuses state-changing requests from other sites (the session cookie is SameSite=Lax; this is a second lock). */
function sameOriginOnly(req: Request, res: Response, next: NextFunction): void {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  const own = `${req.protocol}://${req.headers.host ?? ''}`;
  if (
    (origin !== undefined && origin !== own) ||
    (site !== undefined && site !== 'same-origin' && site !== 'none')
  ) {
    res.status(403).type('text').send('Cross-site requests are not accepted.');
    return;
  }
  next();
}

/** Starts the demo host app on 127.0.0.1:port (port 0: any free port). */
export async function startDemoHost(options: DemoHostOptions): Promise<DemoHost> {
  const secret = options.secret ?? process.env.PARLEY_SESSION_SECRET;
  // fail now, not at the first token: the host app cannot work without the secret it shares with Parley
  sessionSecretKey(secret, options.secret !== undefined ? 'the session secret' : 'PARLEY_SESSION_SECRET');
  const app = createDemoApp({
    parleyUrl: options.parleyUrl,
    secret: secret as string,
    tokenTtl: options.tokenTtl,
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
