// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config file's interpolation syntax, not a mistaken template
// Loads parley.config.yaml: YAML parsing, ${VAR} interpolation, zod validation, cross-references, path resolution.

import fs from 'node:fs';
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import { CORE_SCHEMA, load as loadPlainYaml, mergeTag } from 'js-yaml';
import type { Document, Node } from 'yaml';
import type { z } from 'zod';
import { parseDatabaseUrl } from '../db/connect.ts';
import { ParleyError } from '../errors.ts';
import { applyTablePrompts, type PromptReport } from '../semantic/prompts.ts';
import { type AgentConfig, type ConnectionConfig, ParleyConfig, SemanticModel } from './schema.ts';
import { yamlLibrary } from './yaml-library.ts';

export type PathSegment = string | number;

export interface ConfigIssue {
  /** where in the document, e.g. `agents[0].model.tables.orders.columns.status.type`; '' for the whole file */
  path: string;
  message: string;
  /** set when the problem is in another file than the ConfigError's (a modelFile) */
  file?: string;
  /** 1-based position in that file, when known */
  line?: number;
  column?: number;
}

/** Every problem found in a config file, one per line in the message: `<file>: <path>: <what is wrong>`. */
export class ConfigError extends ParleyError {
  override name = 'ConfigError';
  readonly file: string;
  readonly issues: ConfigIssue[];

  /** the operator's file, not the asker's request: a server failure wherever it surfaces */
  constructor(file: string, issues: ConfigIssue[]) {
    super(500, 'invalid_config', issues.map((issue) => formatIssue(file, issue)).join('\n'));
    this.file = file;
    this.issues = issues;
  }
}

function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.path === '' ? '' : `${issue.path}: `;
  const line = issue.line !== undefined && issue.path !== '' ? ` (line ${issue.line})` : '';
  return `${issue.file ?? file}: ${where}${issue.message}${line}`;
}

export interface ResolvedAgent {
  config: AgentConfig;
  /**
   * the agent's semantic model: inline `model`, or the content of `modelFile`, plus the synonyms and segments its
   * table prompts state (see server/semantic/prompts.ts); `config.model` stays exactly what the YAML says
   */
  model: SemanticModel;
  /** what each sentence of the table prompts was read as, and what of it was merged into `model` */
  prompts?: PromptReport;
  /** undefined when the agent is not linked to a connection */
  connection?: ConnectionConfig;
}

export interface LoadedConfig {
  /** absolute path of the config file */
  file: string;
  /** absolute directory of the config file; relative paths in the config are relative to it */
  dir: string;
  /** the validated config; relative sqlite URLs are already resolved to `sqlite:///absolute/path` */
  config: ParleyConfig;
  agents: Map<string, ResolvedAgent>;
  connections: Map<string, ConnectionConfig>;
  /** PARLEY_STORE_URL, else store.url, else sqlite://./data/parley-store.sqlite (relative to the config) */
  storeUrl: string;
}

export const DEFAULT_STORE_URL = 'sqlite://./data/parley-store.sqlite';

/** Reads and validates a config file; throws ConfigError listing every problem. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return parseConfig(readConfigText(file), file, env);
}

/** The text of a config file; a missing or unreadable file is a ConfigError saying so. */
export function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `config file not found (looked for ${path.resolve(file)}; pass --config PATH)`
        : `cannot read the config file: ${(err as Error).message}`;
    throw new ConfigError(file, [{ path: '', message }]);
  }
}

/** Validates config text as if read from `file` (used for messages and to resolve relative paths). */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const absFile = path.resolve(file);
  const dir = path.dirname(absFile);
  const source = readYaml(text, file);
  if (source.issues.length > 0) throw new ConfigError(file, source.issues);
  if (source.data === null || source.data === undefined) {
    throw new ConfigError(file, [
      { path: '', message: 'the file is empty; expected a mapping with at least agents:' },
    ]);
  }

  const interpolated = interpolateEnv(source.data, env);
  const issues: ConfigIssue[] = interpolated.issues.map((i) => source.issue(i.path, i.message));
  const badPaths = new Set(interpolated.issues.map((i) => formatPath(i.path)));
  const parsed = ParleyConfig.safeParse(interpolated.value, { jitless: true });
  if (!parsed.success) {
    for (const issue of zodIssues(parsed.error.issues, ParleyConfig, interpolated.value)) {
      if (!badPaths.has(formatPath(issue.path))) issues.push(source.issue(issue.path, issue.message));
    }
  }
  if (!parsed.success || issues.length > 0) throw new ConfigError(file, issues);

  const config = parsed.data;
  const models = new Map<AgentConfig, SemanticModel>();
  const modelFiles = new Map<string, ReturnType<typeof loadModelFile>>();
  config.agents.forEach((agent, i) => {
    if (agent.model) {
      models.set(agent, agent.model);
    } else if (agent.modelFile !== undefined) {
      // agents may share a model file: read and report it once
      const key = path.resolve(dir, agent.modelFile);
      let loaded = modelFiles.get(key);
      if (!loaded) {
        loaded = loadModelFile(agent.modelFile, file, dir, env, source, ['agents', i, 'modelFile']);
        modelFiles.set(key, loaded);
        issues.push(...loaded.issues);
      }
      if (loaded.model) models.set(agent, loaded.model);
    }
  });

  issues.push(...crossReferenceIssues(config, source));
  for (const [j, connection] of config.connections.entries()) {
    const resolved = resolveDatabaseUrl(connection.url, dir);
    if (typeof resolved === 'string') connection.url = resolved;
    else issues.push(source.issue(['connections', j, 'url'], resolved.error));
  }
  const storeSetting = env.PARLEY_STORE_URL || config.store?.url || DEFAULT_STORE_URL;
  const storeUrl = resolveDatabaseUrl(storeSetting, dir);
  if (typeof storeUrl !== 'string') {
    issues.push(
      env.PARLEY_STORE_URL
        ? { path: '', message: `PARLEY_STORE_URL: ${storeUrl.error}` }
        : source.issue(['store', 'url'], storeUrl.error),
    );
  }
  if (issues.length > 0 || typeof storeUrl !== 'string') throw new ConfigError(file, issues);

  const connections = new Map(config.connections.map((c) => [c.id, c]));
  const agents = new Map<string, ResolvedAgent>();
  for (const agent of config.agents) {
    const model = models.get(agent);
    if (!model) continue; // unreachable: a missing model is an issue above
    const connection = agent.connection === undefined ? undefined : connections.get(agent.connection);
    // prompts are read per agent: what validates depends on the agent (multiTenant, userContext)
    const read = applyTablePrompts(agent, model);
    const resolved: ResolvedAgent = { config: agent, model: read.model, prompts: read.report };
    agents.set(agent.id, connection ? { ...resolved, connection } : resolved);
  }
  return { file: absFile, dir, config, agents, connections, storeUrl };
}

// ---------------------------------------------------------------------------------------------------------
// YAML

interface YamlSource {
  file: string;
  data: unknown;
  issues: ConfigIssue[];
  /** an issue at a document path, with the line of the nearest node that exists there */
  issue(at: PathSegment[], message: string): ConfigIssue;
}

/** Options shared with the commands that edit the file, so both read it the same way. */
export const YAML_OPTIONS = { merge: true, stringKeys: true, prettyErrors: false, uniqueKeys: true } as const;

// js-yaml reads plain data (no anchors, aliases, tags or directives) in a fraction of the time `yaml` takes on a cold
// start (about 20 against 90 ms for the demo config, the largest part of start-up before listening). `yaml` stays the
// reader of everything else, of syntax errors (with their line), and of the line of an issue, for which it parses the
// file again only when there is one. For plain data the two agree (load.test.ts compares them on every shipped config).
const NOT_PLAIN = /^%|(?:^|[\s[{,])[&*!][^\s,[\]{}]/m;
const PLAIN_SCHEMA = CORE_SCHEMA.withTags(mergeTag);

function readYaml(text: string, file: string, issueFile?: string): YamlSource {
  let data: unknown;
  try {
    if (NOT_PLAIN.test(text)) return readYamlDocument(text, file, issueFile);
    data = loadPlainYaml(text, { schema: PLAIN_SCHEMA });
  } catch {
    return readYamlDocument(text, file, issueFile); // to say what is wrong, and where
  }
  let document: YamlSource | undefined;
  return {
    file,
    data,
    issues: [],
    issue(at, message) {
      document ??= readYamlDocument(text, file, issueFile);
      return document.issue(at, message);
    },
  };
}

function readYamlDocument(text: string, file: string, issueFile?: string): YamlSource {
  const { LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter });
  const position = (offset: number) => lineCounter.linePos(offset);
  const withFile = (issue: ConfigIssue): ConfigIssue => (issueFile ? { file: issueFile, ...issue } : issue);
  const issues = doc.errors.map((err) => {
    const { line, col } = position(err.pos[0]);
    const message = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? err.message;
    return withFile({
      path: '',
      message: `line ${line}:${col}: YAML syntax error: ${message}`,
      line,
      column: col,
    });
  });
  return {
    file,
    data: issues.length > 0 ? undefined : doc.toJS({ maxAliasCount: 1000 }),
    issues,
    issue(at, message) {
      const offset = locate(doc, at);
      const pos = offset === undefined ? undefined : position(offset);
      return withFile({
        path: formatPath(at),
        message,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
      });
    },
  };
}

/** Source offset of the node at `at` (the key, for a map entry), or of its nearest existing ancestor. */
function locate(doc: Document, at: PathSegment[]): number | undefined {
  const { isMap, isPair, isScalar, isSeq } = yamlLibrary();
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of at) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (!node) break;
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

/** `agents[0].model.tables.orders`; keys that are not plain names are quoted: `columns["bad key"]`. */
export function formatPath(at: readonly PathSegment[]): string {
  let out = '';
  for (const segment of at) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Environment interpolation

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` (default when VAR is unset or empty) in every string value of
 * already-parsed YAML; `$${` stands for a literal `${`. Keys are left alone. Working on parsed values,
 * not on the text, means a variable's value can never change the document's structure.
 */
export function interpolateEnv(
  value: unknown,
  env: NodeJS.ProcessEnv = process.env,
  at: PathSegment[] = [],
): { value: unknown; issues: Array<{ path: PathSegment[]; message: string }> } {
  const issues: Array<{ path: PathSegment[]; message: string }> = [];
  const walk = (v: unknown, where: PathSegment[]): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('${')) return v;
      return v.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$${') return '${';
        if (name === undefined) {
          issues.push({
            path: where,
            message: 'malformed ${...}: expected ${NAME} or ${NAME:-default} (write $${ for a literal ${)',
          });
          return match;
        }
        const set = env[name];
        if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
        if (set === undefined) {
          issues.push({
            path: where,
            message: `environment variable ${name} is not set (use \${${name}:-default} for a default)`,
          });
          return match;
        }
        return set;
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...where, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        // defineProperty: a `__proto__` key stays a plain (and then unknown) key
        Object.defineProperty(out, key, {
          value: walk(item, [...where, key]),
          enumerable: true,
          writable: true,
        });
      }
      return out;
    }
    return v;
  };
  return { value: walk(value, at), issues };
}

// ---------------------------------------------------------------------------------------------------------
// zod issues -> readable messages

type ZodIssue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

interface SchemaDef {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  innerType?: AnySchema;
  in?: AnySchema;
  getter?: () => AnySchema;
  options?: AnySchema[];
  discriminator?: string;
}

const defOf = (schema: AnySchema): SchemaDef => schema._zod.def as unknown as SchemaDef;

/** The object schema at a data path, to name the keys a strict object allows. Best effort. */
function schemaAt(root: AnySchema, at: readonly PathSegment[], data: unknown): AnySchema | undefined {
  let schema: AnySchema | undefined = root;
  let value = data;
  let i = 0;
  for (let guard = 0; schema && guard < 200; guard++) {
    const def = defOf(schema);
    if (def.innerType) schema = def.innerType;
    else if (def.getter) schema = def.getter();
    else if (def.type === 'pipe') schema = def.in;
    else if (def.options) {
      const options: AnySchema[] = def.options;
      const disc = def.discriminator;
      const tag =
        disc && value && typeof value === 'object' ? (value as Record<string, unknown>)[disc] : undefined;
      schema =
        options.find((o) => {
          const field = disc ? defOf(o).shape?.[disc] : undefined;
          return field ? isValid(field, tag) : false;
        }) ?? options.find((o) => defOf(o).type === 'object');
    } else if (i === at.length) return schema;
    else {
      const segment = at[i++] as PathSegment;
      value =
        value && typeof value === 'object' ? (value as Record<string, unknown>)[String(segment)] : undefined;
      if (def.type === 'object') schema = def.shape?.[String(segment)];
      else if (def.type === 'array') schema = def.element;
      else if (def.type === 'record') schema = def.valueType;
      else return undefined;
    }
  }
  return undefined;
}

function isValid(schema: AnySchema, value: unknown): boolean {
  const result = schema['~standard'].validate(value);
  return !(result instanceof Promise) && result.issues === undefined;
}

function valueAt(data: unknown, at: readonly PathSegment[]): unknown {
  let v = data;
  for (const segment of at) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(segment)];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const EXPECTED_TYPE: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** Turns zod issues into path + readable message pairs (unknown keys get one issue each, with a suggestion). */
export function zodIssues(
  issues: readonly ZodIssue[],
  root: AnySchema,
  data: unknown,
  prefix: PathSegment[] = [],
): Array<{ path: PathSegment[]; message: string }> {
  const out: Array<{ path: PathSegment[]; message: string }> = [];
  for (const issue of issues) {
    const at = [...prefix, ...(issue.path as PathSegment[])];
    const value = valueAt(data, at);
    const add = (message: string, where = at) => out.push({ path: where, message });
    switch (issue.code) {
      case 'invalid_type':
        if (value === undefined) add('required');
        else add(`expected ${EXPECTED_TYPE[issue.expected] ?? issue.expected}, got ${describeValue(value)}`);
        break;
      case 'invalid_value':
        if (value === undefined) add(`required: one of ${issue.values.map(String).join('|')}`);
        else if (issue.values.length === 1)
          add(`expected ${JSON.stringify(issue.values[0])}, got ${describeValue(value)}`);
        else add(`expected one of ${issue.values.map(String).join('|')}, got ${describeValue(value)}`);
        break;
      case 'unrecognized_keys': {
        const schema = schemaAt(root, at, data);
        const known = schema ? Object.keys(defOf(schema).shape ?? {}) : [];
        for (const key of issue.keys) {
          const close = known
            .map((k) => ({ k, d: distance(k.toLowerCase(), key.toLowerCase()) }))
            .filter((c) => c.d <= Math.max(2, Math.floor(key.length / 3)))
            .sort((a, b) => a.d - b.d)[0];
          const hint = close
            ? ` (did you mean '${close.k}'?)`
            : known.length > 0
              ? ` (allowed keys: ${known.join(', ')})`
              : '';
          add(`unknown key '${key}'${hint}`, [...at, key]);
        }
        break;
      }
      case 'too_small':
      case 'too_big': {
        const small = issue.code === 'too_small';
        const bound = Number(small ? issue.minimum : issue.maximum);
        const inclusive = issue.inclusive !== false;
        if (issue.origin === 'array') {
          add(`expected ${small ? 'at least' : 'at most'} ${bound} ${bound === 1 ? 'item' : 'items'}`);
        } else if (issue.origin === 'string') {
          add(
            small && bound === 1
              ? 'must not be empty'
              : `expected ${small ? 'at least' : 'at most'} ${bound} characters`,
          );
        } else {
          const op = small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
          add(`expected a number ${op} ${bound}, got ${describeValue(value)}`);
        }
        break;
      }
      case 'invalid_format':
        if (issue.format === 'regex') {
          add(
            issue.message.startsWith('Invalid')
              ? `expected a string matching ${issue.pattern}`
              : issue.message,
          );
        } else if (issue.format === 'url') add(`expected a URL, got ${describeValue(value)}`);
        else add(`expected ${issue.format}, got ${describeValue(value)}`);
        break;
      case 'invalid_key':
        add(
          `invalid key: ${zodIssues(issue.issues, root, undefined)
            .map((i) => i.message)
            .join('; ')}`,
        );
        break;
      case 'invalid_union': {
        if (issue.errors.length === 0) {
          const options = (issue as { options?: unknown[] }).options ?? [];
          add(
            value === undefined
              ? `required: one of ${options.map(String).join('|')}`
              : `expected one of ${options.map(String).join('|')}, got ${describeValue(value)}`,
          );
          break;
        }
        const branches = issue.errors;
        const allTypes = branches.every(
          (b) => b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0,
        );
        if (allTypes) {
          const names = branches.map((b) => {
            const first = b[0] as { expected?: string };
            return first.expected === 'boolean'
              ? 'a boolean'
              : (EXPECTED_TYPE[first.expected ?? ''] ?? String(first.expected));
          });
          const list = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
          add(value === undefined ? 'required' : `expected ${list}, got ${describeValue(value)}`);
        } else {
          // the branch that got furthest (fewest problems) says the most useful thing
          const best = [...branches].sort((a, b) => a.length - b.length)[0] ?? [];
          out.push(...zodIssues(best, root, data, at));
        }
        break;
      }
      default:
        add(issue.message);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Model files, cross-references, URLs

function loadModelFile(
  modelFile: string,
  configFile: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  config: YamlSource,
  at: PathSegment[],
): { model?: SemanticModel; source?: YamlSource; issues: ConfigIssue[] } {
  const shown = path.isAbsolute(modelFile) ? modelFile : path.join(path.dirname(configFile), modelFile);
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(dir, modelFile), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : `cannot be read (${(err as Error).message})`;
    return { issues: [config.issue(at, `model file ${shown} ${why}`)] };
  }
  const source = readYaml(text, shown, shown);
  if (source.issues.length > 0) return { issues: source.issues };
  if (source.data === null || source.data === undefined) {
    return {
      issues: [
        { file: shown, path: '', message: 'the model file is empty; expected a mapping with tables:' },
      ],
    };
  }
  const interpolated = interpolateEnv(source.data, env);
  const issues = interpolated.issues.map((i) => source.issue(i.path, i.message));
  if (issues.length > 0) return { issues };
  const parsed = SemanticModel.safeParse(interpolated.value);
  if (!parsed.success) {
    return {
      issues: zodIssues(parsed.error.issues, SemanticModel, interpolated.value).map((i) =>
        source.issue(i.path, i.message),
      ),
    };
  }
  return { model: parsed.data, source, issues: [] };
}

function idList(ids: Iterable<string>): string {
  const list = [...ids];
  return list.length === 0 ? 'none' : list.join(', ');
}

function crossReferenceIssues(config: ParleyConfig, source: YamlSource): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const firstAgent = new Map<string, number>();
  config.agents.forEach((agent, i) => {
    const first = firstAgent.get(agent.id);
    if (first === undefined) firstAgent.set(agent.id, i);
    else
      issues.push(
        source.issue(['agents', i, 'id'], `duplicate agent id '${agent.id}' (also agents[${first}])`),
      );
  });
  const firstConnection = new Map<string, number>();
  config.connections.forEach((connection, j) => {
    const first = firstConnection.get(connection.id);
    if (first === undefined) firstConnection.set(connection.id, j);
    else {
      issues.push(
        source.issue(
          ['connections', j, 'id'],
          `duplicate connection id '${connection.id}' (also connections[${first}])`,
        ),
      );
    }
  });

  config.connections.forEach((connection, j) => {
    if (connection.owner !== undefined && !firstAgent.has(connection.owner)) {
      issues.push(
        source.issue(
          ['connections', j, 'owner'],
          `unknown agent '${connection.owner}' (agents: ${idList(firstAgent.keys())})`,
        ),
      );
    }
    if (connection.pool?.max !== undefined && connection.pool.min > connection.pool.max) {
      issues.push(
        source.issue(['connections', j, 'pool', 'min'], 'pool.min must not be greater than pool.max'),
      );
    }
  });

  // an ownerless connection that is not shareable belongs to the one agent using it
  const usersOfUnowned = new Map<string, string>();
  config.agents.forEach((agent, i) => {
    const at = ['agents', i];
    if (agent.connection !== undefined) {
      const j = firstConnection.get(agent.connection);
      const connection = j === undefined ? undefined : config.connections[j];
      if (!connection) {
        issues.push(
          source.issue(
            [...at, 'connection'],
            `unknown connection '${agent.connection}' (connections: ${idList(firstConnection.keys())})`,
          ),
        );
      } else if (!connection.shareable && connection.owner !== undefined && connection.owner !== agent.id) {
        issues.push(
          source.issue(
            [...at, 'connection'],
            `connection ${connection.id} is not shareable; only its owner ${connection.owner} may use it`,
          ),
        );
      } else if (!connection.shareable && connection.owner === undefined) {
        const user = usersOfUnowned.get(connection.id);
        if (user === undefined) usersOfUnowned.set(connection.id, agent.id);
        else {
          issues.push(
            source.issue(
              [...at, 'connection'],
              `connection ${connection.id} is not shareable and agent ${user} already uses it; ` +
                'set shareable: true (and an owner) to share it',
            ),
          );
        }
      }
    }
    if (!isTimeZone(agent.timeZone)) {
      issues.push(
        source.issue(
          [...at, 'timeZone'],
          `unknown time zone '${agent.timeZone}': expected an IANA zone like UTC or Europe/Paris`,
        ),
      );
    }
  });
  return issues;
}

/**
 * Whether Intl knows the zone. UTC (which every implementation has) and the canonical IANA names are told without
 * making a DateTimeFormat: the first one made loads ICU's date formatting, ~25 ms of `parley serve` before it
 * listens that the first answer pays anyway. Other names (aliases such as US/Eastern) are checked by making one.
 */
let canonicalZones: Set<string> | undefined;
function isTimeZone(zone: string): boolean {
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (/^utc$/i.test(zone) || canonicalZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Checks a database URL and makes a relative sqlite path absolute (relative to the config's directory). */
function resolveDatabaseUrl(url: string, dir: string): string | { error: string } {
  try {
    const target = parseDatabaseUrl(url, dir);
    if (target.dialect === 'sqlite' && target.location !== ':memory:') return `sqlite://${target.location}`;
    return url;
  } catch (err) {
    return { error: (err as Error).message };
  }
}
