// `parley connection list|link|unlink`: which agent queries which connection, edited in place in the YAML file.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isMap, isNode, isScalar, parseDocument, type Scalar, type YAMLMap } from 'yaml';
import { type LoadedConfig, parseConfig, readConfigText, YAML_OPTIONS } from '../config/load.ts';
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
  ).action((opts: { json?: boolean }, cmd: Command) => {
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
  ).action((opts: { agent: string }, cmd: Command) => {
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

/** Where the line holding `offset` ends (after its newline), or the end of the text. */
function endOfLine(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}

function startOfLine(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The text edit for a scalar value: the new id, quoted the way the old value was. */
function scalarText(node: Scalar, value: string): string {
  if (node.type === 'QUOTE_DOUBLE') return JSON.stringify(value);
  if (node.type === 'QUOTE_SINGLE') return `'${value}'`;
  return value;
}

/**
 * A change to the agent's mapping as a text splice, so every other byte of the file stays as the person wrote it.
 * The parsed Document only locates the nodes (their source ranges); the text is never re-serialised.
 */
type AgentEdit = (map: YAMLMap, text: string) => { from: number; to: number; insert: string };

/** Sets the agent's `connection`: the value in place when the key exists, else a new line after `name` (or `id`). */
function setConnection(id: string): AgentEdit {
  return (map, text) => {
    const existing = map.items.find((p) => isScalar(p.key) && p.key.value === 'connection');
    if (existing && isScalar(existing.value) && existing.value.range) {
      const [from, to] = existing.value.range;
      return { from, to, insert: scalarText(existing.value, id) };
    }
    const after =
      map.items.find((p) => isScalar(p.key) && p.key.value === 'name') ??
      map.items.find((p) => isScalar(p.key) && p.key.value === 'id');
    const key = after?.key;
    const value = after?.value;
    if (!isScalar(key) || !key.range || !isNode(value) || !value.range) {
      throw new Error(
        'the agent has neither a name nor an id line to add the connection after; edit it by hand',
      );
    }
    const column = key.range[0] - startOfLine(text, key.range[0]);
    const at = endOfLine(text, value.range[1]);
    const newline = text.slice(0, at).endsWith('\n') ? '' : '\n';
    return { from: at, to: at, insert: `${newline}${' '.repeat(column)}connection: ${id}\n` };
  };
}

/** Removes the agent's `connection` line, comment included; refused when the key shares its line with another. */
const removeConnection: AgentEdit = (map, text) => {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === 'connection');
  const key = pair?.key;
  const value = pair?.value;
  // no key of its own (it comes from a merge key): nothing to remove here; checkAndWrite says why that fails
  if (!isScalar(key) || !key.range || !isNode(value) || !value.range) return { from: 0, to: 0, insert: '' };
  const from = startOfLine(text, key.range[0]);
  if (text.slice(from, key.range[0]).trim() !== '') {
    throw new Error('the connection key shares its line with another key; edit it by hand');
  }
  return { from, to: endOfLine(text, value.range[1]), insert: '' };
};

/** Applies `edit` to the agent's mapping and returns the new text: only the edited lines differ. */
function editAgent(text: string, file: string, loaded: LoadedConfig, agent: string, edit: AgentEdit): string {
  const doc = parseDocument(text, YAML_OPTIONS);
  const index = loaded.config.agents.findIndex((a) => a.id === agent);
  const map = doc.getIn(['agents', index], true);
  if (!isMap(map) || map.flow) {
    throw new Error(
      `agents[${index}] in ${file} is not a block mapping (a flow map or an alias?); edit it by hand`,
    );
  }
  const { from, to, insert } = edit(map, text);
  return text.slice(0, from) + insert + text.slice(to);
}

/** Never writes a broken file: the edited text must load and give the agent the expected connection. */
function checkAndWrite(
  file: string,
  text: string,
  env: NodeJS.ProcessEnv,
  agent: string,
  expected: string | undefined,
): void {
  let loaded: LoadedConfig;
  try {
    loaded = parseConfig(text, file, env);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`the edited config would not be valid, so ${file} was not changed:\n${why}`);
  }
  if (loaded.agents.get(agent)?.config.connection !== expected) {
    throw new Error(
      `agent ${agent}'s connection comes from a YAML alias or merge key in ${file}; edit it by hand (nothing was changed)`,
    );
  }
  writeFileAtomic(file, text);
}

/** Writes a temp file beside the target and renames it over, so readers see the old or the new file, never half. */
export function writeFileAtomic(file: string, text: string): void {
  let target = file;
  let mode = 0o644;
  try {
    target = fs.realpathSync(file); // a symlinked config stays a symlink
    mode = fs.statSync(target).mode & 0o777;
  } catch {
    // a new file: default mode
  }
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    const fd = fs.openSync(tmp, 'wx', mode);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
