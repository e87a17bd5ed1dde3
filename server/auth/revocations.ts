// Session revocation, kept in the store database so every instance sharing it honours it: a denylist of token ids
// (`jti`) and rules "tokens issued before T for user U (of agent A or any, in tenant C or any) are void". A token
// issued in the same second as T counts as issued before it (`iat` has whole seconds): fail closed.
// Its HTTP route is http/api-v1/revocations.ts: the same idea one layer up, hence the same name.

import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { UserContext } from '../semantic/user-context.ts';
import { contextKey } from '../semantic/user-context.ts';
import { AuthError } from './claims.ts';

/** What revocation looks at in a verified session. */
export interface RevocableSession {
  agentId: string;
  userIdentifier: string;
  userContext: UserContext;
  tokenId?: string;
  /** the token's `iat`; a token without one is treated as issued at the epoch (any rule voids it) */
  issuedAt?: Date;
}

export interface SessionRule {
  userIdentifier: string;
  /** absent: every agent */
  agentId?: string;
  /** absent: every tenant */
  userContext?: UserContext;
  /** tokens issued before (or in the same second as) this are void */
  issuedBefore: Date;
}

export interface RecentRevocations {
  tokenHashes: Set<string>;
  /** subject hash -> the latest not_before among the rules read */
  subjects: Map<string, string>;
}

const ANY = '*';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export const tokenHash = (tokenId: string): string => sha256(`jti:${tokenId}`);

function subjectHash(agentId: string, userIdentifier: string, tenant: string): string {
  return sha256(JSON.stringify(['subject', agentId, userIdentifier, tenant]));
}

/** The four subjects a session belongs to: its agent or any, its tenant or any. */
export function subjectHashes(
  session: Pick<RevocableSession, 'agentId' | 'userIdentifier' | 'userContext'>,
): string[] {
  const tenant = contextKey(session.userContext);
  return [
    subjectHash(session.agentId, session.userIdentifier, tenant),
    subjectHash(session.agentId, session.userIdentifier, ANY),
    subjectHash(ANY, session.userIdentifier, tenant),
    subjectHash(ANY, session.userIdentifier, ANY),
  ];
}

/** `iat` (whole seconds) as the ISO text rules compare with: a rule at T voids iat <= T, the same second too. */
function issuedAtText(session: RevocableSession): string {
  return new Date(session.issuedAt ? session.issuedAt.getTime() : 0).toISOString();
}

export class RevocationStore {
  constructor(
    private readonly db: Knex,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Denies one token id until `expiresAt` (by then the token has expired anyway). */
  async revokeToken(tokenId: string, expiresAt: Date): Promise<void> {
    const row = {
      token_hash: tokenHash(tokenId),
      revoked_at: this.clock().toISOString(),
      expires_at: expiresAt.toISOString(),
    };
    await this.db('parley_revoked_tokens').insert(row).onConflict('token_hash').merge(['expires_at']);
  }

  async revokeSessions(rule: SessionRule): Promise<void> {
    await this.db('parley_revoked_sessions').insert({
      subject_hash: subjectHash(
        rule.agentId ?? ANY,
        rule.userIdentifier,
        rule.userContext ? contextKey(rule.userContext) : ANY,
      ),
      not_before: rule.issuedBefore.toISOString(),
      revoked_at: this.clock().toISOString(),
    });
  }

  /** Is this session's token denied, or issued before a rule of its subject? */
  async isRevoked(session: RevocableSession): Promise<boolean> {
    if (session.tokenId !== undefined) {
      const denied = await this.db('parley_revoked_tokens')
        .where('token_hash', tokenHash(session.tokenId))
        .first('token_hash');
      if (denied) return true;
    }
    const rule = await this.db('parley_revoked_sessions')
      .whereIn('subject_hash', subjectHashes(session))
      .andWhere('not_before', '>=', issuedAtText(session))
      .first('id');
    return rule !== undefined;
  }

  /** What was revoked at or after `since` (open sockets are checked against it; the caller keeps a margin). */
  async revokedSince(since: Date): Promise<RecentRevocations> {
    const at = since.toISOString();
    const [tokens, rules] = await Promise.all([
      this.db('parley_revoked_tokens')
        .where('revoked_at', '>=', at)
        .select<Array<{ token_hash: string }>>('token_hash'),
      this.db('parley_revoked_sessions')
        .where('revoked_at', '>=', at)
        .select<Array<{ subject_hash: string; not_before: string }>>('subject_hash', 'not_before'),
    ]);
    const subjects = new Map<string, string>();
    for (const r of rules) {
      const known = subjects.get(r.subject_hash);
      if (known === undefined || r.not_before > known) subjects.set(r.subject_hash, r.not_before);
    }
    return { tokenHashes: new Set(tokens.map((t) => t.token_hash)), subjects };
  }

  /** Is `session` void by what `recent` holds? (the same rules as isRevoked, in memory) */
  static matches(recent: RecentRevocations, session: RevocableSession): boolean {
    if (session.tokenId !== undefined && recent.tokenHashes.has(tokenHash(session.tokenId))) return true;
    const issued = issuedAtText(session);
    return subjectHashes(session).some((h) => {
      const notBefore = recent.subjects.get(h);
      return notBefore !== undefined && notBefore >= issued;
    });
  }

  /** Forgets denied ids past their expiry and rules older than any token they could still void. */
  async purge(maxLifetimeSec: number): Promise<void> {
    const now = this.clock().getTime();
    await this.db('parley_revoked_tokens').where('expires_at', '<', new Date(now).toISOString()).delete();
    await this.db('parley_revoked_sessions')
      .where('not_before', '<', new Date(now - (maxLifetimeSec + 300) * 1000).toISOString())
      .delete();
  }
}

/** A session verifier that also refuses revoked tokens (401 token_revoked), checked in the store on every call. */
export function withRevocation<S extends RevocableSession>(
  verifier: { verify(token: string): Promise<S> },
  revocations: RevocationStore,
): { verify(token: string): Promise<S> } {
  return {
    async verify(token) {
      const session = await verifier.verify(token);
      if (await revocations.isRevoked(session))
        throw new AuthError('token_revoked', 'the token has been revoked');
      return session;
    },
  };
}
