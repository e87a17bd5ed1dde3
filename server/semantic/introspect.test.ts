import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { modelToYaml, registerModelCommands } from '../cli/model.ts';
import type { ResolvedAgent } from '../config/load.ts';
import { Agent, SemanticModel, type Table } from '../config/schema.ts';
import { openDatabase } from '../db/connect.ts';
import { checkAgentAgainstDatabase } from './check.ts';
import {
  camelCase,
  type DatabaseSchema,
  enumValues,
  introspectDatabase,
  mapColumnType,
  modelFromSchema,
} from './introspect.ts';
import { joinPaths, validateModel } from './validate.ts';

/** The five demo tables: every table but organisations carries organisation_id. */
async function createDemoTables(db: Knex): Promise<void> {
  await db.schema.createTable('organisations', (t) => {
    t.increments('id').primary();
    t.string('name', 200).notNullable();
  });
  await db.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('name', 200).notNullable();
    t.string('email', 200).notNullable();
    t.string('country', 2);
    t.datetime('created_at').notNullable();
    t.datetime('last_order_at');
  });
  await db.schema.createTable('products', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').unsigned().notNullable();
    t.string('name', 200).notNullable();
    t.string('category', 100).notNullable();
    t.decimal('price', 10, 2).notNullable();
  });
  await db.schema.createTable('orders', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').unsigned().notNullable();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('status', 20).notNullable();
    t.decimal('total_amount', 12, 2).notNullable();
    t.datetime('created_at').notNullable();
  });
  await db.schema.createTable('order_items', (t) => {
    t.increments('id').primary();
    t.integer('organisation_id').unsigned().notNullable();
    t.integer('order_id').unsigned().notNullable().references('id').inTable('orders');
    t.integer('product_id').unsigned().notNullable().references('id').inTable('products');
    t.integer('quantity').notNullable();
    t.decimal('unit_price', 10, 2).notNullable();
  });
}

const demoAgentConfig = Agent.parse({
  id: 'pulled',
  multiTenant: true,
  userContext: { organisationId: 'integer' },
  modelFile: 'model.yaml',
});

/** What the introspection of the demo tables must say in both dialects (types as mapped). */
function expectDemoSchema(schema: DatabaseSchema): void {
  expect(Object.keys(schema.tables).sort()).toEqual([
    'order_items',
    'orders',
    'organisations',
    'products',
    'users',
  ]);
  const users = schema.tables.users!;
  expect(Object.keys(users.columns)).toEqual([
    'id',
    'organisation_id',
    'name',
    'email',
    'country',
    'created_at',
    'last_order_at',
  ]);
  expect(Object.fromEntries(Object.entries(users.columns).map(([n, c]) => [n, c.type]))).toEqual({
    id: 'integer',
    organisation_id: 'integer',
    name: 'string',
    email: 'string',
    country: 'string',
    created_at: 'datetime',
    last_order_at: 'datetime',
  });
  expect(users.columns.name?.nullable).toBe(false);
  expect(users.columns.last_order_at?.nullable).toBe(true);
  expect(users.primaryKey).toEqual(['id']);
  expect(users.foreignKeys).toEqual([
    { columns: ['organisation_id'], table: 'organisations', references: ['id'] },
  ]);
  expect(schema.tables.products!.columns.price?.type).toBe('number');
  expect(schema.tables.products!.foreignKeys).toEqual([]);
  expect(schema.tables.order_items!.foreignKeys.sort((a, b) => a.table.localeCompare(b.table))).toEqual([
    { columns: ['order_id'], table: 'orders', references: ['id'] },
    { columns: ['product_id'], table: 'products', references: ['id'] },
  ]);
}

/** Pull a model, print it as YAML, read it back, and check it statically and against the same database. */
async function roundTrip(db: Knex): Promise<SemanticModel> {
  const schema = await introspectDatabase(db);
  const pulled = modelFromSchema(schema, { contextColumn: 'organisation_id' });
  const model = SemanticModel.parse(parseYaml(modelToYaml(pulled, ' pulled')));
  expect(model).toEqual(SemanticModel.parse(pulled));
  expect(validateModel(demoAgentConfig, model)).toEqual([]);
  const agent: ResolvedAgent = { config: demoAgentConfig, model };
  const result = await checkAgentAgainstDatabase(agent, db);
  expect(result.issues).toEqual([]);
  expect(result.ok).toBe(true);
  return model;
}

function expectDemoModel(model: SemanticModel): void {
  expect(Object.keys(model.tables)).toEqual(['order_items', 'orders', 'organisations', 'products', 'users']);
  const {
    users,
    organisations,
    orders,
    order_items: items,
    products,
  } = model.tables as Required<typeof model.tables>;
  // the context column and foreign keys stay hidden; the tenant table is scoped by its own key
  expect(Object.keys(users!.columns)).toEqual([
    'id',
    'name',
    'email',
    'country',
    'created_at',
    'last_order_at',
  ]);
  expect(users!.contextFilters).toEqual([{ column: 'organisation_id', field: 'organisationId', op: 'eq' }]);
  expect(Object.keys(organisations!.columns)).toEqual(['name']);
  expect(organisations!.contextFilters).toEqual([{ column: 'id', field: 'organisationId', op: 'eq' }]);
  expect(Object.keys(orders!.columns)).toEqual(['id', 'status', 'total_amount', 'created_at']);
  expect(orders!.columns.total_amount?.type).toBe('number');
  expect(Object.keys(items!.columns)).toEqual(['id', 'quantity', 'unit_price']);
  expect(products!.contextFilters).toHaveLength(1);
  // relations both ways
  expect(orders!.relations).toEqual({
    users: { table: 'users', kind: 'many-to-one', on: { user_id: 'id' } },
    order_items: { table: 'order_items', kind: 'one-to-many', on: { id: 'order_id' } },
  });
  expect(users!.relations).toEqual({
    organisations: { table: 'organisations', kind: 'many-to-one', on: { organisation_id: 'id' } },
    orders: { table: 'orders', kind: 'one-to-many', on: { id: 'user_id' } },
  });
  // no one-to-many from the tenant table: it would be a second join path between all tenant tables
  expect(organisations!.relations).toEqual({});
  expect(Object.keys(items!.relations)).toEqual(['orders', 'products']);
  expect(products!.relations).toEqual({
    order_items: { table: 'order_items', kind: 'one-to-many', on: { id: 'product_id' } },
  });
  // label and time columns
  expect(users!.labelColumn).toBe('name');
  expect(users!.timeColumn).toBe('created_at');
  expect(orders!.timeColumn).toBe('created_at');
  expect(orders!.labelColumn).toBeUndefined();
  expect(products!.timeColumn).toBeUndefined();
  expect(Object.values(model.tables).every((t) => t.access === 'queryable')).toBe(true);
}

describe('mapColumnType', () => {
  it.each([
    ['integer', 'sqlite', 'integer'],
    ['INT', 'sqlite', 'integer'],
    ['bigint', 'mysql', 'integer'],
    ['int(10) unsigned', 'mysql', 'integer'],
    ['smallint(6)', 'mysql', 'integer'],
    ['tinyint(4)', 'mysql', 'integer'],
    ['tinyint(1)', 'mysql', 'boolean'],
    ['tinyint(1) unsigned', 'mysql', 'boolean'],
    ['bit(1)', 'mysql', 'boolean'],
    ['tinyint(1)', 'sqlite', 'integer'],
    ['boolean', 'sqlite', 'boolean'],
    ['decimal(10,2)', 'mysql', 'number'],
    ['numeric', 'sqlite', 'number'],
    ['real', 'sqlite', 'number'],
    ['float(8,2)', 'sqlite', 'number'],
    ['double', 'mysql', 'number'],
    ['varchar(255)', 'mysql', 'string'],
    ['char(2)', 'sqlite', 'string'],
    ['text', 'sqlite', 'string'],
    ['longtext', 'mysql', 'string'],
    ["enum('a','b')", 'mysql', 'string'],
    ['date', 'sqlite', 'date'],
    ['date', 'mysql', 'date'],
    ['datetime', 'sqlite', 'datetime'],
    ['datetime(3)', 'mysql', 'datetime'],
    ['timestamp', 'mysql', 'datetime'],
    ['blob', 'sqlite', 'string'],
    ['', 'sqlite', 'string'],
    ['UNSIGNED BIG INT', 'sqlite', 'integer'],
    ['NVARCHAR(100)', 'sqlite', 'string'],
  ] as const)('%s (%s) -> %s', (dataType, dialect, expected) => {
    expect(mapColumnType(dataType, 'value', dialect)).toBe(expected);
  });

  it('treats SQLite text columns named *_at or *_date as datetimes', () => {
    expect(mapColumnType('TEXT', 'created_at', 'sqlite')).toBe('datetime');
    expect(mapColumnType('varchar(32)', 'birth_date', 'sqlite')).toBe('datetime');
    expect(mapColumnType('', 'shipped_at', 'sqlite')).toBe('datetime');
    expect(mapColumnType('TEXT', 'format', 'sqlite')).toBe('string');
    expect(mapColumnType('TEXT', 'created_at', 'mysql')).toBe('string');
    expect(mapColumnType('INTEGER', 'created_at', 'sqlite')).toBe('integer');
  });
});

describe('enumValues and camelCase', () => {
  it('reads MySQL enum values', () => {
    expect(enumValues("enum('pending','paid','it''s')")).toEqual(['pending', 'paid', "it's"]);
    expect(enumValues('varchar(10)')).toBeUndefined();
    expect(enumValues("enum('open")).toBeUndefined();
  });

  it('camel-cases column names', () => {
    expect(camelCase('organisation_id')).toBe('organisationId');
    expect(camelCase('tenant')).toBe('tenant');
  });
});

describe('modelFromSchema', () => {
  const col = (dataType: string, type: 'integer' | 'string' | 'datetime' = 'integer') => ({
    dataType,
    type,
    nullable: false,
  });

  it('names clashing relations after their key columns and skips what the model cannot hold', () => {
    const schema: DatabaseSchema = {
      tables: {
        people: {
          columns: { id: col('integer'), name: col('text', 'string') },
          primaryKey: ['id'],
          foreignKeys: [],
        },
        tickets: {
          columns: {
            id: col('integer'),
            opened_by: col('integer'),
            closed_by: col('integer'),
            parent_id: col('integer'),
            status: col("enum('open','closed')", 'string'),
            attachment: col('blob', 'string'),
            'bad name': col('text', 'string'),
          },
          primaryKey: ['id'],
          foreignKeys: [
            { columns: ['opened_by'], table: 'people', references: ['id'] },
            { columns: ['closed_by'], table: 'people', references: ['id'] },
            { columns: ['parent_id'], table: 'tickets', references: ['id'] },
            { columns: ['x'], table: 'missing', references: ['id'] },
          ],
        },
        'odd-table': { columns: { id: col('integer') }, primaryKey: ['id'], foreignKeys: [] },
        links: {
          columns: { a: col('integer'), b: col('integer') },
          primaryKey: ['a', 'b'],
          foreignKeys: [],
        },
      },
    };
    const model = SemanticModel.parse(modelFromSchema(schema));
    expect(Object.keys(model.tables)).toEqual(['links', 'people', 'tickets']);
    const tickets = model.tables.tickets!;
    expect(Object.keys(tickets.columns)).toEqual(['id', 'status']);
    expect(tickets.columns.status?.values).toEqual(['open', 'closed']);
    expect(tickets.contextFilters).toEqual([]);
    expect(tickets.relations).toEqual({
      people: { table: 'people', kind: 'many-to-one', on: { opened_by: 'id' } },
      closed_by: { table: 'people', kind: 'many-to-one', on: { closed_by: 'id' } },
      tickets: { table: 'tickets', kind: 'many-to-one', on: { parent_id: 'id' } },
      tickets_by_parent: { table: 'tickets', kind: 'one-to-many', on: { id: 'parent_id' } },
    });
    expect(model.tables.people!.relations).toEqual({
      tickets: { table: 'tickets', kind: 'one-to-many', on: { id: 'opened_by' } },
      tickets_by_closed_by: { table: 'tickets', kind: 'one-to-many', on: { id: 'closed_by' } },
    });
    expect(model.tables.links!.primaryKey).toBe('a');
    expect(validateModel(Agent.parse({ id: 'x', multiTenant: false, modelFile: 'm.yaml' }), model)).toEqual(
      [],
    );
  });

  it('links tables to the tenant table only many-to-one, keeping join paths unique', () => {
    const tenantFk = { columns: ['organisation_id'], table: 'organisations', references: ['id'] };
    const table = (fks: DatabaseSchema['tables'][string]['foreignKeys'], ...extra: string[]) => ({
      columns: Object.fromEntries(['id', 'organisation_id', ...extra].map((c) => [c, col('int')])),
      primaryKey: ['id'],
      foreignKeys: [tenantFk, ...fks],
    });
    const schema: DatabaseSchema = {
      tables: {
        organisations: {
          columns: { id: col('int'), name: col('varchar(9)', 'string') },
          primaryKey: ['id'],
          foreignKeys: [],
        },
        users: table([]),
        orders: table([{ columns: ['user_id'], table: 'users', references: ['id'] }], 'user_id'),
        order_items: table([{ columns: ['order_id'], table: 'orders', references: ['id'] }], 'order_id'),
      },
    };
    const model = SemanticModel.parse(modelFromSchema(schema, { contextColumn: 'organisation_id' }));
    expect(model.tables.organisations?.relations).toEqual({});
    expect(model.tables.organisations?.contextFilters).toEqual([
      { column: 'id', field: 'organisationId', op: 'eq' },
    ]);
    expect(model.tables.orders?.relations).toEqual({
      organisations: { table: 'organisations', kind: 'many-to-one', on: { organisation_id: 'id' } },
      users: { table: 'users', kind: 'many-to-one', on: { user_id: 'id' } },
      order_items: { table: 'order_items', kind: 'one-to-many', on: { id: 'order_id' } },
    });
    const paths = joinPaths(model, demoAgentConfig, 'order_items');
    expect(Object.fromEntries(paths)).toEqual({ order_items: 1, organisations: 1, orders: 1, users: 1 });
    expect(validateModel(demoAgentConfig, model)).toEqual([]);
  });

  it('builds records safely for tables called __proto__', () => {
    const schema: DatabaseSchema = {
      tables: Object.fromEntries([
        [
          '__proto__',
          {
            columns: { id: col('integer'), constructor: col('text', 'string') },
            primaryKey: ['id'],
            foreignKeys: [],
          },
        ],
      ]),
    };
    const model = modelFromSchema(schema);
    expect(Object.hasOwn(model.tables, '__proto__')).toBe(true);
    const table = Object.getOwnPropertyDescriptor(model.tables, '__proto__')?.value as Table | undefined;
    expect(Object.keys(table?.columns ?? {})).toEqual(['id', 'constructor']);
  });
});

describe('SQLite introspection', () => {
  let dir: string;
  let url: string;
  let db: Knex;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-introspect-'));
    url = `sqlite://${path.join(dir, 'demo.sqlite')}`;
    db = openDatabase(url, { create: true });
    await db.raw('pragma foreign_keys = on');
    await createDemoTables(db);
    // a SQLite-style table: timestamps as TEXT, a foreign key without columns (the parent's primary key)
    await db.raw(
      'create table notes (id integer primary key, organisation_id integer not null, user_id integer references users, body text, created_at text, flag boolean)',
    );
    await db.raw('create view big_orders as select id, total_amount from orders where total_amount > 100');
  });

  afterAll(async () => {
    await db?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads tables, columns, keys and foreign keys', async () => {
    const schema = await introspectDatabase(db);
    const { notes, big_orders: view, ...demo } = schema.tables;
    expectDemoSchema({ tables: demo });
    expect(notes).toEqual({
      columns: {
        id: { dataType: 'INTEGER', type: 'integer', nullable: false },
        organisation_id: { dataType: 'INTEGER', type: 'integer', nullable: false },
        user_id: { dataType: 'INTEGER', type: 'integer', nullable: true },
        body: { dataType: 'TEXT', type: 'string', nullable: true },
        created_at: { dataType: 'TEXT', type: 'datetime', nullable: true },
        flag: { dataType: 'boolean', type: 'boolean', nullable: true },
      },
      primaryKey: ['id'],
      foreignKeys: [{ columns: ['user_id'], table: 'users', references: ['id'] }],
    });
    expect(view?.primaryKey).toEqual([]);
    expect(Object.keys(view?.columns ?? {})).toEqual(['id', 'total_amount']);
  });

  it('pulls a model that validates and passes the check on the same database', async () => {
    await db.schema.dropView('big_orders');
    await db.schema.dropTable('notes');
    expectDemoModel(await roundTrip(db));
  });

  it('`parley model pull` prints and writes the YAML model', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const program = new Command().exitOverride();
    registerModelCommands(program, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    await program.parseAsync(
      ['model', 'pull', '--database', url, '--context-column', 'organisation_id', '--context-field', 'orgId'],
      { from: 'user' },
    );
    const text = out.join('');
    expect(text).toMatch(/^# Semantic model pulled from sqlite:/);
    expect(text).toContain('      - { column: organisation_id, field: orgId }');
    expect(text).toContain('      id: { type: integer }');
    // the schema's empty defaults are left out
    expect(text).not.toMatch(/synonyms: \[\]|computed:|measures:|segments:|op: eq/);
    const model = SemanticModel.parse(parseYaml(text));
    expect(model.tables.orders?.contextFilters).toEqual([
      { column: 'organisation_id', field: 'orgId', op: 'eq' },
    ]);
    expect(err.join('')).toContain('userContext: { orgId: integer }');

    const file = path.join(dir, 'models', 'pulled.yaml');
    await program.parseAsync(['model', 'pull', '--database', url, '--out', file], { from: 'user' });
    const written = SemanticModel.parse(parseYaml(fs.readFileSync(file, 'utf8')));
    expect(written.tables.orders?.contextFilters).toEqual([]);
    expect(Object.keys(written.tables.orders?.columns ?? {})).toEqual([
      'id',
      'organisation_id',
      'status',
      'total_amount',
      'created_at',
    ]);
    await expect(
      program.parseAsync(['model', 'pull', '--database', url, '--out', file], { from: 'user' }),
    ).rejects.toThrow(/exists; pass --force/);
    await program.parseAsync(['model', 'pull', '--database', url, '--out', file, '--force'], {
      from: 'user',
    });
    await expect(program.parseAsync(['model', 'pull'], { from: 'user' })).rejects.toThrow(
      /exactly one of --database URL or --connection ID/,
    );
    await expect(
      program.parseAsync(['model', 'pull', '--database', url, '--context-column', 'x; drop'], {
        from: 'user',
      }),
    ).rejects.toThrow(/not a plain identifier/);
  });

  it('`parley model pull --connection` reads the URL from the config', async () => {
    const config = path.join(dir, 'parley.config.yaml');
    fs.writeFileSync(
      config,
      [
        'connections:',
        '  - { id: main, url: "sqlite://./demo.sqlite" }',
        'agents:',
        '  - { id: a, connection: main, multiTenant: false, model: { tables: {} } }',
        '',
      ].join('\n'),
    );
    const out: string[] = [];
    const program = new Command().exitOverride();
    registerModelCommands(program, { stdout: (t) => out.push(t), stderr: () => {}, env: {} });
    await program.parseAsync(['model', 'pull', '--config', config, '--connection', 'main'], { from: 'user' });
    expect(Object.keys(SemanticModel.parse(parseYaml(out.join(''))).tables)).toContain('orders');
    await expect(
      program.parseAsync(['model', 'pull', '--config', config, '--connection', 'nope'], { from: 'user' }),
    ).rejects.toThrow(/unknown connection 'nope' \(connections: main\)/);
  });
});

// MySQL/MariaDB: runs when PARLEY_TEST_MYSQL_URL is set (e.g. mysql://root@127.0.0.1:3306/test), and always in
// CI, where a database that cannot be reached fails the tests instead of skipping them.
const mysqlUrl =
  process.env.PARLEY_TEST_MYSQL_URL ??
  (process.env.CI === 'true' ? 'mysql://root@127.0.0.1:3306/test' : undefined);
const TEST_DATABASE = 'parley_introspect_test';

describe('MySQL introspection', () => {
  let admin: Knex | undefined;
  let db: Knex | undefined;

  beforeAll(async () => {
    if (!mysqlUrl) return;
    admin = openDatabase(mysqlUrl);
    await admin.raw('drop database if exists ??', [TEST_DATABASE]);
    await admin.raw('create database ?? character set utf8mb4', [TEST_DATABASE]);
    const target = new URL(mysqlUrl.replace(/^mariadb:/, 'mysql:'));
    target.pathname = `/${TEST_DATABASE}`;
    db = openDatabase(target.toString());
    await createDemoTables(db);
  });

  afterAll(async () => {
    await db?.destroy();
    if (admin) {
      await admin.raw('drop database if exists ??', [TEST_DATABASE]);
      await admin.destroy();
    }
  });

  it.skipIf(!mysqlUrl)(
    'reads tables, columns, keys and foreign keys — requires MySQL (set PARLEY_TEST_MYSQL_URL)',
    async () => {
      const schema = await introspectDatabase(db!);
      expectDemoSchema(schema);
      expect(schema.tables.users?.columns.id?.dataType).toMatch(/^int(\(10\))? unsigned$/);
      expect(schema.tables.products?.columns.price?.dataType).toBe('decimal(10,2)');
    },
  );

  it.skipIf(!mysqlUrl)('maps MySQL column types — requires MySQL (set PARLEY_TEST_MYSQL_URL)', async () => {
    await db!.raw(`create table type_samples (
      a int not null, b int not null, flag tinyint(1), small tinyint, big bigint unsigned, ratio double,
      amount decimal(8,3), label varchar(20), body text, state enum('open','it''s closed'), day date,
      moment datetime, stamp timestamp null, data blob, primary key (a, b))`);
    try {
      const samples = (await introspectDatabase(db!)).tables.type_samples!;
      expect(Object.fromEntries(Object.entries(samples.columns).map(([n, c]) => [n, c.type]))).toEqual({
        a: 'integer',
        b: 'integer',
        flag: 'boolean',
        small: 'integer',
        big: 'integer',
        ratio: 'number',
        amount: 'number',
        label: 'string',
        body: 'string',
        state: 'string',
        day: 'date',
        moment: 'datetime',
        stamp: 'datetime',
        data: 'string',
      });
      expect(samples.primaryKey).toEqual(['a', 'b']);
      const model = modelFromSchema({ tables: { type_samples: samples } });
      expect(model.tables.type_samples?.columns.state?.values).toEqual(['open', "it's closed"]);
      expect(model.tables.type_samples?.columns.data).toBeUndefined();
    } finally {
      await db!.schema.dropTable('type_samples');
    }
  });

  it.skipIf(!mysqlUrl)(
    'pulls a model that validates and passes the check on the same database — requires MySQL (set PARLEY_TEST_MYSQL_URL)',
    async () => {
      expectDemoModel(await roundTrip(db!));
    },
  );
});
