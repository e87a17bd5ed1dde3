// `parley token`: mints an HS256 session token for one user of one agent and prints only the JWT.
import type { Command } from 'commander';
import { USER_IDENTIFIER, USER_IDENTIFIER_RULE } from '../auth/claims.ts';
import { type UserContext, userContextFromStrings } from '../semantic/user-context.ts';
import { collectContext, configPathOf, withConfigOption } from './common.ts';

interface TokenOptions {
  user?: string;
  agent?: string;
  context: Record<string, string>;
  ttl: string;
  permission: string[];
}

/** What the command uses from the outside world; tests pass their own. */
export interface TokenCommandDeps {
  stdout?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerTokenCommand(program: Command, deps: TokenCommandDeps = {}): void {
  const token = program
    .command('token')
    .description('mint a session token (HS256, PARLEY_SESSION_SECRET) for one user; prints the JWT only');
  registerRevokeCommand(token, deps);
  withConfigOption(
    token
      .option('--user <userIdentifier>', 'the user: 1-256 printable characters (required)')
      .option('--agent <id>', 'agent id (default: the only agent of the config)')
      .option(
        '--context <key=value>',
        "userContext field, typed by the agent's declaration (repeatable)",
        collectContext,
        {},
      )
      .option('--ttl <duration>', 'lifetime: seconds or like 15m, 2h (at most 24h)', '15m')
      .option(
        '--permission <name>',
        'a permission, e.g. datasets:context:write (repeatable)',
        collectList,
        [],
      ),
  ).action(async (opts: TokenOptions, cmd: Command) => {
    // loaded when the command runs: `parley --help` and the other commands need none of it
    const [{ mintSessionToken, sessionSecretKey }, { loadConfig }] = await Promise.all([
      import('../auth/session-token.ts'),
      import('../config/load.ts'),
    ]);
    const env = deps.env ?? process.env;
    if (opts.user === undefined) throw new Error("required option '--user <userIdentifier>' not specified");
    // the secret first: no point loading anything without it (and the message never shows it)
    const secret = env.PARLEY_SESSION_SECRET;
    sessionSecretKey(secret);
    if (!opts.user || !USER_IDENTIFIER.test(opts.user)) {
      throw new Error(`--user: ${USER_IDENTIFIER_RULE}`);
    }
    const loaded = loadConfig(configPathOf(cmd), env);
    const ids = [...loaded.agents.keys()];
    const agentId = opts.agent ?? (ids.length === 1 ? ids[0] : undefined);
    if (agentId === undefined) throw new Error(`give --agent (agents: ${ids.join(', ')})`);
    const agent = loaded.agents.get(agentId);
    if (!agent) throw new Error(`unknown agent "${agentId}" (agents: ${ids.join(', ')})`);
    const userContext = userContextFromStrings(agent.config.userContext, opts.context);
    const token = mintSessionToken({
      userIdentifier: opts.user,
      userContext,
      agentId,
      ttl: opts.ttl,
      ...(opts.permission.length > 0 ? { permissions: opts.permission } : {}),
      secret,
    });
    (deps.stdout ?? ((text: string) => process.stdout.write(text)))(`${token}\n`);
  });
}

interface RevokeOptions {
  jti?: string;
  user?: string;
  agent?: string;
  context: Record<string, string>;
  before?: string;
}

/**
 * `parley token revoke`: writes a revocation into the store (the config's `store.url` / PARLEY_STORE_URL), which
 * every instance sharing it honours: one token by `--jti`, or every token of `--user` issued before `--before`
 * (default now), for one `--agent` or all, one tenant (`--context`) or all.
 */
function registerRevokeCommand(token: Command, deps: TokenCommandDeps): void {
  withConfigOption(
    token
      .command('revoke')
      .description('revoke one session token (--jti) or every token of a user issued before a time (--user)')
      .option('--jti <tokenId>', 'the token id (jti) to deny until it would have expired')
      .option('--user <userIdentifier>', 'void every token of this user issued before --before')
      .option('--agent <id>', 'only this agent’s tokens (default: every agent)')
      .option(
        '--context <key=value>',
        'only this tenant’s tokens (repeatable; needs --agent)',
        collectContext,
        {},
      )
      .option(
        '--before <iso>',
        'tokens issued before (or in the same second as) this time are void (default now)',
      ),
  ).action(async (_local: RevokeOptions, cmd: Command) => {
    // `token` has --user, --agent and --context too and parses them wherever they stand: read both levels
    const opts = cmd.optsWithGlobals<RevokeOptions>();
    const env = deps.env ?? process.env;
    if ((opts.jti === undefined) === (opts.user === undefined))
      throw new Error('give exactly one of --jti and --user');
    // loaded when it runs: `parley --help` needs none of it
    const [{ loadConfig }, { ConversationStore }, { RevocationStore }, { MAX_LIFETIME_SEC }] =
      await Promise.all([
        import('../config/load.ts'),
        import('../conversations/store.ts'),
        import('../auth/revocations.ts'),
        import('../auth/session-token.ts'),
      ]);
    const loaded = loadConfig(configPathOf(cmd), env);
    let userContext: UserContext | undefined;
    if (Object.keys(opts.context).length > 0) {
      const agent = opts.agent === undefined ? undefined : loaded.agents.get(opts.agent);
      if (!agent) throw new Error('--context is typed by the agent: give a known --agent');
      userContext = userContextFromStrings(agent.config.userContext, opts.context);
    } else if (opts.agent !== undefined && !loaded.agents.has(opts.agent)) {
      throw new Error(`unknown agent "${opts.agent}"`);
    }
    const before = opts.before === undefined ? new Date() : new Date(opts.before);
    if (Number.isNaN(before.getTime())) throw new Error(`--before "${opts.before}" is not an ISO time`);
    if (opts.user !== undefined && !USER_IDENTIFIER.test(opts.user))
      throw new Error(`--user: ${USER_IDENTIFIER_RULE}`);
    const store = await ConversationStore.open(loaded.storeUrl);
    try {
      const revocations = new RevocationStore(store.db);
      const out = deps.stdout ?? ((text: string) => process.stdout.write(text));
      if (opts.jti !== undefined) {
        await revocations.revokeToken(opts.jti, new Date(Date.now() + MAX_LIFETIME_SEC * 1000));
        out(`revoked token ${opts.jti}\n`);
      } else {
        await revocations.revokeSessions({
          userIdentifier: opts.user as string,
          ...(opts.agent !== undefined ? { agentId: opts.agent } : {}),
          ...(userContext !== undefined ? { userContext } : {}),
          issuedBefore: before,
        });
        out(
          `revoked tokens of ${opts.user} issued before ${before.toISOString()}` +
            `${opts.agent ? ` for agent ${opts.agent}` : ' for every agent'}` +
            `${userContext ? ` in ${JSON.stringify(userContext)}` : ' in every tenant'}\n`,
        );
      }
    } finally {
      await store.close();
    }
  });
}
