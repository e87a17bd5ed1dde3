// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are about ${VAR} references in config strings
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateModel } from '../semantic/validate.ts';
import { ConfigError, interpolateEnv, type LoadedConfig, loadConfig, parseConfig } from './load.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-config-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const MODEL = `
      tables:
        orders:
          contextFilters:
            - { column: organisation_id, field: organisationId }
          columns:
            id: { type: integer }
            organisation_id: { type: integer }
            status: { type: string }
`;

/** A valid config: one owned connection, one agent using it. */
function config(extra = ''): string {
  return `# the test config
connections:
  - id: shop
    url: sqlite://./shop.sqlite
    owner: demo
agents:
  - id: demo
    connection: shop
    userContext:
      organisationId: integer
    model:${MODEL}${extra}`;
}

/** Parses and returns the ConfigError (fails the test when the text loads). */
function errorOf(
  text: string,
  env: NodeJS.ProcessEnv = {},
  file = path.join(dir, 'parley.config.yaml'),
): ConfigError {
  try {
    parseConfig(text, file, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads a valid file: defaults applied, agents resolved with their connection', () => {
    const file = write('parley.config.yaml', config());
    const loaded = loadConfig(file, {});
    expect(loaded.file).toBe(file);
    expect(loaded.dir).toBe(dir);
    expect(loaded.config.server).toEqual({ port: 3210, host: '127.0.0.1', shutdownTimeoutMs: 15_000 });
    const demo = loaded.agents.get('demo');
    expect(demo?.config.timeZone).toBe('UTC');
    expect(demo?.config.multiTenant).toBe(true);
    expect(Object.keys(demo?.model.tables ?? {})).toEqual(['orders']);
    expect(demo?.model.tables.orders?.access).toBe('queryable');
    expect(demo?.connection?.id).toBe('shop');
    expect(demo?.connection).toBe(loaded.connections.get('shop'));
    expect(loaded.connections.get('shop')?.statementTimeoutMs).toBe(15_000);
  });

  it('reports a missing file as a ConfigError naming it', () => {
    const file = path.join(dir, 'nope.yaml');
    expect(() => loadConfig(file, {})).toThrow(ConfigError);
    expect(() => loadConfig(file, {})).toThrow(`${file}: config file not found`);
  });

  it('leaves an unlinked agent without a connection', () => {
    const loaded = parseConfig(
      `agents:\n  - id: solo\n    multiTenant: false\n    model:\n      tables: {}\n`,
      path.join(dir, 'p.yaml'),
      {},
    );
    const solo = loaded.agents.get('solo');
    expect(solo).toBeDefined();
    expect(solo?.connection).toBeUndefined();
    expect('connection' in (solo ?? {})).toBe(false);
  });
});

describe('database URLs', () => {
  it('resolves relative sqlite URLs against the config directory, not the cwd', () => {
    const text = `connections:
  - { id: rel, url: "sqlite://./data/app.sqlite" }
  - { id: bare, url: "sqlite://app.sqlite", shareable: true }
  - { id: abs, url: "sqlite:///var/lib/parley/x.sqlite", shareable: true }
  - { id: mem, url: "sqlite://:memory:", shareable: true }
  - { id: my, url: "mysql://u:p@db:3306/shop", shareable: true }
agents:
  - { id: a, connection: rel, model: { tables: {} } }
`;
    const loaded = parseConfig(text, path.join(dir, 'sub', 'parley.config.yaml'), {});
    const url = (id: string) => loaded.connections.get(id)?.url;
    expect(url('rel')).toBe(`sqlite://${path.join(dir, 'sub', 'data', 'app.sqlite')}`);
    expect(url('rel')?.startsWith('sqlite:///')).toBe(true);
    expect(url('bare')).toBe(`sqlite://${path.join(dir, 'sub', 'app.sqlite')}`);
    expect(url('abs')).toBe('sqlite:///var/lib/parley/x.sqlite');
    expect(url('mem')).toBe('sqlite://:memory:');
    expect(url('my')).toBe('mysql://u:p@db:3306/shop');
    // the config object and the map hold the same resolved values
    expect(loaded.config.connections[0]?.url).toBe(url('rel'));
  });

  it('defaults the store to data/parley-store.sqlite beside the config', () => {
    const loaded = parseConfig(config(), path.join(dir, 'parley.config.yaml'), {});
    expect(loaded.storeUrl).toBe(`sqlite://${path.join(dir, 'data', 'parley-store.sqlite')}`);
  });

  it('takes store.url from the file, and PARLEY_STORE_URL over it', () => {
    const text = `store:\n  url: sqlite://./state/store.sqlite\n${config()}`;
    const file = path.join(dir, 'parley.config.yaml');
    expect(parseConfig(text, file, {}).storeUrl).toBe(`sqlite://${path.join(dir, 'state', 'store.sqlite')}`);
    const env = { PARLEY_STORE_URL: 'mysql://parley:pw@store:3306/parley' };
    expect(parseConfig(text, file, env).storeUrl).toBe('mysql://parley:pw@store:3306/parley');
  });

  it('rejects an unsupported URL scheme with its path', () => {
    const err = errorOf(config().replace('sqlite://./shop.sqlite', 'postgres://db/shop'));
    expect(err.message).toContain('parley.config.yaml: connections[0].url: unsupported database URL');
  });
});

describe('environment interpolation', () => {
  it('substitutes ${VAR}, ${VAR:-default} (unset or empty) and keeps $${ as a literal ${', () => {
    const text = config()
      .replace('sqlite://./shop.sqlite', '${SHOP_URL}')
      .replace(
        '    connection: shop\n',
        // a function, because a replacement string would read $$ as an escape itself
        () =>
          '    connection: shop\n    name: "${TEAM:-Sales} / ${EMPTY:-none} / $${NOT_A_VAR} / ${SET:-unused}"\n',
      );
    const loaded = parseConfig(text, path.join(dir, 'p.yaml'), {
      SHOP_URL: 'mysql://u:p@h:3306/db',
      EMPTY: '',
      SET: 'set',
    });
    expect(loaded.connections.get('shop')?.url).toBe('mysql://u:p@h:3306/db');
    expect(loaded.agents.get('demo')?.config.name).toBe('Sales / none / ${NOT_A_VAR} / set');
  });

  it('names the missing variable and where it is used', () => {
    const err = errorOf(config().replace('sqlite://./shop.sqlite', 'mysql://u:${DB_PASSWORD}@h:3306/db'));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.path).toBe('connections[0].url');
    expect(err.message).toMatch(
      /parley\.config\.yaml: connections\[0\]\.url: environment variable DB_PASSWORD is not set .*\(line 4\)/,
    );
  });

  it('reports every missing variable, not only the first', () => {
    const text = config()
      .replace('sqlite://./shop.sqlite', '${A}')
      .replace('    connection: shop\n', '    connection: shop\n    name: ${B}\n');
    const err = errorOf(text);
    expect(err.issues.map((i) => i.path)).toEqual(['connections[0].url', 'agents[0].name']);
    expect(err.message.split('\n')).toHaveLength(2);
  });

  it('rejects a malformed reference', () => {
    const err = errorOf(
      config().replace('    connection: shop\n', '    connection: shop\n    name: "${not valid}"\n'),
    );
    expect(err.message).toContain('agents[0].name: malformed ${...}');
  });

  it('works on parsed values, so a variable cannot inject YAML', () => {
    const env = { EVIL: 'x\nagents: []\nconnections: [{id: pwn, url: "sqlite://./pwn"}]' };
    const text = config().replace('    connection: shop\n', '    connection: shop\n    name: ${EVIL}\n');
    const loaded = parseConfig(text, path.join(dir, 'p.yaml'), env);
    expect(loaded.agents.get('demo')?.config.name).toBe(env.EVIL);
    expect([...loaded.connections.keys()]).toEqual(['shop']);
  });

  it('treats a __proto__ key as an unknown key, not as a prototype', () => {
    const err = errorOf(
      config().replace(
        '    connection: shop\n',
        '    connection: shop\n    __proto__: { multiTenant: false }\n',
      ),
    );
    expect(err.message).toContain("agents[0].__proto__: unknown key '__proto__'");
  });

  it('interpolateEnv leaves keys and non-strings alone and reports paths', () => {
    const result = interpolateEnv({ '${K}': '${V}', n: 3, list: ['${MISSING}', true] }, { K: 'k', V: 'v' });
    expect(result.value).toEqual({ '${K}': 'v', n: 3, list: ['${MISSING}', true] });
    expect(result.issues).toEqual([
      { path: ['list', 0], message: expect.stringContaining('MISSING is not set') },
    ]);
  });
});

describe('validation messages', () => {
  it('lists every schema problem as "<file>: <path>: <expectation>", one per line', () => {
    const text = `connections:
  - id: shop
    url: sqlite://./shop.sqlite
    shareable: "yes"
agents:
  - connection: shop
    model:
      tables:
        orders:
          access: sometimes
          colums: {}
          columns:
            status: { type: text }
`;
    const err = errorOf(text);
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(err.issues.length);
    expect(lines.every((l) => l.startsWith(`${path.join(dir, 'parley.config.yaml')}: `))).toBe(true);
    expect(err.file).toBe(path.join(dir, 'parley.config.yaml'));
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i.message]));
    expect(byPath['connections[0].shareable']).toBe('expected true or false, got string "yes"');
    expect(byPath['agents[0].id']).toBe('required');
    expect(byPath['agents[0].model.tables.orders.access']).toBe(
      'expected one of queryable|joinable|off, got string "sometimes"',
    );
    expect(byPath['agents[0].model.tables.orders.columns.status.type']).toMatch(
      /^expected one of integer\|number\|string\|boolean\|date\|datetime/,
    );
    expect(byPath['agents[0].model.tables.orders.colums']).toBe(
      "unknown key 'colums' (did you mean 'columns'?)",
    );
    // positions point into the file
    const colums = err.issues.find((i) => i.path.endsWith('colums'));
    expect(colums?.line).toBe(11);
    expect(err.message).toContain('orders.colums: unknown key');
  });

  it('lists the allowed keys when an unknown key is nothing like one', () => {
    const err = errorOf(
      config().replace('    connection: shop\n', '    connection: shop\n    flavour: vanilla\n'),
    );
    expect(err.message).toMatch(
      /agents\[0\]\.flavour: unknown key 'flavour' \(allowed keys: id, name, connection, /,
    );
  });

  it('explains the refinements and nested filters', () => {
    const text = config(`          measures:
            total: { aggregate: sum }
            odd: { aggregate: count, filter: { op: like, field: orders.status, value: x } }
            nulls: { aggregate: count, filter: { op: eq, field: orders.status, value: null } }
`);
    const byPath = Object.fromEntries(errorOf(text).issues.map((i) => [i.path, i.message]));
    expect(byPath['agents[0].model.tables.orders.measures.total']).toBe(
      'every aggregate but count needs a column',
    );
    expect(byPath['agents[0].model.tables.orders.measures.odd.filter.op']).toMatch(
      /^expected one of eq\|neq\|gt.*\|not\|related, got string "like"$/,
    );
    expect(byPath['agents[0].model.tables.orders.measures.nulls.filter.value']).toBe(
      'expected a string, a number or a boolean, got null (an empty value)',
    );
  });

  it('requires exactly one of model and modelFile', () => {
    const err = errorOf('agents:\n  - id: a\n');
    expect(err.message).toContain('agents[0]: an agent needs exactly one of model or modelFile');
  });

  it('needs at least one agent, and a non-empty file', () => {
    expect(errorOf('agents: []\n').message).toContain('agents: expected at least 1 item');
    expect(errorOf('# nothing here\n').message).toContain('the file is empty');
  });

  it('gives line:column for YAML syntax errors', () => {
    const err = errorOf('agents:\n  - id: a\n   model: {}\n');
    expect(err.issues[0]?.line).toBe(3);
    expect(err.message).toMatch(/parley\.config\.yaml: line 3:\d+: YAML syntax error: /);
    const dup = errorOf('agents:\n  - id: a\n    id: b\n');
    expect(dup.message).toMatch(/line 3:\d+: YAML syntax error: Map keys must be unique/);
  });
});

describe('reading the YAML', () => {
  it('reads every shipped config to the same configuration whichever reader takes it', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const files = [
      path.join(root, 'parley.config.yaml'),
      ...fs.readdirSync(path.join(root, 'examples')).map((name) => path.join(root, 'examples', name)),
    ].filter((file) => file.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      // an anchor, even in a comment, sends the file to the full YAML reader
      expect(parseConfig(text, file, {})).toEqual(parseConfig(`# &full\n${text}`, file, {}));
    }
  });

  it('reads anchors, aliases and merge keys', () => {
    const loaded = parseConfig(
      config().replace('- id: shop', '- id: &shop shop').replace('connection: shop', 'connection: *shop'),
      path.join(dir, 'parley.config.yaml'),
      {},
    );
    expect(loaded.config.agents[0]?.connection).toBe('shop');
  });
});

describe('cross-references', () => {
  const issuesOf = (text: string) => Object.fromEntries(errorOf(text).issues.map((i) => [i.path, i.message]));

  it('rejects duplicate agent and connection ids', () => {
    const text = `connections:
  - { id: shop, url: "sqlite://./a.sqlite", shareable: true }
  - { id: shop, url: "sqlite://./b.sqlite", shareable: true }
agents:
  - { id: demo, model: { tables: {} } }
  - { id: demo, model: { tables: {} } }
`;
    const issues = issuesOf(text);
    expect(issues['connections[1].id']).toBe("duplicate connection id 'shop' (also connections[0])");
    expect(issues['agents[1].id']).toBe("duplicate agent id 'demo' (also agents[0])");
  });

  it('rejects an unknown connection and an unknown owner', () => {
    const text = config()
      .replace('connection: shop', 'connection: shopp')
      .replace('owner: demo', 'owner: ghost');
    const issues = issuesOf(text);
    expect(issues['agents[0].connection']).toBe("unknown connection 'shopp' (connections: shop)");
    expect(issues['connections[0].owner']).toBe("unknown agent 'ghost' (agents: demo)");
  });

  it('refuses an agent on a connection it does not own unless it is shareable', () => {
    const text = `${config()}  - id: guest\n    connection: shop\n    model: { tables: {} }\n`;
    const err = errorOf(text);
    expect(err.message).toContain(
      'parley.config.yaml: agents[1].connection: connection shop is not shareable; only its owner demo may use it',
    );
    expect(() =>
      parseConfig(text.replace('owner: demo', 'owner: demo\n    shareable: true'), 'p.yaml', {}),
    ).not.toThrow();
  });

  it('lets one agent use an ownerless, unshareable connection, but not two', () => {
    const one = `connections:\n  - { id: c, url: "sqlite://./c.sqlite" }\nagents:\n  - { id: a, connection: c, model: { tables: {} } }\n`;
    expect(() => parseConfig(one, path.join(dir, 'p.yaml'), {})).not.toThrow();
    const two = `${one}  - { id: b, connection: c, model: { tables: {} } }\n`;
    expect(issuesOf(two)['agents[1].connection']).toBe(
      'connection c is not shareable and agent a already uses it; set shareable: true (and an owner) to share it',
    );
  });

  it('rejects an unknown time zone and accepts IANA ones', () => {
    const text = config().replace('connection: shop\n', 'connection: shop\n    timeZone: Europe/Pariss\n');
    expect(issuesOf(text)['agents[0].timeZone']).toBe(
      "unknown time zone 'Europe/Pariss': expected an IANA zone like UTC or Europe/Paris",
    );
    const ok = parseConfig(text.replace('Pariss', 'Paris'), path.join(dir, 'p.yaml'), {});
    expect(ok.agents.get('demo')?.config.timeZone).toBe('Europe/Paris');
    // UTC in any case, and the aliases Intl knows, not only the canonical names
    for (const zone of ['utc', 'UTC', 'US/Eastern', 'Etc/GMT+3', 'Asia/Calcutta']) {
      const alias = parseConfig(text.replace('Europe/Pariss', zone), path.join(dir, 'p.yaml'), {});
      expect(alias.agents.get('demo')?.config.timeZone).toBe(zone);
    }
    for (const zone of ['UTC+25', 'Mars/Olympus', 'utc2'])
      expect(issuesOf(text.replace('Europe/Pariss', zone))['agents[0].timeZone']).toMatch(
        /^unknown time zone/,
      );
  });

  it('rejects pool.min above pool.max', () => {
    const text = config().replace('owner: demo\n', 'owner: demo\n    pool: { min: 4, max: 2 }\n');
    expect(issuesOf(text)['connections[0].pool.min']).toBe('pool.min must not be greater than pool.max');
  });
});

describe('modelFile', () => {
  const withModelFile = (ref: string) =>
    `connections:\n  - { id: shop, url: "sqlite://./shop.sqlite", owner: demo }\nagents:\n  - id: demo\n    connection: shop\n    userContext: { organisationId: integer }\n    modelFile: ${ref}\n`;

  it('loads the model relative to the config directory, whatever the cwd', () => {
    write('conf/models/shop.yaml', MODEL.replace(/^ {6}/gm, ''));
    const file = write('conf/parley.config.yaml', withModelFile('models/shop.yaml'));
    const loaded = loadConfig(file, {});
    expect(Object.keys(loaded.agents.get('demo')?.model.tables ?? {})).toEqual(['orders']);
    expect(loaded.agents.get('demo')?.config.modelFile).toBe('models/shop.yaml');
  });

  it('reports a missing model file at the modelFile path', () => {
    const file = write('parley.config.yaml', withModelFile('models/none.yaml'));
    expect(() => loadConfig(file, {})).toThrow(
      `${file}: agents[0].modelFile: model file ${path.join(dir, 'models/none.yaml')} not found (line 7)`,
    );
  });

  it('names the model file and the path inside it when the model is invalid', () => {
    const modelFile = write(
      'models/shop.yaml',
      'tables:\n  orders:\n    columns:\n      status: { type: text }\n',
    );
    const file = write('parley.config.yaml', withModelFile('models/shop.yaml'));
    const err = (() => {
      try {
        loadConfig(file, {});
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err.issues[0]?.file).toBe(modelFile);
    expect(err.message).toMatch(
      new RegExp(
        `^${modelFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tables\\.orders\\.columns\\.status\\.type: expected one of integer\\|`,
      ),
    );
    expect(err.message).toContain('(line 4)');
  });

  it('interpolates the environment in model files too', () => {
    write(
      'm.yaml',
      'tables:\n  orders:\n    prompt: ${PROMPT:-default prompt}\n    columns: { id: { type: integer } }\n',
    );
    const file = write('parley.config.yaml', withModelFile('m.yaml'));
    expect(loadConfig(file, {}).agents.get('demo')?.model.tables.orders?.prompt).toBe('default prompt');
    expect(loadConfig(file, { PROMPT: 'p' }).agents.get('demo')?.model.tables.orders?.prompt).toBe('p');
  });
});

describe('table prompts', () => {
  const PROMPTED = `connections:
  - { id: shop, url: "sqlite://./shop.sqlite", owner: a, shareable: true }
agents:
  - id: a
    connection: shop
    userContext: { organisationId: integer }
    modelFile: model.yaml
  - id: b
    connection: shop
    userContext: { organisationId: integer }
    modelFile: model.yaml
`;
  const MODEL_FILE = `tables:
  orders:
    prompt: Orders are also called purchases. A big order is an order whose total_amount is over 100.
    contextFilters: [{ column: organisation_id, field: organisationId }]
    columns:
      id: { type: integer }
      total_amount: { type: number }
`;

  it('merges what the prompts state into the resolved model; the YAML model stays as written', () => {
    write('model.yaml', MODEL_FILE);
    const loaded = loadConfig(write('parley.config.yaml', PROMPTED), {});
    const a = loaded.agents.get('a');
    const orders = a?.model.tables.orders;
    expect(orders?.synonyms).toEqual(['purchases']);
    expect(orders?.segments.big_order?.filter).toEqual({
      op: 'gt',
      field: 'orders.total_amount',
      value: 100,
    });
    expect(a?.prompts?.sentences.map((s) => s.readings.map((r) => r.outcome))).toEqual([
      ['added'],
      ['added'],
    ]);
    // agents sharing a model file get a merged model each (what validates depends on the agent)
    const b = loaded.agents.get('b');
    expect(b?.model).not.toBe(a?.model);
    expect(b?.model).toEqual(a?.model);
  });

  it('keeps inline models authoritative: config.model has no derived entries', () => {
    const text = config().replace(
      '        orders:\n',
      '        orders:\n          prompt: Orders are also known as baskets.\n',
    );
    const agent = parseConfig(text, path.join(dir, 'parley.config.yaml'), {}).agents.get('demo');
    expect(agent?.model.tables.orders?.synonyms).toEqual(['baskets']);
    expect(agent?.config.model?.tables.orders?.synonyms).toEqual([]);
  });
});

describe('the examples/ configs', () => {
  const examples = path.resolve(import.meta.dirname, '../../examples');
  const load = (name: string): LoadedConfig => {
    const loaded = loadConfig(path.join(examples, name), {});
    // the models must also pass the semantic checks (`parley check` without a database)
    for (const agent of loaded.agents.values()) expect(validateModel(agent.config, agent.model)).toEqual([]);
    return loaded;
  };
  const tables = (loaded: LoadedConfig, agent: string) =>
    Object.values(loaded.agents.get(agent)?.model.tables ?? {});

  it('(a) shared multi-tenant: one agent, one connection, a context filter on every table', () => {
    const loaded = load('shared-multi-tenant.yaml');
    expect([...loaded.agents.keys()]).toEqual(['analytics']);
    expect([...loaded.connections.keys()]).toEqual(['app']);
    const analytics = loaded.agents.get('analytics');
    expect(analytics?.connection?.id).toBe('app');
    expect(analytics?.config.multiTenant).toBe(true);
    expect(tables(loaded, 'analytics')).toHaveLength(5);
    for (const table of tables(loaded, 'analytics')) {
      expect(table.contextFilters.map((f) => f.field)).toEqual(['organisationId']);
    }
    expect(loaded.connections.get('app')?.url).toBe(
      `sqlite://${path.resolve(examples, '../data/demo.sqlite')}`,
    );
  });

  it('(b) linked connection: a shareable connection owned by the primary agent, customer agents linked', () => {
    const loaded = load('linked-connection.yaml');
    const warehouse = loaded.connections.get('warehouse');
    expect(warehouse?.shareable).toBe(true);
    expect(warehouse?.owner).toBe('primary');
    const customers = [...loaded.agents.values()].filter((a) => a.config.id !== 'primary');
    expect(customers.length).toBeGreaterThanOrEqual(2);
    for (const agent of loaded.agents.values()) expect(agent.connection).toBe(warehouse);
    const models = customers.map((a) => Object.keys(a.model.tables).sort().join());
    expect(new Set(models).size).toBe(customers.length);
    expect(customers.map((a) => a.config.userContext)).toContainEqual({
      organisationId: 'integer',
      countries: 'string[]',
      canSeeCatalogue: 'boolean',
    });
  });

  it('(c) dedicated databases: one agent and one unshareable connection each, multiTenant off', () => {
    const loaded = load('dedicated-database.yaml');
    expect(loaded.agents.size).toBe(loaded.connections.size);
    for (const agent of loaded.agents.values()) {
      expect(agent.config.multiTenant).toBe(false);
      expect(agent.connection?.owner).toBe(agent.config.id);
      expect(agent.connection?.shareable).toBe(false);
    }
    expect(tables(loaded, 'acme').every((t) => t.contextFilters.length === 0)).toBe(true);
    expect(loaded.connections.get('globex-db')?.url).toBe(
      'mysql://parley:change-me@db.globex.internal:3306/globex',
    );
    const withSecret = loadConfig(path.join(examples, 'dedicated-database.yaml'), {
      GLOBEX_DB_PASSWORD: 's3cret',
    });
    expect(withSecret.connections.get('globex-db')?.url).toContain(':s3cret@');
  });
});
