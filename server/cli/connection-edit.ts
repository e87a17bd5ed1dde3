// Edits an agent's entry in parley.config.yaml in place for `parley connection link|unlink`: text splices located by
// the parsed YAML document, checked by loading the edited text before it is written (atomically).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Scalar, YAMLMap } from 'yaml';
import { type LoadedConfig, parseConfig, YAML_OPTIONS } from '../config/load.ts';
import { yamlLibrary } from '../config/yaml-library.ts';

// loaded with this module: only `parley connection link|unlink` edit the config
const { isMap, isNode, isScalar, parseDocument } = yamlLibrary();

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
export type AgentEdit = (map: YAMLMap, text: string) => { from: number; to: number; insert: string };

/** Sets the agent's `connection`: the value in place when the key exists, else a new line after `name` (or `id`). */
export function setConnection(id: string): AgentEdit {
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
export const removeConnection: AgentEdit = (map, text) => {
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
export function editAgent(
  text: string,
  file: string,
  loaded: LoadedConfig,
  agent: string,
  edit: AgentEdit,
): string {
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
export function checkAndWrite(
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
