// `parley query`: runs a QueryPlan file for one tenant, printing the SQL (values as bindings) and the rows.
import fs from 'node:fs';
import type { Command } from 'commander';
import { userContextFromStrings } from '../semantic/user-context.ts';
import { collectContext, configPathOf, nowFrom, withConfigOption } from './common.ts';
import { formatRows } from './format-rows.ts';

export function registerQueryCommand(program: Command): void {
  withConfigOption(
    program
      .command('query')
      .description('run a QueryPlan (JSON file, or - for stdin) as one tenant')
      .requiredOption('--agent <id>', 'agent id')
      .requiredOption('--plan <file>', 'QueryPlan JSON file, or - for standard input')
      .option('--context <key=value>', 'userContext field (repeatable)', collectContext, {})
      .option('--now <iso>', 'pin the clock (default: PARLEY_NOW or now)')
      .option('--json', 'print JSON'),
  ).action(
    async (
      opts: { agent: string; plan: string; context: Record<string, string>; now?: string; json?: boolean },
      cmd: Command,
    ) => {
      // loaded when the command runs: `parley --help` and the other commands need none of it
      const [{ loadConfig }, { parseDatabaseUrl }, { compileQueryPlan }, { createQueryRunner }] =
        await Promise.all([
          import('../config/load.ts'),
          import('../db/connect.ts'),
          import('../query/compile.ts'),
          import('../query/execute.ts'),
        ]);
      const loaded = loadConfig(configPathOf(cmd));
      const agent = loaded.agents.get(opts.agent);
      if (!agent)
        throw new Error(`unknown agent "${opts.agent}" (agents: ${[...loaded.agents.keys()].join(', ')})`);
      if (!agent.connection) throw new Error(`agent "${opts.agent}" is not linked to a connection`);
      const text = opts.plan === '-' ? fs.readFileSync(0, 'utf8') : readPlanFile(opts.plan);
      let plan: unknown;
      try {
        plan = JSON.parse(text);
      } catch (err) {
        throw new Error(`${opts.plan} is not valid JSON: ${(err as Error).message}`);
      }
      const userContext = userContextFromStrings(agent.config.userContext, opts.context);
      const compiled = compileQueryPlan(plan, { ...agent.config, model: agent.model }, userContext, {
        dialect: parseDatabaseUrl(agent.connection.url).dialect,
        now: nowFrom(opts.now),
        maxRows: agent.connection.maxRows,
      });
      const runner = createQueryRunner(agent.connection.url, {
        statementTimeoutMs: agent.connection.statementTimeoutMs,
      });
      try {
        const result = await runner.run(compiled);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ plan: compiled.plan, sql: compiled.sql, columns: result.columns.map(({ name, type }) => ({ name, type })), rows: result.rows, truncated: result.truncated }, null, 2)}\n`,
          );
        } else {
          process.stdout.write(
            `${compiled.sql.text}\n-- bindings: ${JSON.stringify(compiled.sql.bindings)}\n\n`,
          );
          process.stdout.write(
            formatRows(
              result.columns.map((c) => c.label),
              result.rows.map((r) => r.map((v) => (v === null ? '' : String(v)))),
            ),
          );
          if (result.truncated) process.stdout.write(`(showing the first ${compiled.limit} rows)\n`);
        }
      } finally {
        await runner.close();
      }
    },
  );
}

function readPlanFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read plan file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
