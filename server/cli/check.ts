// `parley check`: validates every agent's semantic model and compares it with the agent's database.
// The command layer of semantic/check.ts (the check itself), hence the same name.
import type { Command } from 'commander';
import type { Knex } from 'knex';
import type { LoadedConfig } from '../config/load.ts';
import { openDatabase } from '../db/connect.ts';
import type { CheckIssue } from '../semantic/check.ts';
import { configPathOf, withConfigOption } from './common.ts';

/** What the command uses from the outside world; tests pass their own. */
export interface CheckCommandDeps {
  stdout?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  openDb?: (url: string) => Knex;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Checks the agents of a loaded config (one when `agentId` is given) and writes what each table prompt sentence was
 * read as, one line per issue and a summary line per agent. Returns whether no agent has an error (a prompt
 * sentence that could not be used is not one: prompts are prose, the LLM planner still reads all of it).
 */
export async function runCheck(
  loaded: LoadedConfig,
  agentId: string | undefined,
  out: (line: string) => void,
  openDb: (url: string) => Knex = (url) => openDatabase(url, { readOnly: true, pool: { min: 0, max: 1 } }),
): Promise<boolean> {
  if (agentId !== undefined && !loaded.agents.has(agentId)) {
    throw new Error(`unknown agent '${agentId}' (agents: ${[...loaded.agents.keys()].join(', ')})`);
  }
  // loaded when a check runs: `parley --help` and the other commands need none of it
  const [{ checkAgentAgainstDatabase, formatCheckIssue }, { formatPromptReport }, { validateModel }] =
    await Promise.all([
      import('../semantic/check.ts'),
      import('../semantic/prompts.ts'),
      import('../semantic/validate.ts'),
    ]);
  let allOk = true;
  for (const [id, agent] of loaded.agents) {
    if (agentId !== undefined && id !== agentId) continue;
    for (const line of formatPromptReport(id, agent.prompts ?? { sentences: [] })) out(line);
    let issues: CheckIssue[];
    if (!agent.connection) {
      out(`${id}: warning: not linked to a connection; database checks skipped`);
      issues = validateModel(agent.config, agent.model).map((i) => ({ ...i, severity: 'error' }));
    } else {
      let db: Knex | undefined;
      try {
        db = openDb(agent.connection.url);
        issues = (await checkAgentAgainstDatabase(agent, db)).issues;
      } catch (err) {
        const message = `cannot open connection ${agent.connection.id}: ${err instanceof Error ? err.message : String(err)}`;
        issues = [{ path: 'connection', message, severity: 'error' }];
      } finally {
        await db?.destroy();
      }
    }
    for (const issue of issues) out(formatCheckIssue(id, issue));
    const errors = issues.filter((i) => i.severity === 'error').length;
    const warnings = issues.length - errors;
    if (errors === 0) {
      out(`${id}: ok${warnings > 0 ? ` (${plural(warnings, 'warning')})` : ''}`);
    } else {
      allOk = false;
      out(
        `${id}: failed (${plural(errors, 'error')}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''})`,
      );
    }
  }
  return allOk;
}

export function registerCheckCommand(program: Command, deps: CheckCommandDeps = {}): Command {
  const stdout = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  return withConfigOption(
    program
      .command('check')
      .description("check each agent's semantic model and compare it with the agent's database")
      .option('--agent <id>', 'check only this agent'),
  ).action(async (opts: { agent?: string }, cmd: Command) => {
    const { loadConfig } = await import('../config/load.ts');
    const loaded = loadConfig(configPathOf(cmd), deps.env ?? process.env);
    const ok = await runCheck(loaded, opts.agent, (line) => stdout(`${line}\n`), deps.openDb);
    if (!ok) process.exitCode = 1;
  });
}
