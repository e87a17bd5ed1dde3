// The widget API's front door, shared by its routers: CORS for the agents' host pages, then the session token.
import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppDeps, VerifiedSession } from '../../deps.ts';
import { HttpError } from '../errors.ts';
import { logRefusedOrigin, originAllowedForAgent, originAllowedForAnyAgent } from './origin.ts';

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i;

interface Locals {
  session?: VerifiedSession;
}

/** The verified session of this request (set by widgetAuth); identity never comes from anywhere else. */
export function sessionOf(res: Response): VerifiedSession {
  const session = (res.locals as Locals).session;
  if (!session) throw new HttpError(401, 'missing_credentials', 'no session token');
  return session;
}

/**
 * CORS: the preflight cannot carry the token, so it is answered for the union of every agent's allowed origins;
 * the actual request is checked again against the token's agent (widgetAuth). No cookies, no credentials.
 */
export function widgetCors(deps: Pick<AppDeps, 'config' | 'logger'>): RequestHandler {
  return cors((req, callback) => {
    const origin = req.headers.origin;
    const allowed = origin !== undefined && originAllowedForAnyAgent(deps, origin);
    if (origin !== undefined && !allowed) logRefusedOrigin(deps, origin, undefined);
    callback(null, {
      origin: allowed ? origin : false,
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: ['Retry-After', 'X-Request-Id'],
      credentials: false,
      maxAge: 600,
      optionsSuccessStatus: 204,
    });
  });
}

/** Verifies the bearer token, then checks the page origin against the token's agent. */
export function widgetAuth(deps: Pick<AppDeps, 'config' | 'sessions' | 'logger'>): RequestHandler {
  return async function authenticate(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const header = req.headers.authorization;
      if (header === undefined || header === '')
        throw new HttpError(401, 'missing_credentials', 'no session token');
      const token = BEARER.exec(header)?.[1];
      if (!token) {
        throw new HttpError(
          401,
          'invalid_token',
          'the Authorization header must be "Bearer <session token>"',
        );
      }
      const session = await deps.sessions.verify(token);
      if (!deps.config.agents.has(session.agentId))
        throw new HttpError(401, 'invalid_token', 'unknown agent');
      const origin = req.headers.origin;
      if (!originAllowedForAgent(deps, session.agentId, origin)) {
        if (origin !== undefined) logRefusedOrigin(deps, origin, session.agentId);
        // the preflight allowed the union of all agents' origins; this agent does not allow this page
        res.removeHeader('Access-Control-Allow-Origin');
        throw new HttpError(403, 'origin_not_allowed', 'this page’s origin is not allowed to use this agent');
      }
      (res.locals as Locals).session = session;
      res.setHeader('Cache-Control', 'private, no-store');
      next();
    } catch (err) {
      if ((err as { status?: number }).status === 401)
        res.setHeader('WWW-Authenticate', 'Bearer realm="parley"');
      next(err);
    }
  };
}
