// Kinds of questions about a user's own files, end to end (upload through the host API, ask through the SDK): the
// file's numbers are its measures, a question the file explains better is read from it, a figure both the data and
// a file could mean is asked about, and two files that share a column name stay apart. Figures are checked against
// the rows the test wrote.
import Inconvo, { toFile } from '@inconvoai/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSection } from './support/config-text.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
let client: Inconvo;
const USER = 'dana';

const REGIONS = ['North', 'South', 'East', 'West'];
const CHANNELS = ['web', 'store'];
/** 48 deliveries in 2025: a region, a channel, units and a unit price each */
const DELIVERIES = Array.from({ length: 48 }, (_, i) => ({
  day: `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 1).padStart(2, '0')}`,
  region: REGIONS[i % 4] as string,
  channel: CHANNELS[i % 2] as string,
  units: (i * 7) % 23,
  price: 5 + (i % 5),
}));
/** 30 support tickets: open and pending ones, some with no assignee, a channel of their own */
const TICKETS = Array.from({ length: 30 }, (_, i) => ({
  opened: `2025-06-${String((i % 28) + 1).padStart(2, '0')} 09:30`,
  // pending before open: the file's own "open" must not be read as pending ("open" is also a way to say it)
  status: ['pending', 'open', 'solved'][i % 3] as string,
  // half the tickets have nobody: the largest group, which a ranking of people must not put first
  assignee: i % 2 === 0 ? '' : (['Ana', 'Ben', 'Chloe', 'Ana'][i % 4] as string),
  channel: ['email', 'chat'][i % 2] as string,
  satisfaction: (i % 5) + 1,
}));

/** 20 stock items in two warehouses: a quantity in stock, the level to reorder at, what one costs, when restocked */
const STOCK = Array.from({ length: 20 }, (_, i) => ({
  sku: `SKU-${i}`,
  item_name: `Item ${i}`,
  warehouse: i % 2 === 0 ? 'Berlin' : 'Leeds',
  stock_qty: (i * 13) % 40,
  reorder_level: 10 + (i % 3) * 5,
  unit_cost: 2 + (i % 4),
  last_restocked: `${2025 + (i % 2)}-0${(i % 9) + 1}-15`,
}));
/** daily visits of two pages, one of them the /signup page, with the signups of each day */
const TRAFFIC = Array.from({ length: 12 }, (_, i) => ({
  date: `2026-10-${String(i + 1).padStart(2, '0')}`,
  page: i % 2 === 0 ? '/signup' : '/home',
  visits: 100 + i * 10,
  signups: i + 2,
}));

/** a sales pipeline: each row a deal (its first column says so), what it cost to win and how healthy it looks */
const PIPELINE = Array.from({ length: 24 }, (_, i) => ({
  deal_id: `D-${i}`,
  stage: ['won', 'lost', 'stalled'][i % 3] as string,
  owner: ['Ines', 'Omar', 'Petra', 'Quinn'][i % 4] as string,
  spend: 100 + ((i * 37) % 90),
  health_score: (i * 7) % 10,
  source: ['reporting', 'inbound', 'event'][i % 3] as string,
  // the first date is the file's time column; stalled deals have not ended
  start_date: `2025-${String((i % 12) + 1).padStart(2, '0')}-05`,
  end_date: i % 3 === 2 ? '' : `2026-${String((i % 6) + 1).padStart(2, '0')}-20`,
  renewed: i % 4 === 1 ? 'yes' : 'no',
}));

/** the company's own people: a site each, remote or not, their pay, the day they were hired and the day they left */
const STAFF = Array.from({ length: 18 }, (_, i) => ({
  staff_id: `S-${i}`,
  name: `Person ${i}`,
  site: ['York', 'Porto', 'Graz'][i % 3] as string,
  remote: i % 4 === 0 ? 'yes' : 'no',
  pay: 30000 + i * 1500,
  hire_date: `${2021 + (i % 5)}-0${(i % 9) + 1}-01`,
  termination_date: i % 5 === 0 ? `${2025 + (i % 2)}-0${(i % 6) + 2}-15` : '',
  performance_rating: (i % 5) + 1,
}));
/** a shop's checkout log: each row an order (its first column says so), with a coupon on some and what it cost */
const CHECKOUTS = Array.from({ length: 30 }, (_, i) => ({
  order_ref: `R-${i}`,
  placed_on: `${2024 + (i % 3)}-${String((i % 12) + 1).padStart(2, '0')}-10`,
  coupon_code: i % 3 === 0 ? (i % 9 === 0 ? 'VIP' : 'SPRING') : '',
  shipping: 4 + (i % 3),
  total: 40 + i * 3,
  payment: i % 3 === 1 ? 'paypal' : 'card',
}));

/** an event's registrations: each row one registration (its first column says so), with the seats it booked */
const REGISTRATIONS = Array.from({ length: 16 }, (_, i) => ({
  registration_id: `G-${i}`,
  event: ['Summit', 'Meetup'][i % 2] as string,
  seats: (i % 4) + 1,
}));

/** another user's one file, a studio's jobs: a team, open or completed (with the day it was), a budget and the hours logged on it */
const PLANNER = 'jo';
const JOBS = Array.from({ length: 20 }, (_, i) => ({
  job_ref: `J-${i}`,
  team: ['Design', 'Build', 'Audit'][i % 3] as string,
  status: i % 4 === 3 ? 'Open' : 'Completed',
  start_date: `2025-0${(i % 6) + 1}-02`,
  completed_date: i % 4 === 3 ? '' : `${2025 + (i % 2)}-0${(i % 8) + 1}-20`,
  budget: 1000 + i * 250,
  hours_logged: 10 + (i % 7) * 5,
  // long past or far ahead, whatever day the test runs
  due_date: i % 3 === 0 ? '2099-06-30' : '2025-06-30',
}));

/** another user's one file: parts, each with a shelf and the day it was inspected (nothing the data's tables name) */
const INSPECTOR = 'eli';
const PARTS = Array.from({ length: 9 }, (_, i) => ({
  part_code: `P-${i}`,
  shelf: `S${i % 3}`,
  inspected_on: `${2025 + (i % 2)}-0${(i % 5) + 1}-10`,
}));

/** a charity's gift log, written as exports write money ("£1,250.00"), some gifts refunded later */
const FUNDRAISER = 'fay';
const GIFTS = Array.from({ length: 14 }, (_, i) => ({
  gift_ref: `G-${i}`,
  region: ['Wales', 'Kent', 'Fife'][i % 3] as string,
  amount: 150 * (i + 1) + 0.5,
  given_on: `${2025 + (i % 2)}-0${(i % 9) + 1}-12`,
  refunded_on: i % 4 === 1 ? `${2025 + (i % 2)}-1${i % 3}-02` : '',
}));
const giftsCsv = (): string =>
  `Gift Ref,Region,Amount (GBP),Given On,Refunded On\n${GIFTS.map(
    (g) =>
      `${g.gift_ref},${g.region},"£${g.amount.toLocaleString('en-GB', { minimumFractionDigits: 2 })}",${g.given_on},${g.refunded_on}`,
  ).join('\n')}\n`;

/** a school's seat bookings, each with the price paid, the day the student enrolled and, for some, cancelled */
const REGISTRAR = 'rae';
const SEATS = Array.from({ length: 15 }, (_, i) => ({
  booking_ref: `B-${i}`,
  course: ['Pottery', 'Welding', 'Baking'][i % 3] as string,
  price_paid: 40 + 10 * (i % 5),
  enrolled_at: `2026-0${(i % 8) + 1}-03`,
  cancelled_at: i % 5 === 2 ? `2026-0${(i % 8) + 1}-09` : '',
  branch: ['Leeds', 'York'][i % 2] as string,
  materials_cost: 5 + (i % 4),
}));

/** the same school's craft kits, sold from its shops: a second file of that user's, with a shop of its own */
const KITS = Array.from({ length: 8 }, (_, i) => ({
  kit_ref: `K-${i}`,
  shop: ['Hull', 'Ripon'][i % 2] as string,
  kits_in_stock: 3 + i,
  kit_sales: 20 * (i + 1),
}));

/** a theatre's ticket orders: each row an order of some seats at a unit price, sold through a channel */
const PROMOTER = 'pip';
const SEAT_ORDERS = Array.from({ length: 12 }, (_, i) => ({
  order_ref: `T-${i}`,
  play: ['Hamlet', 'Cats'][i % 2] as string,
  // an export's stray space: "Ana " is Ana
  usher: i % 3 === 0 ? 'Ana ' : 'Ana',
  quantity: (i % 4) + 1,
  unit_price: 15 + (i % 3) * 5,
  sales_channel: ['box office', 'web'][i % 2] as string,
  country: i % 4 === 0 ? 'United States' : 'United Kingdom',
}));

/**
 * a tool library's lending log: who borrowed (more names than a file keeps as categories), which volunteer lent it,
 * when it was due back and returned (late, on time, or still out), the hours it was used, and whether it was
 * checked (yes, no, or nobody said)
 */
const LENDER = 'lou';
const FIRSTS = ['Zorvan', 'Quillon', 'Brannoc', 'Ysolde', 'Thaddok', 'Merrin', 'Corvath', 'Isendra'];
const LASTS = ['Okonkwo', 'Vashti', 'Prendel', 'Kazarin', 'Dulmere', 'Fenwyck', 'Ostrava'];
const VOLUNTEERS = ['Oriel Vance', 'Tamsin Brook', 'Yusra Holt'];
const LENDS = Array.from({ length: 64 }, (_, i) => {
  const lent = new Date(Date.UTC(2025, i % 12, (i % 20) + 1));
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const plus = (n: number) => new Date(lent.getTime() + n * 86_400_000);
  return {
    lend_ref: `L-${i}`,
    borrower: `${FIRSTS[i % 8]} ${LASTS[Math.floor(i / 8) % 7]}`,
    volunteer: VOLUNTEERS[i % 3] as string,
    tool: ['drill', 'saw', 'ladder'][i % 3] as string,
    lent_on: day(lent),
    // a few are due far ahead, whatever day the test runs: out, but not overdue
    due_back_on: i % 10 === 0 ? '2099-01-01' : day(plus(14)),
    returned_on: i % 5 === 0 ? '' : day(plus(i % 3 === 0 ? 20 : 10)),
    hours: (i % 4) + 0.5,
    checked: ['yes', 'no', ''][i % 3] as string,
    billed: i % 2 === 0 ? 'yes' : 'no',
  };
});

/** another library's lends, and its rota: a second file, whose roles include a Volunteer */
const ROSTERER = 'rae';
const ROTA = Array.from({ length: 6 }, (_, i) => ({
  shift_ref: `R-${i}`,
  role: ['Volunteer', 'Coordinator'][i % 2] as string,
  shift_day: `2025-03-0${i + 1}`,
}));

/** a studio's invoices: a status the studio keeps itself (its "Overdue" is its own word), due and paid dates */
const BILLER = 'bo';
const BILLS = Array.from({ length: 12 }, (_, i) => ({
  bill_ref: `B-${i}`,
  // marked Overdue by hand on three, whatever their dates say
  status: i < 3 ? 'Overdue' : i % 2 === 0 ? 'Paid' : 'Open',
  due_date: '2025-03-01',
  paid_date: i % 2 === 0 && i >= 3 ? '2025-02-20' : '',
  colour: ['red', 'blue'][i % 2] as string,
  metres: 10 + i,
}));

const csv = (rows: Array<Record<string, unknown>>): string =>
  `${Object.keys(rows[0] ?? {}).join(',')}\n${rows.map((r) => Object.values(r).join(',')).join('\n')}\n`;

beforeAll(async () => {
  // one user asks every question, each in a conversation of its own: more than the 20 a minute a user may start
  server = await startTestServer({
    configText: (text) =>
      withSection(text, 'limits', { conversations: { perUser: { points: 1000, durationSec: 60 } } }),
  });
  client = new Inconvo({
    apiKey: server.apiKey,
    baseURL: `${server.url}/api/v1`,
    logLevel: 'off',
    maxRetries: 0,
  });
  const tenant = { query: { userContext: JSON.stringify({ organisationId: 1 }) } };
  for (const [name, rows] of [
    ['deliveries.csv', DELIVERIES],
    ['tickets.csv', TICKETS],
    ['stock_levels.csv', STOCK],
    ['web_traffic.csv', TRAFFIC],
    ['pipeline.csv', PIPELINE],
    ['staff.csv', STAFF],
    ['checkout_log.csv', CHECKOUTS],
    ['registrations.csv', REGISTRATIONS],
  ] as const) {
    await client.agents.datasets.user.upload(
      USER,
      { agentId: 'demo', file: await toFile(Buffer.from(csv(rows)), name) },
      tenant,
    );
  }
  await client.agents.datasets.user.upload(
    PLANNER,
    { agentId: 'demo', file: await toFile(Buffer.from(csv(JOBS)), 'jobs.csv') },
    tenant,
  );
  await client.agents.datasets.user.upload(
    FUNDRAISER,
    { agentId: 'demo', file: await toFile(Buffer.from(giftsCsv()), 'gifts.csv') },
    tenant,
  );
  await client.agents.datasets.user.upload(
    REGISTRAR,
    { agentId: 'demo', file: await toFile(Buffer.from(csv(SEATS)), 'seat_bookings.csv') },
    tenant,
  );
  await client.agents.datasets.user.upload(
    REGISTRAR,
    { agentId: 'demo', file: await toFile(Buffer.from(csv(KITS)), 'kits.csv') },
    tenant,
  );
  await client.agents.datasets.user.upload(
    PROMOTER,
    { agentId: 'demo', file: await toFile(Buffer.from(csv(SEAT_ORDERS)), 'theatre_seats.csv') },
    tenant,
  );
  await client.agents.datasets.user.upload(
    LENDER,
    { agentId: 'demo', file: await toFile(Buffer.from(csv(LENDS)), 'tool_lends.csv') },
    tenant,
  );
  await client.agents.datasets.user.upload(
    BILLER,
    { agentId: 'demo', file: await toFile(Buffer.from(csv(BILLS)), 'bills.csv') },
    tenant,
  );
  for (const [name, rows] of [
    ['tool_lends.csv', LENDS],
    ['rota.csv', ROTA],
  ] as const)
    await client.agents.datasets.user.upload(
      ROSTERER,
      { agentId: 'demo', file: await toFile(Buffer.from(csv(rows)), name) },
      tenant,
    );
  await client.agents.datasets.user.upload(
    INSPECTOR,
    { agentId: 'demo', file: await toFile(Buffer.from(csv(PARTS)), 'parts.csv') },
    tenant,
  );
});

afterAll(async () => {
  await server?.close();
});

interface Answer {
  type: string;
  message: string;
  data?: { columns: Array<{ name: string }>; rows: unknown[][] };
  plan?: { source?: string; table?: string; blend?: unknown; filters?: unknown[] };
  choices?: Array<{ label: string; question: string }>;
  unusedWords?: string[];
}

async function ask(message: string, user = USER): Promise<Answer> {
  const conversation = await client.agents.conversations.create('demo', {
    userIdentifier: user,
    userContext: { organisationId: 1 },
  });
  return (await client.agents.conversations.response.create(conversation.id ?? '', {
    agentId: 'demo',
    message,
  })) as unknown as Answer;
}

/** The answer's rows as { key: figure }, keyed by its first column. */
function byKey(answer: Answer): Record<string, number> {
  return Object.fromEntries((answer.data?.rows ?? []).map((r) => [String(r[0]), Number(r[r.length - 1])]));
}

function sumBy<T>(rows: T[], key: (r: T) => string, value: (r: T) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[key(r)] = (out[key(r)] ?? 0) + value(r);
  return out;
}

/** The deliveries' units, region by region */
const UNITS_BY_REGION = sumBy(
  DELIVERIES,
  (d) => d.region,
  (d) => d.units,
);

describe('questions about my own files', () => {
  it('totals the file numbers a question names, by the column it names, from the file alone', async () => {
    const answer = await ask('units by region in my deliveries file');
    expect(answer.plan?.source).toBe('datasets');
    expect(answer.plan?.blend).toBeUndefined();
    expect(byKey(answer)).toEqual(UNITS_BY_REGION);
  });

  it('reads a question from the file when the file explains more of it than the data does', async () => {
    // the data has units sold too, but no regions: "per region" is the file's
    const answer = await ask('units per region');
    expect(answer.plan?.source).toBe('datasets');
    expect(byKey(answer)).toEqual(UNITS_BY_REGION);
  });

  it('measures a line file by quantity times price when asked for its revenue', async () => {
    const answer = await ask('revenue split by channel');
    expect(answer.plan?.source).toBe('datasets');
    const expected = sumBy(
      DELIVERIES,
      (d) => d.channel,
      (d) => d.units * d.price,
    );
    for (const [channel, revenue] of Object.entries(byKey(answer)))
      expect(revenue).toBeCloseTo(expected[channel] ?? Number.NaN, 6);
    expect(Object.keys(byKey(answer)).sort()).toEqual(['store', 'web']);
  });

  it('averages over the rows when asked for an average per row of the file itself', async () => {
    const answer = await ask('average units per delivery');
    expect(answer.data?.rows).toHaveLength(1);
    const mean = DELIVERIES.reduce((n, d) => n + d.units, 0) / DELIVERIES.length;
    expect(Number(answer.data?.rows[0]?.at(-1))).toBeCloseTo(mean, 6);
  });

  it('asks which is meant when the same word is the data’s figure and a file’s, and each choice is read one way', async () => {
    const answer = await ask('units during 2025');
    expect(answer.type).toBe('text');
    expect(answer.message).toMatch(/units sold.*deliveries\.csv/i);
    const [fromData, fromFile] = answer.choices ?? [];
    expect((await ask(fromData?.question ?? '')).plan?.source).toBe('database');
    const file = await ask(fromFile?.question ?? '');
    expect(file.plan?.source).toBe('datasets');
    expect(Number(file.data?.rows[0]?.[0])).toBe(DELIVERIES.reduce((n, d) => n + d.units, 0));
  });

  it('takes a status the file holds as itself, not as a spelling of another status', async () => {
    const answer = await ask('how many email tickets have status open');
    expect(Number(answer.data?.rows[0]?.[0])).toBe(
      TICKETS.filter((t) => t.status === 'open' && t.channel === 'email').length,
    );
  });

  it('reads a column two files share from the file the question is about', async () => {
    const answer = await ask('satisfaction per channel');
    expect(answer.plan?.table).toBe('tickets');
    const totals = sumBy(
      TICKETS,
      (t) => t.channel,
      (t) => t.satisfaction,
    );
    const counts = sumBy(
      TICKETS,
      (t) => t.channel,
      () => 1,
    );
    for (const [channel, avg] of Object.entries(byKey(answer)))
      expect(avg).toBeCloseTo((totals[channel] ?? 0) / (counts[channel] ?? 1), 6);
  });

  it('ranks the people of a text column by their rows, leaving out the rows with nobody', async () => {
    const answer = await ask('which assignee has the most tickets');
    const counts = sumBy(
      TICKETS.filter((t) => t.assignee !== ''),
      (t) => t.assignee,
      () => 1,
    );
    const top = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
    expect(answer.data?.rows).toEqual([[top?.[0], top?.[1]]]);
  });

  it('does not read an English word as a misspelt value ("went" is not "West")', async () => {
    const answer = await ask('how many deliveries went to the North');
    expect(JSON.stringify(answer.plan?.filters)).not.toContain('West');
    expect(Number(answer.data?.rows[0]?.[0])).toBe(DELIVERIES.filter((d) => d.region === 'North').length);
  });

  it('finds a number whose name is spelt short by its name spelt out, and by the thing it counts', async () => {
    const expected = sumBy(
      STOCK,
      (x) => x.warehouse,
      (x) => x.stock_qty,
    );
    expect(byKey(await ask('total stock quantity by warehouse'))).toEqual(expected);
    expect(byKey(await ask('how much stock per warehouse'))).toEqual(expected);
  });

  it('reads a phrase of the file whole where the data would read one of its words as its own figure', async () => {
    // "unit cost" is the stock file's; the data would read "unit" as units sold and ask which was meant
    const answer = await ask('average unit cost for our products');
    expect(answer.plan?.source).toBe('datasets');
    expect(Number(answer.data?.rows[0]?.at(-1))).toBeCloseTo(
      STOCK.reduce((n, x) => n + x.unit_cost, 0) / STOCK.length,
      6,
    );
  });

  it('takes a column named as the question spells it before a value its stem also finds', async () => {
    // "signups" is the column, not the page "/signup"
    const answer = await ask('how many signups in october');
    expect(Number(answer.data?.rows[0]?.at(-1))).toBe(TRAFFIC.reduce((n, t) => n + t.signups, 0));
  });

  it('knows a file by the last word of its name and a date column by its event', async () => {
    const visits = await ask('total visits in the traffic file');
    expect(Number(visits.data?.rows[0]?.at(-1))).toBe(TRAFFIC.reduce((n, t) => n + t.visits, 0));
    const restocked = await ask('how many skus were restocked in 2025');
    expect(restocked.plan?.table).toBe('stock_levels');
    expect(Number(restocked.data?.rows[0]?.at(-1))).toBe(
      STOCK.filter((x) => x.last_restocked.startsWith('2025')).length,
    );
  });

  it('reads "no", "without" and "don\u2019t have" before a column as the rows where it is empty', async () => {
    const unassigned = TICKETS.filter((t) => t.assignee === '').length;
    for (const q of ['how many tickets have no assignee', 'tickets that dont have an assignee, how many'])
      expect(Number((await ask(q)).data?.rows[0]?.at(-1)), q).toBe(unassigned);
  });

  it('names a "<thing> name" column by the thing, for a ranking of the rows', async () => {
    const answer = await ask('which 3 items have the highest unit cost');
    const top = [...STOCK].sort((a, b) => b.unit_cost - a.unit_cost || 0).slice(0, 3);
    expect(answer.data?.rows).toHaveLength(3);
    for (const row of answer.data?.rows ?? []) expect(Number(row.at(-1))).toBe(top[0]?.unit_cost);
  });

  it('counts the rows a file’s date names by its event, from the file, when the data knows only the noun', async () => {
    // "items" are the data's order items, whose answer would drop "inspected"; the file's drops only the noun
    for (const [q, when] of [
      ['how many items were inspected in 2026', '2026'],
      ['number of items inspected in March 2025', '2025-03'],
    ] as const) {
      const answer = await ask(q, INSPECTOR);
      expect(answer.plan, q).toMatchObject({ source: 'datasets', table: 'parts' });
      expect(Number(answer.data?.rows[0]?.at(-1)), q).toBe(
        PARTS.filter((x) => x.inspected_on.startsWith(when)).length,
      );
    }
    // the data's own question stays the data's
    expect((await ask('how many items were ordered in 2026', INSPECTOR)).plan?.source).not.toBe('datasets');
  });

  it('divides one of a file’s numbers by another when the question does, never dropping either', async () => {
    const sum = (rows: typeof TRAFFIC, key: 'visits' | 'signups') => rows.reduce((n, t) => n + t[key], 0);
    const home = TRAFFIC.filter((t) => t.page === '/home');
    const onHome = await ask('signups / visits on the /home page');
    expect(Number(onHome.data?.rows[0]?.at(-1))).toBeCloseTo(sum(home, 'signups') / sum(home, 'visits'), 6);
    // a rate word does not turn the division into a share of the filtered rows
    const rate = await ask('what rate is signups / visits on /home');
    expect(Number(rate.data?.rows[0]?.at(-1))).toBeCloseTo(sum(home, 'signups') / sum(home, 'visits'), 6);
    const byPage = byKey(await ask('for each page, the signups per visit'));
    for (const page of ['/home', '/signup']) {
      const rows = TRAFFIC.filter((t) => t.page === page);
      expect(byPage[page], page).toBeCloseTo(sum(rows, 'signups') / sum(rows, 'visits'), 6);
    }
  });

  it('compares one column of a row with another: the stock under its reorder level', async () => {
    const under = STOCK.filter((x) => x.stock_qty < x.reorder_level);
    // the quantity left unnamed: "their reorder level" is the row's own, and stock qty the row's one quantity
    const berlin = await ask('in Berlin, how many items have fallen below their reorder level');
    expect(Number(berlin.data?.rows[0]?.at(-1))).toBe(under.filter((x) => x.warehouse === 'Berlin').length);
    expect(berlin.message).toContain('stock qty is less than reorder level');
    const over = byKey(
      await ask('number of items with a stock qty greater than their reorder level per warehouse'),
    );
    expect(over).toEqual(
      sumBy(
        STOCK.filter((x) => x.stock_qty > x.reorder_level),
        (x) => x.warehouse,
        () => 1,
      ),
    );
  });

  it('ranks a text column by its rows when the rows go by a word that names nothing of the file', async () => {
    // Ben has 8 tickets, Ana 7, the rest nobody (left out of a ranking of people)
    const most = await ask('which assignee has the most entries');
    expect(most.data?.rows).toEqual([['Ben', 8]]);
    const fewest = await ask('which assignee has the fewest records');
    expect(fewest.data?.rows).toEqual([['Ana', 7]]);
  });

  it('reads a number said to be nothing as a condition, never as the figure', async () => {
    const none = STOCK.filter((x) => x.stock_qty === 0);
    expect(none.length).toBeGreaterThan(0);
    const berlin = await ask('in Berlin, how many items have a stock qty of zero');
    expect(Number(berlin.data?.rows[0]?.at(-1))).toBe(none.filter((x) => x.warehouse === 'Berlin').length);
    expect(Number((await ask('how many skus are out of stock')).data?.rows[0]?.at(-1))).toBe(none.length);
    const cost = await ask('total unit cost of the items with zero stock qty');
    expect(Number(cost.data?.rows[0]?.at(-1))).toBe(none.reduce((n, x) => n + x.unit_cost, 0));
  });

  it('compares the number named after "more than N", and counts distinct days when asked how many days', async () => {
    const rows = await ask('how many rows have more than 8 signups');
    expect(Number(rows.data?.rows[0]?.at(-1))).toBe(TRAFFIC.filter((t) => t.signups > 8).length);
    const days = await ask('on how many days did /home get more than 150 visits');
    const busy = TRAFFIC.filter((t) => t.page === '/home' && t.visits > 150);
    expect(Number(days.data?.rows[0]?.at(-1))).toBe(new Set(busy.map((t) => t.date)).size);
  });

  it('gives the file’s reason when neither can answer and the name the data does not know is the file’s', async () => {
    const answer = await ask('list the skus in Leeds that weigh more than 3 kg');
    // the refusal names what the file lacks ("weigh"), not the warehouse it has
    expect(answer.data?.rows ?? []).toEqual([]);
    expect(answer.message).not.toContain('"Leeds"');
    expect(answer.message).toContain('"weigh"');
  });

  it('counts a file’s rows when asked for its rows, records or entries', async () => {
    for (const q of ['how many rows are in my stock levels file', 'number of records in stock_levels.csv'])
      expect(Number((await ask(q)).data?.rows[0]?.at(-1)), q).toBe(STOCK.length);
  });

  it('calls a file’s rows what its first column identifies, and a column by a word of its name no other has', async () => {
    expect(byKey(await ask('deals per stage'))).toEqual(
      sumBy(
        PIPELINE,
        (x) => x.stage,
        () => 1,
      ),
    );
    // "in" shares its stem with the owner Ines, and is still only "in"
    const all = await ask('how many deals are in the pipeline file');
    expect(all.data?.rows).toEqual([[PIPELINE.length]]);
    // and the answer calls them deals too, not "24 pipeline"
    expect(all.message).toMatch(/^24 deals\b/);
    // "health" is only in health_score; "highest" ranks the owners, "average" is what is ranked
    const avg = (owner: string) => {
      const rows = PIPELINE.filter((x) => x.owner === owner);
      return rows.reduce((n, x) => n + x.health_score, 0) / rows.length;
    };
    const best = [...new Set(PIPELINE.map((x) => x.owner))].sort((a, b) => avg(b) - avg(a))[0] as string;
    expect(avg(best)).toBeGreaterThan(
      Math.max(...['Ines', 'Omar', 'Petra', 'Quinn'].filter((o) => o !== best).map(avg)),
    );
    const ranked = await ask('which owner has the highest average health');
    expect(ranked.data?.rows[0]?.[0]).toBe(best);
    expect(Number(ranked.data?.rows[0]?.at(-1))).toBeCloseTo(avg(best), 6);
  });

  it('reads a column named by a common word as that column, and "across all" rows as one figure', async () => {
    const spend = (rows: typeof PIPELINE) => rows.reduce((n, x) => n + x.spend, 0);
    const won = await ask('how much did we spend on won deals');
    expect(Number(won.data?.rows[0]?.at(-1))).toBe(spend(PIPELINE.filter((x) => x.stage === 'won')));
    const all = await ask('total spend across all deals');
    expect(all.data?.rows).toEqual([[spend(PIPELINE)]]);
  });

  it('shows ranked rows by their name column, and reads "per unit" after a price as the price, not a breakdown', async () => {
    const lowest = await ask('the 3 Berlin items with the lowest stock qty');
    expect(lowest.data?.rows.map((r) => r[0])).toEqual(['Item 0', 'Item 16', 'Item 10']);
    const dear = await ask('list the items in Leeds that cost more than 3 per unit');
    const want = STOCK.filter((x) => x.warehouse === 'Leeds' && x.unit_cost > 3).map((x) => x.item_name);
    expect(want.length).toBeGreaterThan(0);
    const name = dear.data?.columns.findIndex((c) => c.name === 'item_name') ?? -1;
    expect(new Set(dear.data?.rows.map((r) => r[name]))).toEqual(new Set(want));
  });

  it('reads how people put a question around a file’s names: flags, kinds, definitions, counts of a thing', async () => {
    const count = async (q: string) => Number((await ask(q)).data?.rows[0]?.at(-1));
    // a status said with a verb that only flags it
    expect(await count('how many deals are flagged stalled')).toBe(
      PIPELINE.filter((x) => x.stage === 'stalled').length,
    );
    // "owner type" is the owner column
    expect(byKey(await ask('number of deals per owner type'))).toEqual(
      sumBy(
        PIPELINE,
        (x) => x.owner,
        () => 1,
      ),
    );
    // no thing named: the rows the comparison holds for; a word defined in brackets by a comparison
    const weak = PIPELINE.filter((x) => x.health_score <= 2);
    expect(await count('how many have a health score of 2 or less')).toBe(weak.length);
    expect(await count('how many laggards (health 2 or less) does Omar have')).toBe(
      weak.filter((x) => x.owner === 'Omar').length,
    );
    // "visit count" is the visits; "reported" is not the source "reporting"
    expect(await count('the biggest visit count anyone logged')).toBe(
      Math.max(...TRAFFIC.map((x) => x.visits)),
    );
    const top = Math.max(...PIPELINE.map((x) => x.spend));
    expect(PIPELINE.find((x) => x.spend === top)?.source).not.toBe('reporting');
    expect(await count('the largest spend anyone reported')).toBe(top);
  });

  it('dates the rows by the date their event names, in a period and by a grain', async () => {
    const ended = PIPELINE.filter((x) => x.end_date !== '');
    const march = await ask('how many deals finished in January 2026');
    expect(Number(march.data?.rows[0]?.at(-1))).toBe(
      ended.filter((x) => x.end_date.startsWith('2026-01')).length,
    );
    // by the quarter they ended in: the deals that have not ended are in none
    const perQuarter = await ask('deals ended per quarter');
    const total = (perQuarter.data?.rows ?? []).reduce((n, r) => n + Number(r.at(-1)), 0);
    expect(total).toBe(ended.length);
    expect(perQuarter.data?.rows.length).toBe(2);
  });

  it('divides one number of a file by another when the question says "divided by"', async () => {
    const perPage = byKey(await ask('signups divided by visits per page'));
    for (const page of ['/signup', '/home']) {
      const rows = TRAFFIC.filter((x) => x.page === page);
      const total = (k: 'signups' | 'visits') => rows.reduce((n, x) => n + x[k], 0);
      expect(perPage[page], page).toBeCloseTo(total('signups') / total('visits'), 6);
    }
  });

  it('reads a yes/no column named on its own as its yes rows, and as its no rows when negated', async () => {
    const count = async (q: string) => Number((await ask(q)).data?.rows[0]?.at(-1));
    const renewed = PIPELINE.filter((x) => x.renewed === 'yes');
    expect(await count('how many deals renewed')).toBe(renewed.length);
    expect(await count('how many deals were not renewed')).toBe(PIPELINE.length - renewed.length);
    // as a breakdown it stays a breakdown
    expect(byKey(await ask('deals by renewed'))).toEqual({
      yes: renewed.length,
      no: PIPELINE.length - renewed.length,
    });
  });

  it('calls a file of staff by what people call staff, and a yes/no column counted by its rows', async () => {
    const remote = STAFF.filter((x) => x.remote === 'yes');
    expect(byKey(await ask('how many remote workers are there at each site'))).toEqual(
      sumBy(
        remote,
        (x) => x.site,
        () => 1,
      ),
    );
    // "current" staff have not left: their leaving date is empty
    expect(Number((await ask('how many current personnel at Porto')).data?.rows[0]?.at(-1))).toBe(
      STAFF.filter((x) => x.site === 'Porto' && x.termination_date === '').length,
    );
    const porto = STAFF.filter((x) => x.site === 'Porto');
    expect(Number((await ask('total earnings of the personnel in Porto')).data?.rows[0]?.at(-1))).toBe(
      porto.reduce((n, x) => n + x.pay, 0),
    );
  });

  it('dates the rows by the event a verb names, in a listing too ("who quit during 2025")', async () => {
    const quit = STAFF.filter((x) => x.termination_date.startsWith('2025'));
    const answer = await ask('who quit during 2025');
    expect(answer.data?.rows.map((r) => r[0]).sort()).toEqual(quit.map((x) => x.name).sort());
  });

  it('bounds the rows by the file’s date when a period has no verb ("prior to 2025")', async () => {
    const answer = await ask('number of orders in my checkout log prior to 2025');
    expect(Number(answer.data?.rows[0]?.at(-1))).toBe(CHECKOUTS.filter((x) => x.placed_on < '2025').length);
    expect(answer.message).toMatch(/before 1 Jan 2025\b/);
  });

  it('divides one number by another "as a proportion of" it, and names a coupon by its code column', async () => {
    const ratio = Number(
      (await ask('shipping as a proportion of total in the checkout log')).data?.rows[0]?.at(-1),
    );
    const sum = (k: 'shipping' | 'total') => CHECKOUTS.reduce((n, x) => n + x[k], 0);
    expect(ratio).toBeCloseTo(sum('shipping') / sum('total'), 6);
    const withCoupon = CHECKOUTS.filter((x) => x.coupon_code !== '');
    const perCoupon = byKey(await ask('which coupon was used most often'));
    expect(perCoupon).toEqual({ SPRING: withCoupon.filter((x) => x.coupon_code === 'SPRING').length });
  });

  it('reads how people talk about pay, ratings and a file’s own verbs', async () => {
    const figure = async (q: string) => Number((await ask(q)).data?.rows[0]?.at(-1));
    // "earners" are the staff, ranked by their pay, which is shown with them
    const graz = STAFF.filter((x) => x.site === 'Graz').sort((a, b) => b.pay - a.pay);
    const top = await ask('the 2 top earners at Graz');
    const name = top.data?.columns.findIndex((c) => c.name === 'name') ?? -1;
    expect(top.data?.rows.map((r) => r[name])).toEqual(graz.slice(0, 2).map((x) => x.name));
    expect(top.data?.columns.map((c) => c.name)).toContain('pay');
    // two aggregates of one number are both answered
    const range = await ask('lowest and highest pay at Graz');
    expect(range.data?.rows[0]?.slice(-2).map(Number)).toEqual([graz.at(-1)?.pay, graz[0]?.pay]);
    // "score" only says what kind of number the rating is
    const york = STAFF.filter((x) => x.site === 'York');
    expect(await figure('mean performance score for York')).toBeCloseTo(
      york.reduce((n, x) => n + x.performance_rating, 0) / york.length,
      6,
    );
    // "add up", and "spent" is the file's spend
    expect(await figure('add up the pay of the York staff')).toBe(york.reduce((n, x) => n + x.pay, 0));
    expect(await figure('how many deals did we spend more than 150 on')).toBe(
      PIPELINE.filter((x) => x.spend > 150).length,
    );
    expect(await figure('total we spent on won deals')).toBe(
      PIPELINE.filter((x) => x.stage === 'won').reduce((n, x) => n + x.spend, 0),
    );
  });

  it('reads the rows a question means around a file’s values: unused coupons, different values, the biggest rows', async () => {
    const count = async (q: string) => Number((await ask(q)).data?.rows[0]?.at(-1));
    expect(await count('how many orders in the checkout log did not use a coupon')).toBe(
      CHECKOUTS.filter((x) => x.coupon_code === '').length,
    );
    // "paid by paypal": the value after a done verb's "by" is the means, not a breakdown: one figure
    expect(await count('how many orders in the checkout log were paid by paypal')).toBe(
      CHECKOUTS.filter((x) => x.payment === 'paypal').length,
    );
    // "what different X": the values of X among the rows the rest of the question names
    const sites = await ask('which different sites have remote staff');
    expect(sites.data?.rows.map((r) => r[0]).sort()).toEqual(
      [...new Set(STAFF.filter((x) => x.remote === 'yes').map((x) => x.site))].sort(),
    );
    const biggest = await ask('the 2 largest orders in the checkout log');
    const byTotal = [...CHECKOUTS].sort((a, b) => b.total - a.total).slice(0, 2);
    expect(biggest.data?.rows.map((r) => r[0])).toEqual(byTotal.map((x) => x.order_ref));
    expect(biggest.data?.columns.map((c) => c.name)).toContain('total');
  });

  it('reads rates, bracketed definitions, quantities in stock and rows called by another name', async () => {
    const perPage = (rows: typeof TRAFFIC) =>
      sumBy(
        rows,
        (x) => x.page,
        (x) => x.signups,
      ) as Record<string, number>;
    const visits = sumBy(
      TRAFFIC,
      (x) => x.page,
      (x) => x.visits,
    );
    const signups = perPage(TRAFFIC);
    // "signup rate": signups over visits, though "signup" is also spelt like the page /signup
    for (const q of ['the signup rate for each page', 'conversion per page (signups divided by visits)']) {
      const got = byKey(await ask(q));
      for (const page of ['/signup', '/home'])
        expect(got[page], `${q}: ${page}`).toBeCloseTo((signups[page] ?? 0) / (visits[page] ?? 1), 6);
    }
    // "units in stock" are the stock qty
    expect(byKey(await ask('units in stock per warehouse'))).toEqual(
      sumBy(
        STOCK,
        (x) => x.warehouse,
        (x) => x.stock_qty,
      ),
    );
    // "products" is no word of the file (the data's products are not restocked): what its rows are called, counted
    expect(byKey(await ask('products restocked in 2025 per warehouse'))).toEqual(
      sumBy(
        STOCK.filter((x) => x.last_restocked.startsWith('2025')),
        (x) => x.warehouse,
        () => 1,
      ),
    );
    // a file of registrations is its registrants'
    expect(Number((await ask('how many registrants have more than 2 seats')).data?.rows[0]?.at(-1))).toBe(
      REGISTRATIONS.filter((x) => x.seats > 2).length,
    );
  });

  it('reads a job’s completion by its date, open jobs by the date they lack, and hours as an amount', async () => {
    const figure = async (q: string) => Number((await ask(q, PLANNER)).data?.rows[0]?.at(-1));
    const done2025 = JOBS.filter((x) => x.completed_date.startsWith('2025'));
    // "completed" is a status value too: with a period, it is the day the job was completed
    expect(byKey(await ask('jobs completed in 2025 per team', PLANNER))).toEqual(
      sumBy(
        done2025,
        (x) => x.team,
        () => 1,
      ),
    );
    expect(await figure('how many jobs arent done yet')).toBe(
      JOBS.filter((x) => x.completed_date === '').length,
    );
    const sum = (rows: typeof JOBS, k: 'budget' | 'hours_logged') => rows.reduce((n, x) => n + x[k], 0);
    // a duration in a ratio, or counted, is added up
    expect(await figure('the budget divided by the total hours logged')).toBeCloseTo(
      sum(JOBS, 'budget') / sum(JOBS, 'hours_logged'),
      6,
    );
    const design = JOBS.filter((x) => x.team === 'Design');
    expect(await figure('how many hours were logged by the Design team')).toBe(sum(design, 'hours_logged'));
    // "past their due date": before today
    expect(await figure('how many open jobs are past their due date')).toBe(
      JOBS.filter((x) => x.status === 'Open' && x.due_date < '2099').length,
    );
    // "job budget": the job only says whose budget it is, not a breakdown by job
    const top = await ask('top 2 teams by total job budget', PLANNER);
    const byTeam = sumBy(
      JOBS,
      (x) => x.team,
      (x) => x.budget,
    );
    expect(top.data?.rows.map((r) => r[0])).toEqual(
      Object.entries(byTeam)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 2)
        .map(([t]) => t),
    );
  });

  it('says which of the file’s columns a question named that its answer does not read', async () => {
    // "near" compares nothing: the answer says it left the due date out, rather than dropping it unsaid
    const near = await ask('how many jobs were completed near their due date', PLANNER);
    expect(near.unusedWords).toContain('due date');
    // an answer that reads every column named lists none
    const audit = await ask('how many hours were logged by the Audit team', PLANNER);
    expect(Number(audit.data?.rows[0]?.at(-1))).toBe(
      JOBS.filter((x) => x.team === 'Audit').reduce((n, x) => n + x.hours_logged, 0),
    );
    expect(audit.unusedWords).toBeUndefined();
  });
  it('reads money as exports write it, and as a file of gifts or of sales calls it', async () => {
    const in2025 = GIFTS.filter((g) => g.given_on.startsWith('2025'));
    const raised = await ask('how much was raised in 2025', FUNDRAISER);
    expect(raised.plan?.source).toBe('datasets');
    expect(Number(raised.data?.rows[0]?.[0])).toBeCloseTo(
      in2025.reduce((n, g) => n + g.amount, 0),
      6,
    );
    const money = await ask('total money by region', FUNDRAISER);
    const byRegion = sumBy(
      GIFTS,
      (g) => g.region,
      (g) => g.amount,
    );
    expect(byKey(money)).toEqual(
      Object.fromEntries(Object.entries(byKey(money)).map(([k]) => [k, byRegion[k]])),
    );
    expect(Object.keys(byKey(money)).sort()).toEqual(['Fife', 'Kent', 'Wales']);
    const big = await ask('hey, list the gifts over £1,000', FUNDRAISER);
    expect(big.data?.rows.map((r) => r[0]).sort()).toEqual(
      GIFTS.filter((g) => g.amount > 1000)
        .map((g) => g.gift_ref)
        .sort(),
    );
    // a price paid is what each sale brought in: its revenue is their total, not their average
    const revenue = await ask('revenue per course', REGISTRAR);
    expect(byKey(revenue)).toEqual(
      sumBy(
        SEATS,
        (x) => x.course,
        (x) => x.price_paid,
      ),
    );
  });

  it('reads an event said of the rows as the rows it happened to, and its plural as those rows', async () => {
    const refunded = GIFTS.filter((g) => g.refunded_on !== '');
    for (const q of ['refunds per region', 'refunded gifts by region']) {
      const answer = await ask(q, FUNDRAISER);
      expect(byKey(answer), q).toEqual(
        sumBy(
          refunded,
          (g) => g.region,
          () => 1,
        ),
      );
    }
    const cancelled = SEATS.filter((x) => x.cancelled_at !== '');
    const most = await ask('which course has the most cancelled bookings', REGISTRAR);
    const counts = sumBy(
      cancelled,
      (x) => x.course,
      () => 1,
    );
    const top = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    expect(most.data?.rows).toEqual([[top?.[0], top?.[1]]]);
  });
  it('reads the rate of an event, a participle ending the question, and a sign-up by its other names', async () => {
    const cancelled = (x: (typeof SEATS)[number]) => x.cancelled_at !== '';
    const rate = await ask('cancellation rate by course', REGISTRAR);
    const perCourse = sumBy(
      SEATS,
      (x) => x.course,
      () => 1,
    );
    const cancelledPer = sumBy(
      SEATS.filter(cancelled),
      (x) => x.course,
      () => 1,
    );
    for (const [course, share] of Object.entries(byKey(rate)))
      expect(share).toBeCloseTo((cancelledPer[course] ?? 0) / (perCourse[course] ?? 1), 6);
    expect(Object.keys(byKey(rate)).sort()).toEqual(['Baking', 'Pottery', 'Welding']);
    const got = await ask('how many bookings got cancelled', REGISTRAR);
    expect(Number(got.data?.rows[0]?.[0])).toBe(SEATS.filter(cancelled).length);
    const march = await ask('how many signed up for a course in march 2026', REGISTRAR);
    expect(Number(march.data?.rows[0]?.[0])).toBe(
      SEATS.filter((x) => x.enrolled_at.startsWith('2026-03')).length,
    );
  });
  it('reads rows still there, a shop by its other names, money spent on a thing, and events in a period', async () => {
    const open = SEATS.filter((x) => x.cancelled_at === '');
    const existing = await ask('existing bookings per course', REGISTRAR);
    expect(byKey(existing)).toEqual(
      sumBy(
        open,
        (x) => x.course,
        () => 1,
      ),
    );
    const shops = await ask('bookings by store', REGISTRAR);
    expect(byKey(shops)).toEqual(
      sumBy(
        SEATS,
        (x) => x.branch,
        () => 1,
      ),
    );
    const spent = await ask('how much did we spend on materials', REGISTRAR);
    expect(Number(spent.data?.rows[0]?.[0])).toBe(SEATS.reduce((n, x) => n + x.materials_cost, 0));
    const inPeriod = await ask('cancellations per month in 2026', REGISTRAR);
    const cancelled = SEATS.filter((x) => x.cancelled_at !== '');
    expect(Object.values(byKey(inPeriod)).reduce((n, v) => n + v, 0)).toBe(cancelled.length);
    expect(Object.keys(byKey(inPeriod)).sort()).toEqual(
      [...new Set(cancelled.map((x) => `${x.cancelled_at.slice(0, 7)}-01`))].sort(),
    );
  });
  it('reads a word two of a user’s files answer to in the file the question’s other words are about', async () => {
    const bookings = await ask('course bookings by shop', REGISTRAR);
    expect(bookings.plan?.table).toBe('seat_bookings');
    expect(byKey(bookings)).toEqual(
      sumBy(
        SEATS,
        (x) => x.branch,
        () => 1,
      ),
    );
    const stock = await ask('kits in stock by branch', REGISTRAR);
    expect(stock.plan?.table).toBe('kits');
    expect(byKey(stock)).toEqual(
      sumBy(
        KITS,
        (k) => k.shop,
        (k) => k.kits_in_stock,
      ),
    );
    const sales = await ask('revenue by shop from kit sales', REGISTRAR);
    expect(byKey(sales)).toEqual(
      sumBy(
        KITS,
        (k) => k.shop,
        (k) => k.kit_sales,
      ),
    );
  });
  it('counts what an order file sells by its quantity, reads its line money beside a sales channel, trims text', async () => {
    const sold = await ask('seats sold per play', PROMOTER);
    expect(byKey(sold)).toEqual(
      sumBy(
        SEAT_ORDERS,
        (o) => o.play,
        (o) => o.quantity,
      ),
    );
    // a "sales channel" column is not the file's own sales: its money is quantity times unit price
    const takings = await ask('takings per play', PROMOTER);
    expect(byKey(takings)).toEqual(
      sumBy(
        SEAT_ORDERS,
        (o) => o.play,
        (o) => o.quantity * o.unit_price,
      ),
    );
    const ushers = await ask('orders per usher', PROMOTER);
    expect(byKey(ushers)).toEqual({ Ana: SEAT_ORDERS.length });
  });
  it("reads a country by its other names, a period's possessive without its apostrophe, and a refusal beside a period", async () => {
    const us = await ask('how many orders came from the usa', PROMOTER);
    expect(Number(us.data?.rows[0]?.[0])).toBe(
      SEAT_ORDERS.filter((o) => o.country === 'United States').length,
    );
    const big = await ask('show last years gifts above £1,500', FUNDRAISER);
    expect(big.data?.rows.map((r) => r[0]).sort()).toEqual(
      GIFTS.filter((g) => g.given_on.startsWith('2025') && g.amount > 1500)
        .map((g) => g.gift_ref)
        .sort(),
    );
    // the period is the gifts' date, and the refunded ones are left out: not the refunds made in 2026
    const kept = await ask('how much was raised in 2026 except refunded gifts', FUNDRAISER);
    expect(Number(kept.data?.rows[0]?.[0])).toBeCloseTo(
      GIFTS.filter((g) => g.given_on.startsWith('2026') && g.refunded_on === '').reduce(
        (n, g) => n + g.amount,
        0,
      ),
      6,
    );
  });

  it('reads rows past their due date and rows done after it, in a file with a due date and a done date', async () => {
    const figure = async (q: string) => Number((await ask(q, LENDER)).data?.rows[0]?.at(-1));
    const today = new Date().toISOString().slice(0, 10);
    // overdue: not returned, and due before today (the far-off due dates are out, not overdue)
    expect(await figure('how many lends are overdue?')).toBe(
      LENDS.filter((x) => x.returned_on === '' && x.due_back_on < today).length,
    );
    const late = LENDS.filter((x) => x.returned_on !== '' && x.returned_on > x.due_back_on).length;
    expect(late).toBeGreaterThan(0);
    expect(await figure('count the lends handed back late')).toBe(late);
    // one date of a row after another, by the words that name both
    expect(await figure('how many lends came back after the due back date')).toBe(late);
    expect(await figure('lends returned before their due back date')).toBe(
      LENDS.filter((x) => x.returned_on !== '' && x.returned_on < x.due_back_on).length,
    );
  });

  it('reads "overdue" as the file’s own status when it has one, and a word as either side of the Atlantic spells it', async () => {
    const figure = async (q: string) => Number((await ask(q, BILLER)).data?.rows[0]?.at(-1));
    expect(await figure('how many bills are overdue')).toBe(
      BILLS.filter((b) => b.status === 'Overdue').length,
    );
    // "color" of a "colour" column, "meters" of a "metres" one
    expect(byKey(await ask('bills by color', BILLER))).toEqual(
      sumBy(
        BILLS,
        (b) => b.colour,
        () => 1,
      ),
    );
    expect(await figure('total meters on the bills')).toBe(BILLS.reduce((n, b) => n + b.metres, 0));
  });

  it('averages the days from the date a row begins with to a later one, when asked how long', async () => {
    const days = (x: (typeof LENDS)[number]) =>
      (Date.parse(x.returned_on) - Date.parse(x.lent_on)) / 86_400_000;
    const back = LENDS.filter((x) => x.returned_on !== '');
    const mean = back.reduce((n, x) => n + days(x), 0) / back.length;
    const figure = async (q: string) => Number((await ask(q, LENDER)).data?.rows[0]?.at(-1));
    expect(await figure('on average, how many days from lending a tool to its return')).toBeCloseTo(mean, 6);
    expect(await figure("what's the typical lend length")).toBeCloseTo(mean, 6);
    // the longest, by the same days; not a count of the rows, nor another number of the file
    expect(await figure('the max number of days from a lend to its return')).toBe(
      Math.max(...back.map(days)),
    );
  });

  it('does not read the doers of a deed as the date it was done ("refunders" are not refunded_on)', async () => {
    const answer = await ask('how many refunders do we have', FUNDRAISER);
    // a refusal that names the word, not a count of the gifts that have a refund date (nor the data's refunded orders)
    expect(answer.plan).toBeUndefined();
    expect(answer.message).toMatch(/"refunders"/);
  });

  it('totals time put in by a column, never averages it', async () => {
    const hoursByTool = sumBy(
      LENDS,
      (x) => x.tool,
      (x) => x.hours,
    );
    expect(byKey(await ask('hours per tool', LENDER))).toEqual(hoursByTool);
  });

  it('reads a column said to be blank, to hold nothing, or to be filled in', async () => {
    const figure = async (q: string) => Number((await ask(q, LENDER)).data?.rows[0]?.at(-1));
    const blank = LENDS.filter((x) => x.checked === '').length;
    expect(await figure('how many lends have nothing in the checked column')).toBe(blank);
    expect(await figure('number of lends where checked is empty')).toBe(blank);
    // "no" before a column is not the column's No, nor another yes/no column's
    expect(await figure('how many lends have no checked')).toBe(blank);
    // "filled" is a word of its own, not a misspelt "billed"
    expect(await figure('how many lends have checked filled in')).toBe(LENDS.length - blank);
  });

  it('names a person among more names than a file keeps as categories, and by a first name alone', async () => {
    const figure = async (q: string) => Number((await ask(q, LENDER)).data?.rows[0]?.at(-1));
    expect(new Set(LENDS.map((x) => x.borrower)).size).toBeGreaterThan(50);
    const borrower = LENDS[9]?.borrower as string;
    expect(await figure(`how many lends has ${borrower.toLowerCase()} had`)).toBe(
      LENDS.filter((x) => x.borrower === borrower).length,
    );
    expect(await figure('total hours for tamsin')).toBe(
      LENDS.filter((x) => x.volunteer === 'Tamsin Brook').reduce((n, x) => n + x.hours, 0),
    );
  });

  it('reads a word that is one file’s column and another file’s value in the file the other words are about', async () => {
    // "volunteer" is a column of the lends and a role of the rota; the hours are the lends'
    expect(byKey(await ask('hours by volunteer', ROSTERER))).toEqual(
      sumBy(
        LENDS,
        (x) => x.volunteer,
        (x) => x.hours,
      ),
    );
  });

  it('refuses a question the data reads only by leaving out a word a file knows, saying which words are where', async () => {
    // the data has countries (of its users), the file has volunteers: the data's answer may not drop the file's word
    const answer = await ask('which countries are our volunteers from', LENDER);
    expect(answer.type).toBe('text');
    expect(answer.plan).toBeUndefined();
    expect(answer.message).toMatch(/files have "volunteers" and the data has "countries"/);
  });
});
