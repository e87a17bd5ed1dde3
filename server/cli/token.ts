// `parley token`: mints an HS256 session token for one user of one agent and prints only the JWT.
import type { Command } from 'commander';
import { USER_IDENTIFIER, USER_IDENTIFIER_RULE } from '../auth/claims.ts';
import { userContextFromStrings } from '../semantic/user-context.ts';
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
  withConfigOption(
    program
      .command('token')
      .description('mint a session token (HS256, PARLEY_SESSION_SECRET) for one user; prints the JWT only')
      .requiredOption('--user <userIdentifier>', 'the user: 1-256 printable characters')
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
