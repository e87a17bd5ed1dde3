// What the server benchmark's processes share: the secrets of the server under load and small statistics.
import { mintSessionToken } from '../../server/auth/session-token.ts';

export const BENCH_SECRET = 'bench-session-secret-0123456789-abcdefghij';
export const BENCH_API_KEY = 'pk_bench_0123456789abcdef0123';
export const BENCH_NOW = '2026-11-25T12:00:00Z';

export function benchToken(user: string, organisationId: number): string {
  return mintSessionToken({
    userIdentifier: user,
    userContext: { organisationId },
    agentId: 'demo',
    ttl: '2h',
    secret: BENCH_SECRET,
  });
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? Number.NaN;
}

export const median = (xs: number[]): number => percentile(xs, 0.5);
