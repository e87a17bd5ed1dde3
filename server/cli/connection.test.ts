import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import {
  type ConnectionChoice,
  type ConnectionCommandDeps,
  registerConnectionCommands,
} from './connection.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-connection-'));
  file = path.join(dir, 'parley.config.yaml');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

// pattern (b): a shareable connection owned by `primary`, plus a private one owned by `vip`
const CONFIG = `# Parley config for the connection tests
version: 1

connections:
  # the shared warehouse
  - id: warehouse
    url: sqlite://./warehouse.sqlite
    shareable: true # customers may link to it
    owner: primary
  - id: vault
    url: mysql://u:\${VAULT_PASSWORD:-pw}@db:3306/vault
    owner: vip

agents:
  - id: primary # the owner
    name: Primary
    connection: warehouse
    model: { tables: {} }
  - id: acme
    name: 'Acme Corp'
    # acme has no connection yet
    timeZone: Europe/Paris
    model: { tables: {} }
  - id: globex
    connection: warehouse # linked
    model: { tables: {} }
  - id: vip
    connection: vault
    model: { tables: {} }
`;

interface Run {
  out: string;
  error?: Error;
}

async function run(args: string[], deps: ConnectionCommandDeps = {}): Promise<Run> {
  let out = '';
  const program = new Command('parley').exitOverride();
  registerConnectionCommands(program, {
    env: {},
    isInteractive: () => false,
    ...deps,
    stdout: (text) => {
      out += text;
    },
  });
  try {
    await program.parseAsync(['connection', ...args, '--config', file], { from: 'user' });
    return { out };
  } catch (err) {
    return { out, error: err as Error };
  }
}

const read = () => fs.readFileSync(file, 'utf8');

describe('parley connection list', () => {
  it('prints connection, dialect, shareable, owner and linked agents', async () => {
    fs.writeFileSync(file, CONFIG);
    const { out, error } = await run(['list']);
    expect(error).toBeUndefined();
    expect(out).toBe(
      [
        'CONNECTION  DIALECT  SHAREABLE  OWNER    LINKED AGENTS',
        'warehouse   sqlite   yes        primary  primary, globex',
        'vault       mysql    no         vip      vip',
        '',
        'unlinked agents: acme',
        '',
      ].join('\n'),
    );
    expect(out).not.toContain('pw@'); // no URLs, so no secrets
  });

  it('prints JSON with --json', async () => {
    fs.writeFileSync(file, CONFIG);
    const { out } = await run(['list', '--json']);
    expect(JSON.parse(out)).toEqual([
      {
        id: 'warehouse',
        dialect: 'sqlite',
        shareable: true,
        owner: 'primary',
        agents: ['primary', 'globex'],
      },
      { id: 'vault', dialect: 'mysql', shareable: false, owner: 'vip', agents: ['vip'] },
    ]);
  });

  it('takes --config from the parent program too', async () => {
    fs.writeFileSync(file, CONFIG);
    let out = '';
    const program = new Command('parley')
      .exitOverride()
      .option('--config <path>', 'config', './parley.config.yaml');
    registerConnectionCommands(program, {
      env: {},
      stdout: (t) => {
        out += t;
      },
    });
    await program.parseAsync(['--config', file, 'connection', 'list', '--json'], { from: 'user' });
    expect(JSON.parse(out)).toHaveLength(2);
  });

  it('says when the config file is missing', async () => {
    const { error } = await run(['list']);
    expect(error?.message).toBe(`${file}: config file not found (looked for ${file}; pass --config PATH)`);
  });

  it('fails with the config error when the file does not load', async () => {
    fs.writeFileSync(file, CONFIG.replace('owner: vip', 'owner: nobody'));
    const { error } = await run(['list']);
    expect(error?.message).toContain(`${file}: connections[1].owner: unknown agent 'nobody'`);
  });
});

describe('parley connection link', () => {
  it('adds the key after name, keeps comments, quotes and key order, and the result loads', async () => {
    fs.writeFileSync(file, CONFIG);
    const { out, error } = await run(['link', '--agent', 'acme', '--connection', 'warehouse']);
    expect(error).toBeUndefined();
    expect(out).toBe('linked agent acme to connection warehouse\n');
    const text = read();
    expect(text).toContain(
      "  - id: acme\n    name: 'Acme Corp'\n    connection: warehouse\n    # acme has no connection yet\n    timeZone: Europe/Paris\n",
    );
    for (const comment of [
      '# Parley config for the connection tests',
      '# the shared warehouse',
      '# customers may link to it',
      '# the owner',
      '# linked',
    ]) {
      expect(text).toContain(comment);
    }
    // the only change is the added line
    expect(text.replace('    connection: warehouse\n    # acme', '    # acme')).toBe(CONFIG);
    expect(loadConfig(file, {}).agents.get('acme')?.connection?.id).toBe('warehouse');
  });

  it('round-trips: unlink then link gives back the file byte for byte', async () => {
    fs.writeFileSync(file, CONFIG);
    expect((await run(['unlink', '--agent', 'globex'])).out).toBe(
      'unlinked agent globex from connection warehouse\n',
    );
    expect(read()).not.toContain('# linked');
    expect(read()).toContain('  - id: globex\n    model: { tables: {} }\n');
    expect(loadConfig(file, {}).agents.get('globex')?.connection).toBeUndefined();
    await run(['link', '--agent', 'acme', '--connection', 'warehouse']);
    await run(['unlink', '--agent', 'acme']);
    expect(read()).toBe(CONFIG.replace('    connection: warehouse # linked\n', ''));
  });

  it('keeps a non-indented sequence style and unpadded flow maps', async () => {
    const compact = `agents:\n- id: a\n  model: {tables: {}}\n- id: b\n  model: {tables: {}}\nconnections:\n- id: c\n  url: sqlite://./c.sqlite\n  shareable: true\n`;
    fs.writeFileSync(file, compact);
    await run(['link', '--agent', 'b', '--connection', 'c']);
    expect(read()).toBe(compact.replace('- id: b\n', '- id: b\n  connection: c\n'));
  });

  it('refuses a connection that is not shareable, unless the agent owns it; the file is untouched', async () => {
    fs.writeFileSync(file, CONFIG);
    const { error } = await run(['link', '--agent', 'acme', '--connection', 'vault']);
    expect(error?.message).toBe('connection vault is not shareable; only its owner vip may use it');
    expect(read()).toBe(CONFIG);
    // the owner may (it is already linked: a no-op)
    expect((await run(['link', '--agent', 'vip', '--connection', 'vault'])).out).toBe(
      'agent vip is already linked to connection vault\n',
    );
    expect(read()).toBe(CONFIG);
  });

  it('refuses an unknown agent or connection, listing the known ones', async () => {
    fs.writeFileSync(file, CONFIG);
    expect((await run(['link', '--agent', 'ghost', '--connection', 'warehouse'])).error?.message).toBe(
      "unknown agent 'ghost' (agents: primary, acme, globex, vip)",
    );
    expect((await run(['link', '--agent', 'acme', '--connection', 'lake'])).error?.message).toBe(
      "unknown connection 'lake' (connections: warehouse, vault)",
    );
    expect(read()).toBe(CONFIG);
  });

  it('refuses to move an owner away from the connection it owns', async () => {
    fs.writeFileSync(file, CONFIG.replace('owner: vip', 'owner: vip\n    shareable: true'));
    const { error } = await run(['link', '--agent', 'primary', '--connection', 'vault']);
    expect(error?.message).toBe(
      'agent primary owns connection warehouse and cannot be moved to vault (that would orphan warehouse); ' +
        'give warehouse another owner or remove its owner first',
    );
  });

  it('relinks a linked agent by changing the value in place, keeping its comment', async () => {
    fs.writeFileSync(file, CONFIG.replace('owner: vip', 'owner: vip\n    shareable: true'));
    await run(['link', '--agent', 'globex', '--connection', 'vault']);
    expect(read()).toContain('  - id: globex\n    connection: vault # linked\n');
  });

  it('without --connection and without a terminal, fails listing the choices', async () => {
    fs.writeFileSync(file, CONFIG);
    const { error } = await run(['link', '--agent', 'acme']);
    expect(error?.message).toBe(
      '--connection is required when stdin is not a terminal; choose one of: warehouse (sqlite, shareable, owner primary)',
    );
    expect(read()).toBe(CONFIG);
  });

  it('without --connection on a terminal, asks among the connections the agent may use', async () => {
    fs.writeFileSync(file, CONFIG);
    let offered: ConnectionChoice[] = [];
    const { error, out } = await run(['link', '--agent', 'acme'], {
      isInteractive: () => true,
      pick: async (message, choices) => {
        expect(message).toBe('Link agent acme to which connection?');
        offered = choices;
        return 'warehouse';
      },
    });
    expect(error).toBeUndefined();
    expect(offered).toEqual([
      { name: 'warehouse', value: 'warehouse', description: 'sqlite, shareable, owner primary' },
    ]);
    expect(out).toBe('linked agent acme to connection warehouse\n');
    // the owner of a private connection is offered it too
    await run(['unlink', '--agent', 'globex']);
    await run(['link', '--agent', 'vip'], {
      isInteractive: () => true,
      pick: async (_m, choices) => {
        offered = choices;
        return 'vault';
      },
    });
    expect(offered.map((c) => c.value)).toEqual(['warehouse', 'vault']);
  });

  it('says so when no connection can be linked', async () => {
    const private_ = CONFIG.replace('shareable: true # customers may link to it', 'shareable: false');
    fs.writeFileSync(file, private_.replace('    connection: warehouse # linked\n', ''));
    const { error } = await run(['link', '--agent', 'acme'], { isInteractive: () => true });
    expect(error?.message).toBe(
      'no connection can be linked to agent acme: none is shareable or owned by it (connections: warehouse, vault)',
    );
  });

  it('checks the edited file before writing: nothing is written when the edit would not take', async () => {
    // b inherits its connection through a YAML merge key: deleting b's own key cannot unlink it
    const merged = `connections:
  - { id: warehouse, url: "sqlite://./w.sqlite", shareable: true }
agents:
  - &a { id: a, connection: warehouse, model: { tables: {} } }
  - <<: *a
    id: b
`;
    fs.writeFileSync(file, merged);
    expect(loadConfig(file, {}).agents.get('b')?.connection?.id).toBe('warehouse');
    const { error } = await run(['unlink', '--agent', 'b']);
    expect(error?.message).toBe(
      `agent b's connection comes from a YAML alias or merge key in ${file}; edit it by hand (nothing was changed)`,
    );
    expect(read()).toBe(merged);
    expect(fs.readdirSync(dir)).toEqual(['parley.config.yaml']);
  });

  it('refuses before editing when the file does not load', async () => {
    fs.writeFileSync(file, `${CONFIG}colour: blue\n`);
    const { error } = await run(['link', '--agent', 'acme', '--connection', 'warehouse']);
    expect(error?.message).toContain(`${file}: colour: unknown key 'colour'`);
    expect(read()).toBe(`${CONFIG}colour: blue\n`);
  });

  it('writes through a symlink and keeps the file mode', async () => {
    const real = path.join(dir, 'real.yaml');
    fs.writeFileSync(real, CONFIG, { mode: 0o600 });
    fs.symlinkSync(real, file);
    await run(['link', '--agent', 'acme', '--connection', 'warehouse']);
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, 'utf8')).toContain('    connection: warehouse\n    # acme');
    expect(fs.statSync(real).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).sort()).toEqual(['parley.config.yaml', 'real.yaml']);
  });
});

describe('parley connection unlink', () => {
  it('refuses to unlink the owner of the connection', async () => {
    fs.writeFileSync(file, CONFIG);
    const { error } = await run(['unlink', '--agent', 'primary']);
    expect(error?.message).toBe(
      'agent primary owns connection warehouse and cannot be unlinked from it (that would orphan warehouse); ' +
        'give warehouse another owner or remove its owner first',
    );
    expect(read()).toBe(CONFIG);
  });

  it('reports an agent that is not linked, without writing', async () => {
    fs.writeFileSync(file, CONFIG);
    const before = fs.statSync(file).mtimeMs;
    expect((await run(['unlink', '--agent', 'acme'])).out).toBe('agent acme is not linked to a connection\n');
    expect(fs.statSync(file).mtimeMs).toBe(before);
  });

  it('requires --agent', async () => {
    fs.writeFileSync(file, CONFIG);
    const { error } = await run(['unlink']);
    expect(error?.message).toContain("required option '--agent <id>' not specified");
  });
});

describe("on the repository's own parley.config.yaml", () => {
  const REPO_CONFIG = fs.readFileSync(new URL('../../parley.config.yaml', import.meta.url), 'utf8');

  /** The lines of `after` that differ from `before` ('-' removed, '+' added), by a longest-common-subsequence diff. */
  function changedLines(before: string, after: string): string[] {
    const a = before.split('\n');
    const b = after.split('\n');
    const lcs = a.map(() => new Array<number>(b.length + 1).fill(0));
    lcs.push(new Array<number>(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i--)
      for (let j = b.length - 1; j >= 0; j--)
        lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) {
        i++;
        j++;
      } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!))
        out.push(`+${b[j++]}`);
      else out.push(`-${a[i++]}`);
    }
    return out;
  }

  it('unlink and link change only the connection line; the round trip gives back the file byte for byte', async () => {
    fs.writeFileSync(file, REPO_CONFIG);
    const loaded = loadConfig(file, {});
    const movable = [...loaded.agents.values()].filter(
      (a) => a.connection !== undefined && a.connection.owner !== a.config.id,
    );
    expect(movable.map((a) => a.config.id)).toContain('acme-sales');
    for (const agent of movable) {
      const id = agent.config.id;
      const connection = agent.connection?.id as string;
      expect((await run(['unlink', '--agent', id])).error).toBeUndefined();
      expect(changedLines(REPO_CONFIG, read())).toEqual([`-    connection: ${connection}`]);
      expect((await run(['link', '--agent', id, '--connection', connection])).error).toBeUndefined();
      expect(read()).toBe(REPO_CONFIG);
    }
  });

  it('links an unlinked agent with one added line after its name', async () => {
    // the repository's agents are all linked: take one line out by text, then link it back
    const without = REPO_CONFIG.replace(/^( {4}name: Globex support desk\n) {4}connection: demo-db\n/m, '$1');
    expect(without).not.toBe(REPO_CONFIG);
    fs.writeFileSync(file, without);
    expect(
      (await run(['link', '--agent', 'globex-support', '--connection', 'demo-db'])).error,
    ).toBeUndefined();
    expect(changedLines(without, read())).toEqual(['+    connection: demo-db']);
    expect(read()).toBe(REPO_CONFIG);
  });
});
