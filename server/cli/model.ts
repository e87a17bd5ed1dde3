// `parley model pull`: reads a database's tables and keys and prints (or writes) a starting semantic model as YAML.
// `parley model show`: what an agent understands, with example questions checked against the embedded planner.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { YAMLMap } from 'yaml';
import type { SemanticModel } from '../config/schema.ts';
import { yamlLibrary } from '../config/yaml-library.ts';
import { openDatabase, redactUrl } from '../db/connect.ts';
import type { introspectDatabase } from '../semantic/introspect.ts';
import { userContextFromStrings } from '../semantic/user-context.ts';
import { collectContext, configPathOf, nowFrom, withConfigOption } from './common.ts';

/** What the commands use from the outside world; tests pass their own. */
export interface ModelCommandDeps {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

interface PullOptions {
  database?: string;
  connection?: string;
  contextColumn?: string;
  contextField?: string;
  out?: string;
  force?: boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The model without the schema's empty defaults (`synonyms: []`, `computed: {}`, `op: eq`, ...), for YAML. */
export function compactModel(model: SemanticModel): Record<string, unknown> {
  const tables: Array<[string, Record<string, unknown>]> = [];
  for (const [name, table] of Object.entries(model.tables)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(table)) {
      if (key === 'columns') continue;
      if (Array.isArray(value) && value.length === 0) continue;
      if (
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        Object.keys(value).length === 0
      ) {
        continue;
      }
      if (key === 'contextFilters') {
        out[key] = table.contextFilters.map((cf) =>
          cf.op === 'eq' ? { column: cf.column, field: cf.field } : cf,
        );
      } else out[key] = value;
    }
    // columns last: the longest part
    out.columns = Object.fromEntries(
      Object.entries(table.columns).map(([col, def]) => {
        const { synonyms, ...rest } = def;
        return [col, synonyms.length > 0 ? def : rest];
      }),
    );
    tables.push([name, out]);
  }
  return { tables: Object.fromEntries(tables) };
}

/** YAML text for a model, with short definitions (columns, keys, relations) on one line each. */
export function modelToYaml(model: SemanticModel, header?: string): string {
  const { Document, isMap, isSeq } = yamlLibrary();
  const doc = new Document(compactModel(model));
  const tables = doc.get('tables', true);
  if (isMap(tables)) {
    for (const pair of tables.items) {
      const table = pair.value;
      if (!isMap(table)) continue;
      for (const key of ['columns', 'relations']) {
        const node = table.get(key, true);
        if (isMap(node))
          for (const item of node.items) if (isMap(item.value)) (item.value as YAMLMap).flow = true;
      }
      const filters = table.get('contextFilters', true);
      if (isSeq(filters)) for (const item of filters.items) if (isMap(item)) item.flow = true;
    }
  }
  if (header) doc.commentBefore = header;
  return doc.toString({ lineWidth: 0 });
}

export function registerModelCommands(program: Command, deps: ModelCommandDeps = {}): Command {
  const stdout = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const group = program.command('model').description('work with semantic models');

  withConfigOption(
    group
      .command('pull')
      .description('read a database and print a starting semantic model (YAML) for an agent')
      .option(
        '--database <url>',
        'the database: sqlite:///path/file.sqlite or mysql://user:pass@host:3306/db',
      )
      .option('--connection <id>', 'or: a connection of the config file')
      .option(
        '--context-column <column>',
        'the tenant column (e.g. organisation_id): tables with it get a context filter',
      )
      .option(
        '--context-field <field>',
        'the userContext field it must equal (default: the column in camelCase)',
      )
      .option('--out <file>', 'write the model to this file instead of printing it')
      .option('--force', 'overwrite --out when it exists'),
  ).action(async (opts: PullOptions, cmd: Command) => {
    // loaded when the command runs: `parley --help` and the other commands need none of it
    const [{ loadConfig }, { SemanticModel }, { introspectDatabase, modelFromSchema }] = await Promise.all([
      import('../config/load.ts'),
      import('../config/schema.ts'),
      import('../semantic/introspect.ts'),
    ]);
    if ((opts.database === undefined) === (opts.connection === undefined)) {
      throw new Error('model pull needs exactly one of --database URL or --connection ID');
    }
    if (opts.contextField !== undefined && opts.contextColumn === undefined) {
      throw new Error('--context-field needs --context-column');
    }
    for (const [flag, value] of [
      ['--context-column', opts.contextColumn],
      ['--context-field', opts.contextField],
    ] as const) {
      if (value !== undefined && !IDENTIFIER.test(value))
        throw new Error(`${flag} "${value}" is not a plain identifier`);
    }
    if (opts.out !== undefined && fs.existsSync(opts.out) && !opts.force) {
      throw new Error(`${opts.out} exists; pass --force to overwrite it`);
    }
    let url = opts.database as string;
    if (opts.connection !== undefined) {
      const loaded = loadConfig(configPathOf(cmd), deps.env ?? process.env);
      const connection = loaded.connections.get(opts.connection);
      if (!connection) {
        throw new Error(
          `unknown connection '${opts.connection}' (connections: ${[...loaded.connections.keys()].join(', ') || 'none'})`,
        );
      }
      url = connection.url;
    }

    const db = openDatabase(url, { readOnly: true, pool: { min: 0, max: 1 } });
    let schema: Awaited<ReturnType<typeof introspectDatabase>>;
    try {
      schema = await introspectDatabase(db);
    } finally {
      await db.destroy();
    }
    const tableCount = Object.keys(schema.tables).length;
    if (tableCount === 0) throw new Error(`the database ${redactUrl(url)} has no tables`);
    const model = SemanticModel.parse(
      modelFromSchema(schema, {
        ...(opts.contextColumn !== undefined ? { contextColumn: opts.contextColumn } : {}),
        ...(opts.contextField !== undefined ? { contextField: opts.contextField } : {}),
      }),
    );

    const header = [
      ` Semantic model pulled from ${redactUrl(url)} by \`parley model pull\`.`,
      ' Review it: set access (queryable, joinable, off), add descriptions, synonyms, measures and segments.',
    ].join('\n');
    const text = modelToYaml(model, header);
    if (opts.out !== undefined) {
      fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
      fs.writeFileSync(opts.out, text);
      stderr(`wrote ${Object.keys(model.tables).length} tables to ${opts.out}\n`);
    } else {
      stdout(text);
    }

    // what the person still has to decide
    if (opts.contextColumn !== undefined) {
      const unscoped = Object.entries(model.tables)
        .filter(([, t]) => t.contextFilters.length === 0)
        .map(([n]) => n);
      const scoped = Object.keys(model.tables).length - unscoped.length;
      if (scoped === 0) stderr(`warning: no table has a column ${opts.contextColumn}\n`);
      if (unscoped.length > 0) {
        stderr(
          `warning: ${unscoped.join(', ')} ${unscoped.length === 1 ? 'has' : 'have'} no ${opts.contextColumn}; ` +
            'a multi-tenant agent needs a context filter on every table it can query (or set access: off)\n',
        );
      }
      const field = Object.values(model.tables).flatMap((t) => t.contextFilters)[0]?.field;
      const sample = Object.values(schema.tables).find((t) =>
        Object.hasOwn(t.columns, opts.contextColumn as string),
      );
      const type = sample?.columns[opts.contextColumn]?.type === 'string' ? 'string' : 'integer';
      if (field !== undefined) {
        stderr(
          `note: the agent using this model needs multiTenant: true and userContext: { ${field}: ${type} }\n`,
        );
      }
    }
  });
  withConfigOption(
    group
      .command('show')
      .description(
        'what an agent understands: tables, measures, segments, synonyms, starter questions, with example questions checked against the embedded planner',
      )
      .requiredOption('--agent <id>', 'the agent')
      .option(
        '--context <key=value>',
        'also run the examples against the database as this tenant (repeatable; not needed by an agent without userContext fields)',
        collectContext,
        {},
      )
      .option('--now <iso>', 'the clock for the example questions (default: PARLEY_NOW, else now)')
      .option('--json', 'print JSON instead of text'),
  ).action(
    async (
      opts: { agent: string; context: Record<string, string>; now?: string; json?: boolean },
      cmd: Command,
    ) => {
      const { loadConfig } = await import('../config/load.ts');
      const loaded = loadConfig(configPathOf(cmd), deps.env ?? process.env);
      const agent = loaded.agents.get(opts.agent);
      if (!agent) {
        throw new Error(`unknown agent '${opts.agent}' (agents: ${[...loaded.agents.keys()].join(', ')})`);
      }
      const now = nowFrom(opts.now, deps.env ?? process.env);
      const { agentGuide, guideTally } = await import('../planner/agent-guide.ts');
      // the examples run against the database when a tenant is known: given, or none needed
      const runs =
        agent.connection !== undefined &&
        (Object.keys(opts.context).length > 0 || Object.keys(agent.config.userContext).length === 0);
      const userContext = runs ? userContextFromStrings(agent.config.userContext, opts.context) : undefined;
      const { createAnswerEngine } = await import('../answers/engine.ts');
      const engine = runs ? createAnswerEngine({ config: loaded, now: () => now }) : undefined;
      let guide: Awaited<ReturnType<typeof agentGuide>>;
      try {
        guide = await agentGuide(
          agent,
          now,
          engine
            ? async (question) => {
                const answer = await engine.ask({
                  agentId: agent.config.id,
                  userContext,
                  userIdentifier: 'parley-model-show',
                  question,
                  now,
                });
                return { type: answer.type, rows: answer.data?.rows.length, message: answer.message };
              }
            : undefined,
        );
      } finally {
        await engine?.close();
      }
      if (opts.json) stdout(`${JSON.stringify(guide, null, 2)}\n`);
      else stdout((await import('../planner/agent-guide-text.ts')).agentGuideText(guide));
      const { passed, total } = guideTally(guide);
      if (passed < total) process.exitCode = 1;
    },
  );
  return group;
}
