// Which event a date belongs to, and conditions on counts of related rows, read from the verbs of a question.
// Every wording here is written for this test and appears in no eval file.
import { describe, expect, it } from 'vitest';
import { demoPlanOf } from '../../../test/support/demo-planner.ts';
import type { Filter } from '../../query/plan.ts';

const ordersIn = (range: unknown): Filter =>
  ({
    op: 'related',
    table: 'orders',
    filter: { op: 'dateRange', field: 'orders.created_at', range },
  }) as Filter;

describe('a date belongs to the event its verb names', () => {
  it('dates the account when people joined, signed up or registered', async () => {
    for (const q of ['how many members signed up in june', 'count the users who registered during june']) {
      const p = await demoPlanOf(q);
      expect(p.table, q).toBe('users');
      expect(p.time, q).toEqual({
        field: 'users.created_at',
        range: { kind: 'period', period: { month: 6 } },
      });
      expect(
        p.filters.filter((f) => f.op === 'related'),
        q,
      ).toEqual([]);
    }
  });

  it('dates their orders when people bought, ordered or purchased', async () => {
    for (const q of [
      'how many members purchased anything during september',
      'number of users that ordered in september',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.table, q).toBe('users');
      expect(p.time?.range, q).toBeUndefined();
      expect(p.filters, q).toContainEqual(ordersIn({ kind: 'period', period: { month: 9 } }));
    }
  });

  it('keeps both when one clause says when they joined and another when they bought', async () => {
    const p = await demoPlanOf('users who registered in 2024 and then purchased something in q2');
    expect(p.time?.range).toEqual({ kind: 'period', period: { year: 2024 } });
    expect(p.filters).toContainEqual(ordersIn({ kind: 'period', period: { quarter: 2 } }));
  });

  it("dates an order by its own date when the order is what was placed, and its buyer's by the buyer's", async () => {
    const p = await demoPlanOf('number of orders placed in august by members that joined in july');
    expect(p.table).toBe('orders');
    expect(p.time?.range).toEqual({ kind: 'period', period: { month: 8 } });
    expect(p.filters).toContainEqual({
      op: 'dateRange',
      field: 'users.created_at',
      range: { kind: 'period', period: { month: 7 } },
    });
  });

  it('reads an open-ended bound on the account date', async () => {
    const p = await demoPlanOf('revenue in october from members registered before 2024');
    expect(p.time?.range).toEqual({ kind: 'period', period: { month: 10 } });
    expect(p.filters).toContainEqual({
      op: 'lt',
      field: 'users.created_at',
      value: '2024-01-01T00:00:00.000Z',
    });
  });
});

describe('conditions on how many related rows there are', () => {
  it('at least, more than, exactly and "N or more"', async () => {
    const cases: Array<[string, unknown]> = [
      ['members with at least 4 orders', { op: 'gte', value: 4 }],
      ['how many shoppers have more than 7 purchases', { op: 'gt', value: 7 }],
      ['users who placed exactly 2 orders', { op: 'eq', value: 2 }],
      ['members that have 6 or more orders', { op: 'gte', value: 6 }],
    ];
    for (const [q, count] of cases) {
      const p = await demoPlanOf(q);
      expect(p.table, q).toBe('users');
      expect(p.filters, q).toContainEqual({ op: 'related', table: 'orders', count });
    }
  });

  it('once, twice and coming back', async () => {
    const cases: Array<[string, unknown]> = [
      ['members who purchased only once', { op: 'eq', value: 1 }],
      ['users that ordered twice', { op: 'eq', value: 2 }],
      ['how many members ordered more than once', { op: 'gt', value: 1 }],
      ['users who came back and purchased again', { op: 'gte', value: 2 }],
    ];
    for (const [q, count] of cases) {
      expect((await demoPlanOf(q)).filters, q).toContainEqual({ op: 'related', table: 'orders', count });
    }
  });

  it('none, within a period: accounts without orders, products nobody bought', async () => {
    const users = await demoPlanOf('how many members placed no orders during october');
    expect(users.filters).toContainEqual({
      op: 'not',
      filter: ordersIn({ kind: 'period', period: { month: 10 } }),
    });
    const products = await demoPlanOf('which products did nobody purchase in august');
    expect(products.table).toBe('products');
    expect(products.filters).toContainEqual({
      op: 'not',
      filter: {
        op: 'related',
        table: 'order_items',
        filter: {
          op: 'dateRange',
          field: 'orders.created_at',
          range: { kind: 'period', period: { month: 8 } },
        },
      },
    });
  });

  it('counts only the related rows the clause describes ("completed orders")', async () => {
    const p = await demoPlanOf('members with over 3 completed orders');
    expect(p.filters).toContainEqual({
      op: 'related',
      table: 'orders',
      filter: { op: 'eq', field: 'orders.status', value: 'completed' },
      count: { op: 'gt', value: 3 },
    });
  });

  it('does not read "products we sell" or "buyers" as a condition', async () => {
    expect((await demoPlanOf('how many products are we selling')).filters).toEqual([]);
    expect((await demoPlanOf('how many buyers are there in france')).filters).not.toContainEqual(
      expect.objectContaining({ op: 'related' }),
    );
  });
});

describe('clauses that repeat or borrow a date', () => {
  it('a date after "and again" repeats the activity as a second condition', async () => {
    for (const q of [
      'members who purchased in march and again in april',
      'how many shoppers ordered during q1 and also during q2',
    ]) {
      const related = (await demoPlanOf(q)).filters.filter((f) => f.op === 'related');
      expect(related, q).toHaveLength(2);
    }
  });

  it('a leading date with no word of joining dates what the people did', async () => {
    const p = await demoPlanOf('during 2024, how many members placed at least 6 orders');
    expect(p.time?.range).toBeUndefined();
    expect(p.filters).toContainEqual({
      op: 'related',
      table: 'orders',
      filter: {
        op: 'dateRange',
        field: 'orders.created_at',
        range: { kind: 'period', period: { year: 2024 } },
      },
      count: { op: 'gte', value: 6 },
    });
    // "new" people are dated by their joining
    const fresh = await demoPlanOf('during 2024, how many new members placed at least 6 orders');
    expect(fresh.time?.range).toEqual({ kind: 'period', period: { year: 2024 } });
  });

  it('a share of people that only a clause narrows', async () => {
    const p = await demoPlanOf('what fraction of our members purchased more than 4 times');
    const share = p.measures[0];
    expect(share).toMatchObject({ kind: 'ratio', denominator: { kind: 'count' } });
    if (share?.kind !== 'ratio') throw new Error('not a ratio');
    expect(JSON.stringify(share.numerator)).toContain(
      JSON.stringify({ op: 'related', table: 'orders', count: { op: 'gt', value: 4 } }),
    );
    expect(p.filters).toEqual([]);
  });
});

describe('follow-ups edit the related-row condition', () => {
  it('moves its date or its count, keeping the rest', async () => {
    const first = await demoPlanOf('how many members had no orders in september');
    const history = [{ question: 'how many members had no orders in september', plan: first }];
    const moved = await demoPlanOf('and in august?', history);
    expect(moved.filters).toContainEqual({
      op: 'not',
      filter: ordersIn({ kind: 'period', period: { month: 8 } }),
    });
    const counted = await demoPlanOf('members with at least 3 orders');
    const more = await demoPlanOf('what about at least 9?', [
      { question: 'members with at least 3 orders', plan: counted },
    ]);
    expect(more.filters).toContainEqual({ op: 'related', table: 'orders', count: { op: 'gte', value: 9 } });
  });

  it('reads "sold" by what units sold counts and "bought" as any order', async () => {
    const sold = await demoPlanOf('which products were not sold in october');
    expect(JSON.stringify(sold.filters)).toContain('"orders.status","value":"completed"');
    const bought = await demoPlanOf('which products did nobody buy in october');
    expect(JSON.stringify(bought.filters)).not.toContain('orders.status');
  });
});

describe('first times, and who did it when nobody is named', () => {
  it('"their first order in a period": an order then and none before', async () => {
    for (const q of [
      'how many members made their first purchase in october',
      'shoppers whose first order was in september',
    ]) {
      const p = await demoPlanOf(q);
      const text = JSON.stringify(p.filters);
      expect(text, q).toContain('"op":"not","filter":{"op":"related","table":"orders","filter":{"op":"lt"');
    }
  });

  it('people join and buy when nobody else is named', async () => {
    const p = await demoPlanOf('of the members who registered in may, how many went on to order');
    expect(p.table).toBe('users');
    expect(p.time?.range).toEqual({ kind: 'period', period: { month: 5 } });
    expect(p.filters).toContainEqual({ op: 'related', table: 'orders' });
  });
});

describe('a bare number of related rows is that many', () => {
  it('"just one order", "with 3 orders" count exactly', async () => {
    for (const [q, value] of [
      ['what fraction of members have just one order', 1],
      ['number of users having 3 orders', 3],
    ] as const) {
      const p = await demoPlanOf(q);
      expect(JSON.stringify(p), q).toContain(`"count":{"op":"eq","value":${value}}`);
    }
  });

  it('does not take a listing size for a count', async () => {
    const p = await demoPlanOf('show just 4 orders');
    expect(p.limit).toBe(4);
    expect(JSON.stringify(p.filters)).not.toContain('"count"');
  });
});

it('"never bought a single thing" is none, not exactly one', async () => {
  const p = await demoPlanOf('members that have not made a single purchase in 2025');
  expect(JSON.stringify(p.filters)).toContain('"op":"not"');
  expect(JSON.stringify(p.filters)).not.toContain('"value":1}');
});

describe('an amount of what was spent or sold, per person or product', () => {
  it('"spent more than N" adds up their revenue (completed orders), counting the people', async () => {
    for (const q of [
      'members who spent more than 2,000 dollars in 2025',
      'how many users have spent at least 750 in total',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.table, q).toBe('users');
      expect(p.measures, q).toEqual([{ kind: 'count' }]);
      const related = p.filters.find((f) => f.op === 'related');
      expect(related && related.op === 'related' ? related.count?.sum : undefined, q).toBe(
        'orders.total_amount',
      );
    }
  });

  it('"sold fewer than N units" adds up the units of each product', async () => {
    for (const q of [
      'products that sold less than 15 units in october',
      'count products which sold over 40 units',
    ]) {
      const p = await demoPlanOf(q);
      expect(p.table, q).toBe('products');
      expect(JSON.stringify(p.filters), q).toContain('"sum":"order_items.quantity"');
    }
  });
});

it('"products we sell for under 20 dollars" is a price, not an amount sold', async () => {
  const p = await demoPlanOf('number of products that we sell for less than 15 dollars');
  expect(p.filters).toContainEqual({ op: 'lt', field: 'products.price', value: 15 });
  expect(JSON.stringify(p.filters)).not.toContain('"sum"');
});

describe('how often, with a bound written after it', () => {
  it('reads "twice or more" and "3 times or fewer" as bounds on the count, within the clause\'s period', async () => {
    const cases: Array<[string, string, number]> = [
      ['members that purchased twice or more during september', 'gte', 2],
      ['members that purchased 3 times or fewer during september', 'lte', 3],
    ];
    for (const [q, op, value] of cases) {
      const related = (await demoPlanOf(q)).filters.filter((f) => f.op === 'related');
      expect(related, q).toEqual([
        {
          ...ordersIn({ kind: 'period', period: { month: 9 } }),
          count: { op, value },
        },
      ]);
    }
  });
});

describe('rows with no date of their own in a "with" clause', () => {
  it('leave the period to the rows asked about ("checkouts containing toys" are dated by the checkout)', async () => {
    const p = await demoPlanOf('count checkouts with toys during september');
    expect(p.table).toBe('orders');
    expect(p.time).toEqual({ field: 'orders.created_at', range: { kind: 'period', period: { month: 9 } } });
    expect(p.filters).toContainEqual({
      op: 'related',
      table: 'products',
      filter: { op: 'eq', field: 'products.category', value: 'Toys' },
    });
  });
});

describe('"their last <thing>" is the date the model keeps of it', () => {
  it('dates the last order on users.last_order_at, not on any order', async () => {
    const p = await demoPlanOf('number of users who made their last order in 2025');
    const text = JSON.stringify(p.filters);
    expect(text).toContain('users.last_order_at');
    expect(text).not.toContain('"related"');
  });
});
