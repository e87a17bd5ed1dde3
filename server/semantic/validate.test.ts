import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import {
  Agent,
  type AgentConfig,
  SemanticModel,
  type SemanticModel as SemanticModelT,
} from '../config/schema.ts';
import { hiddenKeyColumns, joinPaths, modelColumnUses, validateModel } from './validate.ts';

const tenant = [{ column: 'organisation_id', field: 'organisationId' }];

function demoModelInput() {
  return {
    tables: {
      organisations: {
        contextFilters: [{ column: 'id', field: 'organisationId' }],
        labelColumn: 'name',
        columns: { name: { type: 'string' } },
        relations: { users: { table: 'users', kind: 'one-to-many', on: { id: 'organisation_id' } } },
      },
      users: {
        labelColumn: 'name',
        timeColumn: 'created_at',
        contextFilters: tenant,
        synonyms: ['customers'],
        columns: {
          id: { type: 'integer' },
          name: { type: 'string', synonyms: ['customer name'] },
          email: { type: 'string' },
          country: { type: 'string', values: ['DE', 'FR', 'US'] },
          created_at: { type: 'datetime', synonyms: ['signup date'] },
          last_order_at: { type: 'datetime' },
        },
        relations: { orders: { table: 'orders', kind: 'one-to-many', on: { id: 'user_id' } } },
        segments: {
          recent: {
            filter: {
              op: 'dateRange',
              field: 'users.created_at',
              range: { kind: 'last', unit: 'day', n: 30 },
            },
          },
        },
      },
      orders: {
        timeColumn: 'created_at',
        contextFilters: tenant,
        columns: {
          id: { type: 'integer' },
          status: { type: 'string', values: ['pending', 'paid', 'shipped', 'cancelled'] },
          total_amount: { type: 'number', unit: 'EUR' },
          created_at: { type: 'datetime' },
        },
        relations: {
          users: { table: 'users', kind: 'many-to-one', on: { user_id: 'id' } },
          order_items: { table: 'order_items', kind: 'one-to-many', on: { id: 'order_id' } },
        },
        measures: {
          revenue: {
            aggregate: 'sum',
            column: 'total_amount',
            filter: { op: 'in', field: 'orders.status', values: ['paid', 'shipped'] },
            synonyms: ['sales'],
          },
          order_count: { aggregate: 'count' },
          german_orders: { aggregate: 'count', filter: { op: 'eq', field: 'users.country', value: 'DE' } },
        },
        segments: {
          paid: { filter: { op: 'eq', field: 'orders.status', value: 'paid' } },
          big_paid: {
            filter: {
              op: 'and',
              filters: [
                { op: 'segment', segment: 'paid' },
                { op: 'gt', field: 'orders.total_amount', value: 100 },
              ],
            },
          },
          recent_customers: { filter: { op: 'segment', segment: 'users.recent' } },
        },
      },
      order_items: {
        contextFilters: tenant,
        columns: { quantity: { type: 'integer' }, unit_price: { type: 'number' } },
        computed: { line_total: { expression: 'quantity * unit_price' } },
        relations: {
          orders: { table: 'orders', kind: 'many-to-one', on: { order_id: 'id' } },
          products: { table: 'products', kind: 'many-to-one', on: { product_id: 'id' } },
        },
        measures: {
          units: { aggregate: 'sum', column: 'quantity' },
          line_sales: { aggregate: 'sum', column: 'line_total' },
          book_sales: {
            aggregate: 'sum',
            column: 'line_total',
            filter: { op: 'eq', field: 'products.category', value: 'books' },
          },
        },
      },
      products: {
        labelColumn: 'name',
        contextFilters: tenant,
        columns: { name: { type: 'string' }, category: { type: 'string' }, price: { type: 'number' } },
      },
    },
  };
}

type ModelInput = ReturnType<typeof demoModelInput>;
// biome-ignore lint/suspicious/noExplicitAny: tests mutate the raw input freely
type Loose = any;

function agentOf(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return Agent.parse({
    id: 'demo',
    userContext: { organisationId: 'integer', orgIds: 'integer[]', isAdmin: 'boolean', region: 'string' },
    modelFile: 'model.yaml',
    ...overrides,
  });
}

function issuesOf(mutate: (m: Loose) => void = () => {}, agent = agentOf()) {
  const input: ModelInput = structuredClone(demoModelInput());
  mutate(input);
  const model: SemanticModelT = SemanticModel.parse(input);
  return validateModel(agent, model);
}

describe('validateModel', () => {
  it('accepts the demo model', () => {
    expect(issuesOf()).toEqual([]);
  });

  it('reports an empty model', () => {
    expect(validateModel(agentOf(), { tables: {} })).toEqual([
      { path: 'model.tables', message: 'the model has no tables' },
    ]);
  });

  it('reports relations to tables outside the model', () => {
    expect(
      issuesOf((m) => {
        m.tables.orders.relations.users.table = 'customers';
      }),
    ).toContainEqual({
      path: 'model.tables.orders.relations.users.table',
      message: 'relation users targets table customers, which is not in the model',
    });
  });

  it('reports join keys that are computed columns or of incompatible types', () => {
    const issues = issuesOf((m) => {
      m.tables.orders.relations.order_items.on = { id: 'line_total' };
      m.tables.users.columns.id.type = 'string';
      m.tables.orders.relations.users.on = { created_at: 'id' };
    });
    expect(issues).toContainEqual({
      path: 'model.tables.orders.relations.order_items.on.id',
      message: 'join key order_items.line_total must be a column, not a computed column',
    });
    expect(issues).toContainEqual({
      path: 'model.tables.orders.relations.users.on.created_at',
      message: 'join key orders.created_at (datetime) cannot match users.id (string)',
    });
  });

  it('accepts hidden key columns and records them', () => {
    const model = SemanticModel.parse(demoModelInput());
    expect([...hiddenKeyColumns(model, 'orders')].sort()).toEqual(['organisation_id', 'user_id']);
    expect([...hiddenKeyColumns(model, 'order_items')].sort()).toEqual([
      'id',
      'order_id',
      'organisation_id',
      'product_id',
    ]);
    expect([...hiddenKeyColumns(model, 'organisations')]).toEqual(['id']);
    const uses = modelColumnUses(model).get('orders') ?? [];
    expect(uses).toContainEqual({
      column: 'user_id',
      role: 'relationKey',
      path: 'model.tables.users.relations.orders.on.id',
    });
    expect(uses).toContainEqual({
      column: 'organisation_id',
      role: 'contextFilter',
      path: 'model.tables.orders.contextFilters.0.column',
    });
    expect(joinPaths(model, agentOf(), 'products')).toEqual(new Map([['products', 1]]));
    expect(joinPaths(model, agentOf(), 'organisations')).toEqual(
      new Map([
        ['organisations', 1],
        ['users', 1],
        ['orders', 1],
        ['order_items', 1],
        ['products', 1],
      ]),
    );
    expect(joinPaths(model, agentOf(), 'order_items').has('organisations')).toBe(false);
  });

  it('reports measure columns that do not exist or do not fit the aggregate', () => {
    const issues = issuesOf((m) => {
      m.tables.orders.measures.revenue.column = 'amount';
      m.tables.orders.measures.avg_status = { aggregate: 'avg', column: 'status' };
      m.tables.orders.measures.distinct_users = { aggregate: 'countDistinct', column: 'user_id' };
      m.tables.order_items.measures.max_line = { aggregate: 'max', column: 'line_total' };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.orders.measures.revenue.column',
        message: 'measure column amount is not a column or computed column of orders',
      },
      {
        path: 'model.tables.orders.measures.avg_status.column',
        message: 'avg needs a numeric column, status is string',
      },
      {
        path: 'model.tables.orders.measures.distinct_users.column',
        message: 'measure column user_id is not a column or computed column of orders',
      },
    ]);
  });

  it('reports measure and segment filters on unknown or unreachable fields', () => {
    const issues = issuesOf((m) => {
      m.tables.orders.measures.revenue.filter = { op: 'eq', field: 'orders.state', value: 'paid' };
      m.tables.orders.segments.paid.filter = { op: 'eq', field: 'invoices.status', value: 'paid' };
      m.tables.products.segments = { big: { filter: { op: 'gt', field: 'orders.total_amount', value: 1 } } };
      m.tables.users.segments.recent.filter = {
        op: 'not',
        filter: { op: 'or', filters: [{ op: 'isNull', field: 'users.organisation_id' }] },
      };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.users.segments.recent.filter.filter.filters.0.field',
        message: 'field users.organisation_id: organisation_id is not a column or computed column of users',
      },
      {
        path: 'model.tables.orders.measures.revenue.filter.field',
        message: 'field orders.state: state is not a column or computed column of orders',
      },
      {
        path: 'model.tables.orders.segments.paid.filter.field',
        message: 'field invoices.status names table invoices, which is not in the model',
      },
      {
        path: 'model.tables.products.segments.big.filter.field',
        message: 'field orders.total_amount is on table orders, which products has no relation path to',
      },
    ]);
  });

  it('reports a segment comparing two columns that cannot be compared, or a column that is not there', () => {
    const issues = issuesOf((m) => {
      m.tables.orders.segments.odd = {
        filter: { op: 'compareFields', field: 'orders.total_amount', cmp: 'gt', other: 'orders.created_at' },
      };
      m.tables.orders.segments.lost = {
        filter: { op: 'compareFields', field: 'orders.total_amount', cmp: 'gt', other: 'orders.discount' },
      };
      m.tables.orders.segments.fine = {
        filter: { op: 'compareFields', field: 'orders.total_amount', cmp: 'gt', other: 'orders.id' },
      };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.orders.segments.odd.filter',
        message: 'orders.total_amount (number) and orders.created_at (datetime) cannot be compared',
      },
      {
        path: 'model.tables.orders.segments.lost.filter.other',
        message: 'field orders.discount: discount is not a column or computed column of orders',
      },
    ]);
  });

  it('reports filters on tables that are off, wrong operator types and unknown values', () => {
    const issues = issuesOf((m) => {
      m.tables.products.access = 'off';
      m.tables.products.contextFilters = [];
      m.tables.orders.segments.paid.filter = { op: 'eq', field: 'orders.status', value: 'payed' };
      m.tables.orders.segments.odd = {
        filter: {
          op: 'and',
          filters: [
            { op: 'dateRange', field: 'orders.status', range: { kind: 'current', unit: 'month' } },
            { op: 'contains', field: 'orders.total_amount', value: '1' },
            { op: 'in', field: 'users.country', values: ['DE', 'XX'] },
          ],
        },
      };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.orders.segments.paid.filter',
        message: '"payed" is not one of the values of orders.status',
      },
      {
        path: 'model.tables.orders.segments.odd.filter.filters.0.field',
        message: 'dateRange needs a date or datetime column, orders.status is string',
      },
      {
        path: 'model.tables.orders.segments.odd.filter.filters.1.field',
        message: 'contains needs a string column, orders.total_amount is number',
      },
      {
        path: 'model.tables.orders.segments.odd.filter.filters.2',
        message: '"XX" is not one of the values of users.country',
      },
      {
        path: 'model.tables.order_items.measures.book_sales.filter.field',
        message: 'field products.category is on table products, whose access is off',
      },
    ]);
  });

  it('reports unknown and self-referencing segments', () => {
    const issues = issuesOf((m) => {
      m.tables.orders.segments.paid.filter = { op: 'segment', segment: 'big_paid' };
      m.tables.orders.measures.order_count.filter = { op: 'segment', segment: 'unpaid' };
      m.tables.orders.measures.old = { aggregate: 'count', filter: { op: 'segment', segment: 'products.x' } };
      m.tables.orders.segments.me = {
        filter: { op: 'not', filter: { op: 'segment', segment: 'orders.me' } },
      };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.orders.measures.order_count.filter.segment',
        message: 'segment unpaid is not defined',
      },
      {
        path: 'model.tables.orders.measures.old.filter.segment',
        message: 'segment products.x is not defined on table products',
      },
      {
        path: 'model.tables.orders.segments.paid.filter.segment',
        message: 'segment orders.paid refers to itself (orders.paid -> orders.big_paid -> orders.paid)',
      },
      {
        path: 'model.tables.orders.segments.big_paid.filter.filters.0.segment',
        message:
          'segment orders.big_paid refers to itself (orders.big_paid -> orders.paid -> orders.big_paid)',
      },
      {
        path: 'model.tables.orders.segments.me.filter.filter.segment',
        message: 'segment orders.me refers to itself (orders.me -> orders.me)',
      },
    ]);
  });

  it('resolves bare segment names across tables and checks segment fields from the using table', () => {
    const issues = issuesOf((m) => {
      // a bare name must be unique across tables (as at query time)
      m.tables.products.segments = { paid: { filter: { op: 'gt', field: 'products.price', value: 0 } } };
      // users.recent filters on users.created_at, which order_items can reach but products cannot
      m.tables.order_items.measures.recent_units = {
        aggregate: 'sum',
        column: 'quantity',
        filter: { op: 'segment', segment: 'recent' },
      };
      m.tables.products.measures = {
        recent_products: {
          aggregate: 'count',
          filter: { op: 'not', filter: { op: 'segment', segment: 'users.recent' } },
        },
      };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.orders.segments.big_paid.filter.filters.0.segment',
        message: 'segment paid is defined on several tables (orders, products); write table.paid',
      },
      {
        path: 'model.tables.products.measures.recent_products.filter.filter.segment',
        message:
          'segment users.recent: field users.created_at is on table users, which products has no relation path to',
      },
    ]);
  });

  it('reports filters on tables reachable in more than one way', () => {
    const issues = issuesOf((m) => {
      // order_items -> orders -> users and order_items -> products -> users: two shortest paths
      m.tables.products.relations = {
        maker: { table: 'users', kind: 'many-to-one', on: { maker_id: 'id' } },
      };
      m.tables.order_items.measures.german_units = {
        aggregate: 'sum',
        column: 'quantity',
        filter: { op: 'eq', field: 'users.country', value: 'DE' },
      };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.order_items.measures.german_units.filter.field',
        message:
          'field users.country: order_items relates to users in more than one way; the model must make the path unique',
      },
    ]);
    const model = SemanticModel.parse(demoModelInput());
    model.tables.order_items!.relations.via_products = {
      table: 'products',
      kind: 'many-to-one',
      on: { product_id: 'id' },
    };
    model.tables.products!.relations.users = { table: 'users', kind: 'many-to-one', on: { maker_id: 'id' } };
    expect(joinPaths(model, agentOf(), 'order_items').get('users')).toBe(3);
  });

  it('takes days_between of two date columns, and reports one of anything else', () => {
    const issues = issuesOf((m) => {
      m.tables.orders.computed = {
        age_days: { expression: 'days_between(created_at, created_at)' },
        odd_days: { expression: 'days_between(status, created_at)' },
      };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.orders.computed.odd_days.expression',
        message: 'status is a string column; days_between needs date columns',
      },
    ]);
  });

  it('reports computed expressions that do not parse or use non-numeric columns', () => {
    const issues = issuesOf((m) => {
      m.tables.order_items.computed.line_total.expression = 'quantity * price); DROP TABLE users; --';
      m.tables.orders.computed = {
        weird: { expression: 'status * 2' },
        total_amount: { expression: 'total_amount * 1.2' },
        via_key: { expression: 'user_id + 1' },
      };
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.orders.computed.weird.expression',
        message: 'status is a string column; expressions need integer or number columns',
      },
      {
        path: 'model.tables.orders.computed.total_amount',
        message: 'total_amount is both a column and a computed column',
      },
      {
        path: 'model.tables.orders.computed.via_key.expression',
        message: 'unknown column "user_id" (at character 1)',
      },
      {
        path: 'model.tables.order_items.computed.line_total.expression',
        message: '";" is not allowed (at character 18)',
      },
    ]);
  });

  it('reports label and time columns that do not exist or have the wrong type', () => {
    const issues = issuesOf((m) => {
      m.tables.users.labelColumn = 'full_name';
      m.tables.orders.timeColumn = 'status';
      m.tables.products.timeColumn = 'created_at';
    });
    expect(issues).toEqual([
      { path: 'model.tables.users.labelColumn', message: 'labelColumn full_name is not a column of users' },
      {
        path: 'model.tables.orders.timeColumn',
        message: 'timeColumn status is a string column, not a date or datetime',
      },
      {
        path: 'model.tables.products.timeColumn',
        message: 'timeColumn created_at is not a column of products',
      },
    ]);
  });

  it('reports context filter fields that are undeclared or of the wrong type', () => {
    const issues = issuesOf((m) => {
      m.tables.users.contextFilters = [{ column: 'organisation_id', field: 'orgId' }];
      m.tables.orders.contextFilters = [{ column: 'organisation_id', field: 'orgIds' }];
      m.tables.products.contextFilters = [{ column: 'organisation_id', field: 'organisationId', op: 'in' }];
      m.tables.order_items.contextFilters = [{ column: 'organisation_id', field: 'orgIds', op: 'in' }];
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.users.contextFilters.0.field',
        message: "context filter field orgId is not declared in the agent's userContext",
      },
      {
        path: 'model.tables.orders.contextFilters.0.field',
        message: 'userContext field orgIds is a list (integer[]); use op "in" for lists',
      },
      {
        path: 'model.tables.products.contextFilters.0.field',
        message: 'op "in" needs an integer[] or string[] userContext field, organisationId is integer',
      },
    ]);
  });

  it('reports visibleWhen fields that are undeclared or not boolean', () => {
    expect(issuesOf((m) => (m.tables.products.visibleWhen = 'isAdmin'))).toEqual([]);
    expect(
      issuesOf((m) => {
        m.tables.products.visibleWhen = 'region';
        m.tables.users.visibleWhen = 'canSeeUsers';
      }),
    ).toEqual([
      {
        path: 'model.tables.users.visibleWhen',
        message: "visibleWhen field canSeeUsers is not declared in the agent's userContext",
      },
      {
        path: 'model.tables.products.visibleWhen',
        message: 'visibleWhen field region must be a boolean, not string',
      },
    ]);
  });

  it('requires a context filter on every usable table of a multi-tenant agent', () => {
    const mutate = (m: Loose) => {
      m.tables.products.contextFilters = [];
      m.tables.order_items.contextFilters = [];
      m.tables.order_items.access = 'joinable';
      m.tables.organisations.contextFilters = [];
      m.tables.organisations.access = 'off';
    };
    expect(issuesOf(mutate)).toEqual([
      {
        path: 'model.tables.order_items.contextFilters',
        message: 'table order_items is joinable in a multi-tenant agent but has no context filter',
      },
      {
        path: 'model.tables.order_items.measures.book_sales.filter.field',
        message: 'field products.category is on table products, which has no context filter',
      },
      {
        path: 'model.tables.products.contextFilters',
        message: 'table products is queryable in a multi-tenant agent but has no context filter',
      },
    ]);
    expect(issuesOf(mutate, agentOf({ multiTenant: false }))).toEqual([]);
  });

  it('forbids context filter columns among the visible columns', () => {
    expect(
      issuesOf((m) => {
        m.tables.orders.columns.organisation_id = { type: 'integer' };
      }),
    ).toEqual([
      {
        path: 'model.tables.orders.columns.organisation_id',
        message: 'organisation_id is a context filter column and must not be a visible column',
      },
    ]);
    expect(
      issuesOf((m) => {
        m.tables.order_items.contextFilters = [{ column: 'line_total', field: 'organisationId' }];
      }),
    ).toContainEqual({
      path: 'model.tables.order_items.contextFilters.0.column',
      message: 'context filter column line_total must be a column, not a computed column',
    });
  });

  it('allows values lists only on string and integer columns, with matching values', () => {
    const issues = issuesOf((m) => {
      m.tables.orders.columns.total_amount.values = [1, 2];
      m.tables.orders.columns.id.values = [1, 2.5, 'x'];
      m.tables.users.columns.country.values = ['DE', 1];
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.users.columns.country.values.1',
        message: 'value 1 is not a string',
      },
      { path: 'model.tables.orders.columns.id.values.1', message: 'value 2.5 is not a integer' },
      { path: 'model.tables.orders.columns.id.values.2', message: 'value "x" is not a integer' },
      {
        path: 'model.tables.orders.columns.total_amount.values',
        message: 'values lists are only allowed on string and integer columns, not number',
      },
    ]);
  });

  it('requires synonyms to be unique within a table among things of one kind', () => {
    const issues = issuesOf((m) => {
      m.tables.orders.columns.total_amount.synonyms = ['Order Total', 'sales'];
      m.tables.orders.columns.status.synonyms = ['order  total'];
      m.tables.users.columns.email.synonyms = ['mail', 'mail'];
      m.tables.users.synonyms = ['customers', 'Customers'];
      m.tables.orders.measures.order_count.synonyms = ['Sales'];
      m.tables.order_items.computed.line_total.synonyms = ['qty'];
      m.tables.order_items.columns.quantity.synonyms = ['QTY'];
      // the same word for a column and a measure, or in different tables, is fine
      m.tables.products.synonyms = ['customers'];
    });
    expect(issues).toEqual([
      {
        path: 'model.tables.users.synonyms.1',
        message:
          'synonym "Customers" is used by more than one table name of table users (first at model.tables.users.synonyms)',
      },
      {
        path: 'model.tables.users.columns.email.synonyms.1',
        message:
          'synonym "mail" is used by more than one column of table users (first at model.tables.users.columns.email.synonyms)',
      },
      {
        path: 'model.tables.orders.columns.total_amount.synonyms.0',
        message:
          'synonym "Order Total" is used by more than one column of table orders (first at model.tables.orders.columns.status.synonyms)',
      },
      {
        path: 'model.tables.orders.measures.order_count.synonyms.0',
        message:
          'synonym "Sales" is used by more than one measure of table orders (first at model.tables.orders.measures.revenue.synonyms)',
      },
      {
        path: 'model.tables.order_items.computed.line_total.synonyms.0',
        message:
          'synonym "qty" is used by more than one column of table order_items (first at model.tables.order_items.columns.quantity.synonyms)',
      },
    ]);
  });

  it('accepts the repository demo config', () => {
    const loaded = loadConfig(fileURLToPath(new URL('../../parley.config.yaml', import.meta.url)), {});
    for (const agent of loaded.agents.values()) expect(validateModel(agent.config, agent.model)).toEqual([]);
  });
});
