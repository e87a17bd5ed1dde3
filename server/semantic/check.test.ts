import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { registerCheckCommand } from '../cli/check.ts';
import { type LoadedConfig, parseConfig, type ResolvedAgent } from '../config/load.ts';
import { Agent, SemanticModel } from '../config/schema.ts';
import { openDatabase } from '../db/connect.ts';
import {
  assertAgentsReady,
  type CheckIssue,
  checkAgentAgainstDatabase,
  formatCheckIssue,
  typeFit,
} from './check.ts';

/** The five demo tables, with SQLite-style TEXT timestamps on users. */
async function createDemoTables(db: Knex): Promise<void> {
  await db.schema.createTable('organisations', (t) => {
    t.increments('id').primary();
    t.string('name', 200).notNullable();
  });
  await db.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').notNullable().references('id').inTable('organisations');
    t.string('name', 200).notNullable();
    t.string('email', 200).notNullable();
    t.string('country', 2);
    t.text('created_at').notNullable();
    t.text('last_order_at');
  });
  await db.schema.createTable('products', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').notNullable();
    t.string('name', 200).notNullable();
    t.string('category', 100).notNullable();
    t.decimal('price', 10, 2).notNullable();
  });
  await db.schema.createTable('orders', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').notNullable();
    t.integer('user_id').notNullable().references('id').inTable('users');
    t.string('status', 20).notNullable();
    t.decimal('total_amount', 12, 2).notNullable();
    t.datetime('created_at').notNullable();
  });
  await db.schema.createTable('order_items', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').notNullable();
    t.integer('order_id').notNullable().references('id').inTable('orders');
    t.integer('product_id').notNullable().references('id').inTable('products');
    t.integer('quantity').notNullable();
    t.decimal('unit_price', 10, 2).notNullable();
  });
}

const MODEL_YAML = `
tables:
  organisations:
    access: joinable
    labelColumn: name
    contextFilters: [{ column: id, field: organisationId }]
    columns:
      name: { type: string }
  users:
    labelColumn: name
    timeColumn: created_at
    contextFilters: [{ column: organisation_id, field: organisationId }]
    columns:
      id: { type: integer }
      name: { type: string }
      email: { type: string }
      country: { type: string }
      created_at: { type: datetime }
      last_order_at: { type: datetime }
    relations:
      orders: { table: orders, kind: one-to-many, on: { id: user_id } }
      organisation: { table: organisations, kind: many-to-one, on: { organisation_id: id } }
  products:
    labelColumn: name
    contextFilters: [{ column: organisation_id, field: organisationId }]
    columns:
      id: { type: integer }
      name: { type: string }
      category: { type: string }
      price: { type: number }
  orders:
    timeColumn: created_at
    contextFilters: [{ column: organisation_id, field: organisationId }]
    columns:
      id: { type: integer }
      status: { type: string, values: [pending, completed, cancelled] }
      total_amount: { type: number }
      created_at: { type: datetime }
    relations:
      user: { table: users, kind: many-to-one, on: { user_id: id } }
      order_items: { table: order_items, kind: one-to-many, on: { id: order_id } }
    measures:
      revenue: { aggregate: sum, column: total_amount, filter: { op: eq, field: orders.status, value: completed } }
  order_items:
    contextFilters: [{ column: organisation_id, field: organisationId }]
    columns:
      id: { type: integer }
      quantity: { type: integer }
      unit_price: { type: number }
    computed:
      line_total: { expression: quantity * unit_price }
    relations:
      order: { table: orders, kind: many-to-one, on: { order_id: id } }
      product: { table: products, kind: many-to-one, on: { product_id: id } }
`;

// biome-ignore lint/suspicious/noExplicitAny: tests mutate the raw model freely
type Loose = any;

const agentConfig = Agent.parse({
  id: 'demo',
  userContext: { organisationId: 'integer' },
  modelFile: 'm.yaml',
});

function agentWith(mutate: (m: Loose) => void = () => {}, config = agentConfig): ResolvedAgent {
  const raw = parseYaml(MODEL_YAML);
  mutate(raw);
  return { config, model: SemanticModel.parse(raw) };
}

const col = (dataType: string, type: 'integer' | 'number' | 'string' | 'boolean' | 'date' | 'datetime') => ({
  dataType,
  type,
  nullable: true,
});

describe('typeFit', () => {
  it('accepts matching and compatible types', () => {
    expect(typeFit('integer', col('int', 'integer'), 'mysql')).toBeUndefined();
    expect(typeFit('number', col('int', 'integer'), 'mysql')).toBeUndefined();
    expect(typeFit('boolean', col('integer', 'integer'), 'sqlite')).toBeUndefined();
    expect(typeFit('integer', col('tinyint(1)', 'boolean'), 'mysql')).toBeUndefined();
    expect(typeFit('date', col('datetime', 'datetime'), 'mysql')).toBeUndefined();
    expect(typeFit('datetime', col('TEXT', 'string'), 'sqlite')).toBeUndefined();
    expect(typeFit('date', col('TEXT', 'string'), 'sqlite')).toBeUndefined();
  });

  it('warns about types that work but lose something', () => {
    expect(typeFit('string', col('int', 'integer'), 'mysql')).toEqual({
      severity: 'warning',
      message: 'declared string but the database column is int: values will be compared as text',
    });
    expect(typeFit('integer', col('decimal(10,2)', 'number'), 'mysql')?.severity).toBe('warning');
    expect(typeFit('datetime', col('date', 'date'), 'mysql')?.severity).toBe('warning');
    expect(typeFit('datetime', col('varchar(30)', 'string'), 'mysql')?.severity).toBe('warning');
    expect(typeFit('number', col('tinyint(1)', 'boolean'), 'mysql')?.severity).toBe('warning');
  });

  it('rejects types that do not fit', () => {
    expect(typeFit('number', col('varchar(20)', 'string'), 'mysql')).toEqual({
      severity: 'error',
      message: 'declared number but the database column is varchar(20): it does not hold numbers',
    });
    expect(typeFit('integer', col('text', 'string'), 'sqlite')?.severity).toBe('error');
    expect(typeFit('boolean', col('varchar(5)', 'string'), 'mysql')?.severity).toBe('error');
    expect(typeFit('datetime', col('integer', 'integer'), 'sqlite')?.severity).toBe('error');
    expect(typeFit('string', col('blob', 'string'), 'sqlite')?.severity).toBe('error');
  });
});

describe('checking against a SQLite database', () => {
  let dir: string;
  let url: string;
  let db: Knex;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-check-'));
    url = `sqlite://${path.join(dir, 'demo.sqlite')}`;
    const setup = openDatabase(url, { create: true });
    await createDemoTables(setup);
    await setup.destroy();
    db = openDatabase(url, { readOnly: true });
  });

  afterAll(async () => {
    await db?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const issuesOf = async (mutate: (m: Loose) => void, config = agentConfig): Promise<CheckIssue[]> =>
    (await checkAgentAgainstDatabase(agentWith(mutate, config), db)).issues;

  it('passes a model that matches the database', async () => {
    expect(await checkAgentAgainstDatabase(agentWith(), db)).toEqual({ ok: true, issues: [] });
  });

  it('reports a missing table', async () => {
    const result = await checkAgentAgainstDatabase(
      agentWith((m) => {
        m.tables.invoices = {
          contextFilters: [{ column: 'organisation_id', field: 'organisationId' }],
          columns: { total: { type: 'number' } },
        };
      }),
      db,
    );
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'model.tables.invoices',
          message: 'table invoices does not exist in the database',
          severity: 'error',
        },
      ],
    });
  });

  it('reports missing columns, keys and context filter columns', async () => {
    const issues = await issuesOf((m) => {
      m.tables.orders.columns.discount = { type: 'number' };
      m.tables.orders.relations.user.on = { customer_id: 'id' };
      m.tables.products.contextFilters = [{ column: 'tenant_id', field: 'organisationId' }];
      m.tables.users.relations.orders.on = { id: 'buyer_id' };
      m.tables.order_items.primaryKey = 'line_no';
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.products.contextFilters.0.column',
        message: 'context filter column tenant_id does not exist in table products',
        severity: 'error',
      },
      // keys other tables' relations expect on orders are checked with orders' columns
      {
        path: 'model.tables.users.relations.orders.on.id',
        message: 'join key column buyer_id does not exist in table orders',
        severity: 'error',
      },
      {
        path: 'model.tables.orders.columns.discount',
        message: 'column discount does not exist in table orders',
        severity: 'error',
      },
      {
        path: 'model.tables.orders.relations.user.on.customer_id',
        message: 'join key column customer_id does not exist in table orders',
        severity: 'error',
      },
      {
        path: 'model.tables.order_items.primaryKey',
        message: 'primary key column line_no does not exist in table order_items',
        severity: 'error',
      },
    ]);
  });

  it('reports computed columns whose inputs are missing', async () => {
    const issues = await issuesOf((m) => {
      m.tables.order_items.columns.discount = { type: 'number' };
      m.tables.order_items.computed.net = { expression: 'quantity * unit_price - discount' };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.order_items.columns.discount',
        message: 'column discount does not exist in table order_items',
        severity: 'error',
      },
      {
        path: 'model.tables.order_items.computed.net.expression',
        message: 'net uses discount, which does not exist in table order_items',
        severity: 'error',
      },
    ]);
  });

  it('reports declared types that do not fit the database', async () => {
    const issues = await issuesOf((m) => {
      m.tables.orders.columns.status = { type: 'number' };
      m.tables.orders.columns.id = { type: 'string' };
      m.tables.users.columns.created_at = { type: 'date' };
      m.tables.users.columns.email = { type: 'boolean' };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.users.columns.email',
        message:
          'email: declared boolean but the database column is varchar(200): it does not hold true/false',
        severity: 'error',
      },
      {
        path: 'model.tables.orders.columns.id',
        message: 'id: declared string but the database column is INTEGER: values will be compared as text',
        severity: 'warning',
      },
      {
        path: 'model.tables.orders.columns.status',
        message: 'status: declared number but the database column is varchar(20): it does not hold numbers',
        severity: 'error',
      },
    ]);
  });

  it('includes the static checks, such as a multi-tenant table without a context filter', async () => {
    const result = await checkAgentAgainstDatabase(
      agentWith((m) => {
        m.tables.products.contextFilters = [];
      }),
      db,
    );
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual([
      {
        path: 'model.tables.products.contextFilters',
        message: 'table products is queryable in a multi-tenant agent but has no context filter',
        severity: 'error',
      },
    ]);
  });

  it('only warns about tables whose access is off, and about context types that may never match', async () => {
    const config = Agent.parse({
      id: 'demo',
      userContext: { organisationId: 'string' },
      modelFile: 'm.yaml',
    });
    const result = await checkAgentAgainstDatabase(
      agentWith((m) => {
        m.tables.archive = { access: 'off', columns: { total: { type: 'number' } } };
        m.tables.orders.primaryKey = 'user_id';
      }, config),
      db,
    );
    expect(result.ok).toBe(true);
    expect(result.issues.filter((i) => i.path.startsWith('model.tables.archive'))).toEqual([
      {
        path: 'model.tables.archive',
        message: 'table archive does not exist in the database',
        severity: 'warning',
      },
    ]);
    expect(result.issues).toContainEqual({
      path: 'model.tables.orders.primaryKey',
      message: "user_id is not part of the database's primary key (id); counts rely on it being unique",
      severity: 'warning',
    });
    expect(result.issues).toContainEqual({
      path: 'model.tables.orders.contextFilters.0.column',
      message:
        'organisation_id is INTEGER but userContext.organisationId is string; the comparison may never match',
      severity: 'warning',
    });
    expect(result.issues.every((i) => i.severity === 'warning')).toBe(true);
  });

  it('reports a database it cannot read as an error', async () => {
    const unreachable = openDatabase('mysql://nobody@127.0.0.1:1/nothing');
    try {
      const result = await checkAgentAgainstDatabase(agentWith(), unreachable);
      expect(result.ok).toBe(false);
      expect(result.issues).toHaveLength(1);
      expect(result.issues[0]?.path).toBe('connection');
      expect(result.issues[0]?.message).toMatch(/^cannot read the database schema: /);
    } finally {
      await unreachable.destroy();
    }
  });

  it('formats issues as agent/path: message', () => {
    expect(formatCheckIssue('demo', { path: 'model.tables.x', message: 'gone', severity: 'error' })).toBe(
      'demo/model.tables.x: gone',
    );
    expect(formatCheckIssue('demo', { path: 'model.tables.x', message: 'odd', severity: 'warning' })).toBe(
      'demo/model.tables.x: warning: odd',
    );
  });

  describe('assertAgentsReady and `parley check`', () => {
    let configFile: string;

    /** A config with the demo agent (model in a file), a second agent on the same database, and an unlinked one. */
    function writeConfig(model: string, extraAgents = ''): string {
      fs.writeFileSync(path.join(dir, 'model.yaml'), model);
      const text = [
        'connections:',
        '  - { id: db, url: "sqlite://./demo.sqlite", shareable: true }',
        'agents:',
        '  - id: demo',
        '    connection: db',
        '    userContext: { organisationId: integer }',
        '    modelFile: ./model.yaml',
        '  - id: lonely',
        '    multiTenant: false',
        '    model: { tables: { notes: { columns: { body: { type: string } } } } }',
        extraAgents,
      ].join('\n');
      fs.writeFileSync(configFile, text);
      return text;
    }

    const load = (): LoadedConfig => parseConfig(fs.readFileSync(configFile, 'utf8'), configFile, {});
    const openDb = (u: string) => openDatabase(u, { readOnly: true });

    async function runCli(args: string[]): Promise<{ lines: string[]; exitCode: number }> {
      const out: string[] = [];
      const program = new Command('parley')
        .option('--config <path>', 'path to parley.config.yaml', './parley.config.yaml')
        .exitOverride();
      registerCheckCommand(program, { stdout: (t) => out.push(t), env: {} });
      process.exitCode = 0;
      await program.parseAsync(args, { from: 'user' });
      const exitCode = Number(process.exitCode ?? 0);
      process.exitCode = 0;
      return { lines: out.join('').split('\n').filter(Boolean), exitCode };
    }

    beforeAll(() => {
      configFile = path.join(dir, 'parley.config.yaml');
    });

    afterEach(() => {
      process.exitCode = 0;
    });

    it('assertAgentsReady resolves when every agent matches its database', async () => {
      writeConfig(MODEL_YAML);
      const handles: Knex[] = [];
      await assertAgentsReady(load(), (u) => {
        const h = openDb(u);
        handles.push(h);
        return h;
      });
      // the handles it opened are closed again
      expect(handles).toHaveLength(1);
      await expect(handles[0]!.raw('select 1')).rejects.toThrow();
    });

    it('assertAgentsReady fails closed, listing every error', async () => {
      writeConfig(
        MODEL_YAML.replace(
          '      total_amount: { type: number }',
          '      total_amount: { type: number }\n      discount: { type: number }',
        ),
        [
          '  - id: second',
          '    connection: db',
          '    multiTenant: false',
          '    model: { tables: { orders: { columns: { status: { type: integer } } } } }',
        ].join('\n'),
      );
      const handles = new Map<string, Knex>();
      const error = await assertAgentsReady(load(), (u) => {
        const h = openDb(u);
        handles.set(u, h);
        return h;
      }).catch((e: unknown) => e);
      // one handle for the URL both agents use
      expect(handles.size).toBe(1);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message.split('\n')).toEqual([
        'the semantic model does not match the configuration or the database (run `parley check`):',
        '  demo/model.tables.orders.columns.discount: column discount does not exist in table orders',
        '  second/model.tables.orders.columns.status: status: declared integer but the database column is varchar(20): it does not hold numbers',
      ]);
    });

    it('assertAgentsReady fails when a connection cannot be opened', async () => {
      writeConfig(MODEL_YAML);
      await expect(
        assertAgentsReady(load(), () => {
          throw new Error('no such file');
        }),
      ).rejects.toThrow(/demo\/connection: cannot open connection db \(sqlite:\/\/.*\): no such file/);
    });

    it('`parley check` prints ok per agent and exits 0', async () => {
      writeConfig(MODEL_YAML);
      const { lines, exitCode } = await runCli(['check', '--config', configFile]);
      expect(lines).toEqual([
        'demo: ok',
        'lonely: warning: not linked to a connection; database checks skipped',
        'lonely: ok',
      ]);
      expect(exitCode).toBe(0);
    });

    it('`parley check` prints each issue and exits non-zero on errors', async () => {
      writeConfig(
        MODEL_YAML.replace(
          'status: { type: string, values: [pending, completed, cancelled] }',
          'state: { type: string }',
        ).replace('field: orders.status, value: completed', 'field: orders.state, value: completed'),
      );
      const { lines, exitCode } = await runCli(['--config', configFile, 'check', '--agent', 'demo']);
      expect(lines).toEqual([
        'demo/model.tables.orders.columns.state: column state does not exist in table orders',
        'demo: failed (1 error)',
      ]);
      expect(exitCode).toBe(1);
    });

    it('`parley check` counts warnings and checks unlinked agents statically', async () => {
      writeConfig(
        MODEL_YAML.replace(
          '      country: { type: string }',
          '      country: { type: string }\n      id_copy: { type: string }',
        ).replace('  orders:\n    timeColumn', '  orders:\n    primaryKey: user_id\n    timeColumn'),
        ['  - id: broken', '    model: { tables: { notes: { columns: { body: { type: string } } } } }'].join(
          '\n',
        ),
      );
      const { lines, exitCode } = await runCli(['check', '--config', configFile]);
      expect(lines).toEqual([
        'demo/model.tables.users.columns.id_copy: column id_copy does not exist in table users',
        "demo/model.tables.orders.primaryKey: warning: user_id is not part of the database's primary key (id); counts rely on it being unique",
        'demo: failed (1 error, 1 warning)',
        'lonely: warning: not linked to a connection; database checks skipped',
        'lonely: ok',
        'broken: warning: not linked to a connection; database checks skipped',
        'broken/model.tables.notes.contextFilters: table notes is queryable in a multi-tenant agent but has no context filter',
        'broken: failed (1 error)',
      ]);
      expect(exitCode).toBe(1);
    });

    it('`parley check` rejects an unknown agent and reports unreadable databases', async () => {
      writeConfig(MODEL_YAML);
      await expect(runCli(['check', '--config', configFile, '--agent', 'nope'])).rejects.toThrow(
        "unknown agent 'nope' (agents: demo, lonely)",
      );
      fs.writeFileSync(
        configFile,
        fs.readFileSync(configFile, 'utf8').replace('sqlite://./demo.sqlite', 'sqlite://./missing.sqlite'),
      );
      const { lines, exitCode } = await runCli(['check', '--config', configFile, '--agent', 'demo']);
      expect(lines[0]).toMatch(
        /^demo\/connection: cannot open connection db: SQLite database file .*missing.sqlite does not exist$/,
      );
      expect(lines[1]).toBe('demo: failed (1 error)');
      expect(exitCode).toBe(1);
    });
  });
});
