// `parley connection list|link|unlink`: which agent queries which connection, edited in place in the YAML file.
import type { Command } from 'commander';
import type { LoadedConfig } from '../config/load.ts';
import type { ConnectionConfig } from '../config/schema.ts';
import { parseDatabaseUrl } from '../db/connect.ts';
import { configPathOf, withConfigOption } from './common.ts';

export interface ConnectionChoice {
  name: string;
  value: string;
  description?: string;
}

/** What the commands use from the outside world; tests pass their own. */
export interface ConnectionCommandDeps {
  stdout?: (text: string) => void;
  /** whether a person can answer a prompt (default: stdin is a TTY) */
  isInteractive?: () => boolean;
  /** asks which connection to link (default: an @inquirer/prompts select) */
  pick?: (message: string, choices: ConnectionChoice[]) => Promise<string>;
  env?: NodeJS.ProcessEnv;
}

export interface ConnectionRow {
  id: string;
  dialect: 'sqlite' | 'mysql';
  shareable: boolean;
  owner: string | null;
  /** agents whose `connection` is this one, in file order */
  agents: string[];
}

// the config loader and the YAML editing load when a command runs: `parley --help` needs neither
const modules = () => Promise.all([import('../config/load.ts'), import('./connection-edit.ts')]);

export function registerConnectionCommands(program: Command, deps: ConnectionCommandDeps = {}): Command {
  const stdout = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const isInteractive = deps.isInteractive ?? (() => Boolean(process.stdin.isTTY));
  const pick = deps.pick ?? pickWithPrompt;
  const env = (): NodeJS.ProcessEnv => deps.env ?? process.env;

  const group = program
    .command('connection')
    .description('list connections and link agents to them (edits parley.config.yaml in place)');

  withConfigOption(
    group
      .command('list')
      .description('list connections: dialect, shareable, owner and the agents linked to each')
      .option('--json', 'print JSON instead of a table'),
  ).action(async (opts: { json?: boolean }, cmd: Command) => {
    const { parseConfig, readConfigText } = await import('../config/load.ts');
    const file = configPathOf(cmd);
    const loaded = parseConfig(readConfigText(file), file, env());
    const rows = connectionRows(loaded);
    if (opts.json) {
      stdout(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    stdout(formatConnectionTable(rows, unlinkedAgents(loaded), file));
  });

  withConfigOption(
    group
      .command('link')
      .description('link an agent to a connection (one it owns, or a shareable one)')
      .requiredOption('--agent <id>', 'the agent to link')
      .option('--connection <id>', 'the connection; left out, you pick one from a list'),
  ).action(async (opts: { agent: string; connection?: string }, cmd: Command) => {
    const [{ parseConfig, readConfigText }, { checkAndWrite, editAgent, setConnection }] = await modules();
    const file = configPathOf(cmd);
    const text = readConfigText(file);
    const loaded = parseConfig(text, file, env());
    const agent = requireAgent(loaded, opts.agent);
    let connectionId = opts.connection;
    if (connectionId === undefined) {
      const choices = linkableConnections(loaded, agent);
      if (choices.length === 0) {
        throw new Error(
          `no connection can be linked to agent ${agent}: none is shareable or owned by it ` +
            `(connections: ${idList(loaded.connections.keys())})`,
        );
      }
      const names = choices.map((c) => `${c.id} (${describeConnection(c)})`).join(', ');
      if (!isInteractive()) {
        throw new Error(`--connection is required when stdin is not a terminal; choose one of: ${names}`);
      }
      connectionId = await pick(
        `Link agent ${agent} to which connection?`,
        choices.map((c) => ({ name: c.id, value: c.id, description: describeConnection(c) })),
      );
    }
    const connection = loaded.connections.get(connectionId);
    if (!connection) {
      throw new Error(
        `unknown connection '${connectionId}' (connections: ${idList(loaded.connections.keys())})`,
      );
    }
    const refusal = linkRefusal(loaded, agent, connection);
    if (refusal) throw new Error(refusal);
    const current = loaded.agents.get(agent)?.connection;
    if (current?.id === connection.id) {
      stdout(`agent ${agent} is already linked to connection ${connection.id}\n`);
      return;
    }
    if (current && current.owner === agent) {
      throw new Error(
        `agent ${agent} owns connection ${current.id} and cannot be moved to ${connection.id} ` +
          `(that would orphan ${current.id}); give ${current.id} another owner or remove its owner first`,
      );
    }
    const edited = editAgent(text, file, loaded, agent, setConnection(connection.id));
    checkAndWrite(file, edited, env(), agent, connection.id);
    stdout(`linked agent ${agent} to connection ${connection.id}\n`);
  });

  withConfigOption(
    group
      .command('unlink')
      .description("remove an agent's connection (refused for the connection the agent owns)")
      .requiredOption('--agent <id>', 'the agent to unlink'),
  ).action(async (opts: { agent: string }, cmd: Command) => {
    const [{ parseConfig, readConfigText }, { checkAndWrite, editAgent, removeConnection }] = await modules();
    const file = configPathOf(cmd);
    const text = readConfigText(file);
    const loaded = parseConfig(text, file, env());
    const agent = requireAgent(loaded, opts.agent);
    const current = loaded.agents.get(agent)?.connection;
    if (!current) {
      stdout(`agent ${agent} is not linked to a connection\n`);
      return;
    }
    if (current.owner === agent) {
      throw new Error(
        `agent ${agent} owns connection ${current.id} and cannot be unlinked from it ` +
          `(that would orphan ${current.id}); give ${current.id} another owner or remove its owner first`,
      );
    }
    const edited = editAgent(text, file, loaded, agent, removeConnection);
    checkAndWrite(file, edited, env(), agent, undefined);
    stdout(`unlinked agent ${agent} from connection ${current.id}\n`);
  });

  return group;
}

// ---------------------------------------------------------------------------------------------------------

function idList(ids: Iterable<string>): string {
  const list = [...ids];
  return list.length === 0 ? 'none' : list.join(', ');
}

function requireAgent(loaded: LoadedConfig, id: string): string {
  if (!loaded.agents.has(id))
    throw new Error(`unknown agent '${id}' (agents: ${idList(loaded.agents.keys())})`);
  return id;
}

export function connectionRows(loaded: LoadedConfig): ConnectionRow[] {
  return [...loaded.connections.values()].map((c) => ({
    id: c.id,
    dialect: parseDatabaseUrl(c.url, loaded.dir).dialect,
    shareable: c.shareable,
    owner: c.owner ?? null,
    agents: loaded.config.agents.filter((a) => a.connection === c.id).map((a) => a.id),
  }));
}

function unlinkedAgents(loaded: LoadedConfig): string[] {
  return loaded.config.agents.filter((a) => a.connection === undefined).map((a) => a.id);
}

export function formatConnectionTable(rows: ConnectionRow[], unlinked: string[], file: string): string {
  if (rows.length === 0) return `no connections in ${file}\n`;
  const table = [
    ['CONNECTION', 'DIALECT', 'SHAREABLE', 'OWNER', 'LINKED AGENTS'],
    ...rows.map((r) => [
      r.id,
      r.dialect,
      r.shareable ? 'yes' : 'no',
      r.owner ?? '-',
      r.agents.join(', ') || '-',
    ]),
  ];
  const widths = table[0]?.map((_, col) => Math.max(...table.map((row) => row[col]?.length ?? 0))) ?? [];
  const lines = table.map((row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  if (unlinked.length > 0) lines.push('', `unlinked agents: ${unlinked.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function describeConnection(c: ConnectionConfig): string {
  const dialect = parseDatabaseUrl(c.url).dialect;
  return [
    dialect,
    c.shareable ? 'shareable' : 'not shareable',
    c.owner ? `owner ${c.owner}` : 'no owner',
  ].join(', ');
}

/** Why `agent` may not use `connection`, or undefined when it may. The same rule as the loader's. */
function linkRefusal(loaded: LoadedConfig, agent: string, connection: ConnectionConfig): string | undefined {
  if (connection.shareable || connection.owner === agent) return undefined;
  if (connection.owner !== undefined) {
    return `connection ${connection.id} is not shareable; only its owner ${connection.owner} may use it`;
  }
  const other = loaded.config.agents.find((a) => a.connection === connection.id && a.id !== agent);
  if (other) {
    return (
      `connection ${connection.id} is not shareable and agent ${other.id} already uses it; ` +
      'set shareable: true (and an owner) to share it'
    );
  }
  return undefined;
}

/** The connections an agent may be linked to: shareable ones, its own, and unowned ones nobody else uses. */
export function linkableConnections(loaded: LoadedConfig, agent: string): ConnectionConfig[] {
  return [...loaded.connections.values()].filter((c) => linkRefusal(loaded, agent, c) === undefined);
}

async function pickWithPrompt(message: string, choices: ConnectionChoice[]): Promise<string> {
  try {
    // the prompt library loads only when a prompt is shown
    const { select } = await import('@inquirer/prompts');
    return await select({ message, choices });
  } catch (err) {
    if (err instanceof Error && err.name === 'ExitPromptError')
      throw new Error('cancelled; nothing was changed');
    throw err;
  }
}
