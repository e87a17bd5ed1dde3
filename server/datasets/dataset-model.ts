// The semantic model of a user's files: one queryable table per file, and what the file, its rows and its columns
// are called, so that questions can name them as people do ("the traffic file", "responses by plan", "the lowest
// avg nps", "units we shipped").
import pluralize from 'pluralize';
import type { SemanticModel, Table } from '../config/schema.ts';
import { FILLER, GIFT_VERBS, LEAVING, MONEY_WORDS } from '../planner/rules/text.ts';
import type { AgentModel } from '../query/compile.ts';
import { dueSegments } from './due-dates.ts';
import { durationColumns } from './durations.ts';
import { DATASET_ROW_KEY, words } from './names.ts';
import type { DatasetColumnInfo, DatasetRecord, VisibleDataset } from './types.ts';
import { MAX_VALUES } from './value-limits.ts';

/** Words that say a number counts its first word: "stock qty", "seat count", "order number". */
const COUNT_WORDS = new Set(['qty', 'quantity', 'count', 'number', 'num', 'level', 'amount', 'total']);
/** Of those, the ones that count units of the thing: "stock qty" is how many units are in stock. */
const QUANTITY_WORDS = new Set(['qty', 'quantity']);
/** Words that say a number is money spent on its first word: "parts cost", "ad spend", "travel expenses". */
const COST_WORDS = new Set(['cost', 'costs', 'spend', 'expense', 'expenses']);
/** Words that say a text column names its first word: "product name", "plan title". */
const NAME_WORDS = new Set(['name', 'title']);
/** Other verbs for a date column's event: a start is also a launch or a beginning, an end a finish. */
const EVENT_SYNONYMS: Record<string, string[]> = {
  start: ['launch', 'launched', 'began', 'begun', 'kicked off'],
  end: ['finish', 'finished', 'ended'],
  // "projects we finished last month", "wrapped up", "delivered"
  completed: ['complete', 'finished', 'finish', 'done', 'wrapped up', 'wrap up', 'delivered'],
  completion: ['completed', 'complete', 'finished', 'finish', 'done', 'wrapped up', 'wrap up', 'delivered'],
  // a person's first and last day: "who joined last month", "how many people quit in 2025"
  hire: ['hired', 'joined', 'onboarded'],
  termination: ['terminated', 'left', 'quit', 'resigned', 'departed', 'exited'],
  exit: ['left', 'quit', 'resigned', 'departed', 'exited'],
  // a sign-up by any of its names: "who signed up most recently", "members who joined in May"
  enrolled: ['signed up', 'joined', 'registered'],
  enrollment: ['signed up', 'joined', 'registered', 'enrolled'],
  enrolment: ['signed up', 'joined', 'registered', 'enrolled'],
  registered: ['signed up', 'joined', 'enrolled'],
  registration: ['signed up', 'joined', 'registered'],
  signup: ['signed up', 'joined', 'registered'],
  joined: ['signed up', 'registered', 'enrolled', 'became a member'],
  // an ending by any of its names: "members who quit", "cancellations per plan"
  cancelled: ['canceled', 'quit', 'churned', 'cancellation', 'cancellations'],
  canceled: ['cancelled', 'quit', 'churned', 'cancellation', 'cancellations'],
  purchased: ['bought'],
  collected: ['picked up'],
  returned: ['brought back', 'came back', 'handed back'],
};
/** The other forms of a column's verb that a stem does not reach: "where we spent more than 35k". */
const VERB_FORMS: Record<string, string[]> = {
  spend: ['spent', 'spending'],
  sell: ['sold'],
  buy: ['bought'],
};
/** A number a person is paid: "the highest paid", "who earns the least", "top earners". */
const PAY = /(^|_)(salary|salaries|wage|wages|pay|compensation|earnings)($|_)/;
const PAY_WORDS = 'pay paid earn earns earned earning earnings salary wage'.split(' ');
/** A number that is money, by its header's currency or by its name: "Amount (GBP)", "price_paid", "total". */
const CURRENCY = /(^|[^a-z])(gbp|usd|eur|aud|cad|£|\$|€)([^a-z]|$)/i;
const MONEY_NAME =
  /(^|_)(amount|price|paid|total|revenue|sales|value|fee|fees|cost|costs|spend|spent|charge|charged|budget|invoiced)($|_)/;
/** ...unless it is a share, a count or a grade of something: "discount_pct", "total_units", "value_score". */
const NOT_MONEY =
  /(^|_)(pct|percent|percentage|rate|ratio|discount|qty|quantity|units|count|number|num|score|rating|hours|days)($|_)/;
/**
 * Money a file's rows bring in (its sales), by the column's name: what was paid, invoiced, sold. A "total" or an
 * "amount" alone may be anything; a file of costs is money going out.
 */
const MONEY_IN = /(^|_)(paid|revenue|sales|invoiced)($|_)/;
const COSTS_FILE = /expense|cost|spend|purchase|fuel|salar|payroll|budget|bill|invoice_in|refund/;
/** Gifts: "how much did we raise", "who gave the most", "the money donated in 2025" are their money. */
const GIFT_NOUNS = new Set(['donation', 'gift', 'contribution', 'pledge', 'grant']);
/**
 * A shop by the names a business gives it: "jobs by branch" of a Store column. (Clubs, depots and offices are
 * each their own thing: another file's "club" is not this file's branch.)
 */
const PLACE_WORDS = ['store', 'branch', 'shop', 'outlet'];
/** A file whose rows are the company's own people ("employees.csv", "staff", rows of "worker_id"). */
const STAFF_NOUNS = new Set('employee staff worker personnel colleague hire contractor team'.split(' '));
/** What people call such rows: "the finance staff", "workers per office", "how many people", "who". */
const STAFF_WORDS = [
  'people',
  'persons',
  'staff',
  'staff members',
  'workers',
  'personnel',
  'employees',
  'team members',
];
/** A file whose rows are other people: "how many people", "who" are its rows. */
const PERSON_NOUNS = new Set(
  'customer client user student patient member contact lead respondent subscriber attendee guest volunteer candidate applicant person'.split(
    ' ',
  ),
);
/** Who a row's thing is done by: the survey's responses are its respondents' ("the respondents who gave 2"). */
const AGENT_OF_ROW: Record<string, string[]> = {
  response: ['respondent'],
  application: ['applicant'],
  subscription: ['subscriber'],
  registration: ['registrant'],
  participation: ['participant'],
  donation: ['donor'],
  submission: ['submitter'],
  attendance: ['attendee'],
  enrollment: ['enrollee'],
  enrolment: ['enrollee'],
};
/** Words that say a column identifies a row: "response id", "order no". */
const ROW_ID_WORDS = new Set(['id', 'no', 'number', 'ref', 'key', 'code']);
/** Words that only place a date column's event in time: "last restocked", "date opened", "opened at". */
const DATE_QUALIFIERS = new Set(['last', 'first', 'latest', 'date', 'time', 'day', 'at', 'on']);

/** Words of a calendar, which name a question's dates and grains before any column. */
const CALENDAR_WORDS = new Set(
  'day week month quarter year date time hour daily weekly monthly quarterly yearly annual'.split(' '),
);
/** Words that say what a number is counted in or per ("unit cost"): "units in stock" is not the cost. */
const PER_WORDS = new Set(['unit', 'piece', 'item', 'each', 'per']);
/** Units of time a number may be counted in, as the plural a header says them in. */
const HOURS = new Set(['hours', 'minutes', 'seconds']);
/** Words that say a number is a rate of something else: "bounce rate" is not every "rate" ("signup rate"). */
const RATE_WORDS = new Set(['rate', 'ratio', 'percentage', 'percent', 'pct']);

/**
 * The words of a column's name that no other column of its file has, from its leading phrase ("nps" and "score" of
 * nps_score, "recommend" of would_recommend, not "customer" of months_as_customer): "the lowest avg nps" names the
 * column as well as its whole name does. Words that say what kind of column it is, or name the file or its rows, are
 * left out.
 */
function distinctiveWords(column: DatasetColumnInfo, d: VisibleDataset): string[] {
  const said = words(column.header);
  const start = said.findIndex((w) => !FILLER.has(w));
  // the first column's words are what a row is ("response id"); a later "coupon code" names a coupon
  const identifies = d.columns[0] === column && said.some((w) => ROW_ID_WORDS.has(w));
  if (said.length < 2 || start < 0 || identifies) return [];
  const end = said.findIndex((w, i) => i > start && FILLER.has(w));
  const lead = said.slice(start, end < 0 ? undefined : end);
  const one = (w: string) => pluralize.singular(w);
  const elsewhere = new Set(
    [...d.columns.filter((c) => c !== column).map((c) => c.header), d.name.replace(/\.(csv|json)$/i, '')]
      .flatMap((text) => words(text))
      .map(one),
  );
  // a number counted in hours ("hours logged") is named by them: "how many hours have we logged"
  const hoursOf = (w: string) => column.modelType === 'number' && HOURS.has(w);
  return lead.filter(
    (w) =>
      w.length >= 3 &&
      !/\d/.test(w) &&
      !elsewhere.has(one(w)) &&
      (hoursOf(w) ||
        ![CALENDAR_WORDS, PER_WORDS, COUNT_WORDS, NAME_WORDS, DATE_QUALIFIERS, ROW_ID_WORDS, RATE_WORDS].some(
          (list) => list.has(one(w)),
        )),
  );
}

/** The list a word has in one of the tables above (own keys only: a column may be called "constructor"). */
function listed(lists: Record<string, string[]>, word: string): string[] {
  return Object.hasOwn(lists, word) ? (lists[word] ?? []) : [];
}

/**
 * The file's one money column: its only one, or of several the only one paid ("price_paid" beside
 * "materials_cost"); none when that does not settle it (a price, a cost and a fee).
 */
function moneyColumn(d: VisibleDataset): DatasetColumnInfo | undefined {
  const money = d.columns.filter(
    (c) =>
      c.modelType === 'number' &&
      !NOT_MONEY.test(c.name) &&
      (CURRENCY.test(c.header) || MONEY_NAME.test(c.name)),
  );
  if (money.length === 1) return money[0];
  // a price paid beside a cost: the money the rows brought in is the one paid
  const taken = money.filter((c) => MONEY_IN.test(c.name));
  return taken.length === 1 ? taken[0] : undefined;
}

/**
 * What people call a file's money column ("how much money", "which region gives the most money"): the money column is
 * "money"; a file of gifts' money is what was raised, given, donated; a file of sales (a price paid, an amount, no
 * costs, no line revenue of its own) is its revenue, sales, takings.
 */
function moneyWords(column: DatasetColumnInfo, d: VisibleDataset, facts: FileFacts): string[] {
  const nouns = [...words(d.name.replace(/\.(csv|json)$/i, '')), rowNoun(d) ?? ''].map((w) =>
    pluralize.singular(w),
  );
  const gifts = nouns.some((w) => GIFT_NOUNS.has(w));
  const sales =
    !gifts &&
    MONEY_IN.test(column.name) &&
    !COSTS_FILE.test(d.name.toLowerCase()) &&
    Object.keys(facts.lineMoney).length === 0;
  return ['money', ...(gifts ? GIFT_VERBS : []), ...(sales ? MONEY_WORDS : [])];
}

/** The file's one text column named by a word for a shop ("Store", "branch_name"... as its last word), and it. */
function placeColumn(d: VisibleDataset): { column: DatasetColumnInfo; word: string } | undefined {
  const places = d.columns.flatMap((c) => {
    const word = words(c.header).at(-1) ?? '';
    return c.modelType === 'string' && PLACE_WORDS.includes(pluralize.singular(word))
      ? [{ column: c, word }]
      : [];
  });
  return places.length === 1 ? places[0] : undefined;
}

/** What a file's columns are called from the file as a whole: found once per file, not once per column. */
interface FileFacts {
  money?: DatasetColumnInfo;
  /** the revenue of a file of lines (quantity times unit price), when it has one */
  lineMoney: Table['computed'];
  place?: { column: DatasetColumnInfo; word: string };
  thing?: string;
}

function fileFacts(d: VisibleDataset): FileFacts {
  return { money: moneyColumn(d), place: placeColumn(d), thing: fileThing(d), lineMoney: lineMoney(d) };
}

function columnSynonyms(column: DatasetColumnInfo, d: VisibleDataset, facts: FileFacts): string[] {
  const out = new Set<string>();
  // "by branch" of a Store column: a file's one shop column is called by any word for a shop
  const place = facts.place;
  if (place?.column === column)
    for (const w of PLACE_WORDS) if (w !== pluralize.singular(place.word)) out.add(w);
  if (facts.money === column) for (const w of moneyWords(column, d, facts)) if (w !== column.name) out.add(w);
  if (column.header !== column.name) out.add(column.header);
  const said = words(column.header);
  const spoken = said.join(' ');
  if (spoken !== '' && spoken !== column.name && spoken !== column.header) out.add(spoken);
  // "units in stock", "out of stock": a number named "<thing> qty" is named by the thing too
  if (column.modelType === 'number' && said.length === 2 && COUNT_WORDS.has(said[1] as string)) {
    out.add(said[0] as string);
    // "units in stock", "stock units", "stock level": a quantity of the thing is its units
    if (QUANTITY_WORDS.has(said[1] as string))
      for (const w of [`units in ${said[0]}`, `${said[0]} units`, `${said[0]} level`]) out.add(w);
  }
  // "how much have we spent on parts": a "<thing> cost" column is the money spent on the thing
  // (not a "unit cost": that is what one costs, not money spent on units)
  if (
    column.modelType === 'number' &&
    said.length === 2 &&
    COST_WORDS.has(said[1] as string) &&
    !PER_WORDS.has(said[0] as string)
  )
    for (const verb of ['spent on', 'spend on', 'spending on']) out.add(`${verb} ${said[0]}`);
  // "tickets sold by genre" in event_tickets.csv, whose rows are orders: the file's thing is counted by its quantity
  const thing = facts.thing;
  if (column.modelType === 'number' && QUANTITY.test(column.name) && thing)
    for (const verb of ['sold', 'bought', 'booked', 'ordered']) out.add(`${thing} ${verb}`);
  // "which 5 products cost most": a "<thing> name" column is named by the thing it names
  if (column.modelType === 'string' && said.length === 2 && NAME_WORDS.has(said[1] as string))
    out.add(said[0] as string);
  // "items restocked last month": a date column is named by its event, without the words that date it
  if (column.type === 'date') {
    const event = said.filter((w) => !DATE_QUALIFIERS.has(w));
    if (event.length === 1 && event[0] !== spoken) out.add(event[0] as string);
    // "after the due back time" of a due_back_at column: its event in more than one word
    if (event.length > 1 && event.join(' ') !== spoken) out.add(event.join(' '));
    // "campaigns launched in May" are the ones that started then
    for (const w of listed(EVENT_SYNONYMS, event.length === 1 ? (event[0] as string) : '')) out.add(w);
  }
  for (const w of said) for (const form of listed(VERB_FORMS, w)) out.add(form);
  if (column.modelType === 'number' && PAY.test(column.name.toLowerCase()))
    for (const w of PAY_WORDS) if (w !== column.name) out.add(w);
  for (const w of distinctiveWords(column, d)) out.add(w);
  return [...out];
}

/**
 * What a file is called: its name in words ("web traffic"), the name itself, and the name's last word when it has
 * several ("the traffic file", "my targets": the head of the name is what people call it).
 */
function fileSynonyms(d: VisibleDataset): string[] {
  const named = words(d.name.replace(/\.(csv|json)$/i, ''));
  const head = named.length > 1 ? named.at(-1) : undefined;
  const row = rowNoun(d);
  // "units we shipped" are the shipments' units: the verb a "-ment" noun is made from names its file too (of four
  // letters or more: "comments" is not "com")
  const verbs = named.flatMap((w) => /^([a-z]{4,})ments?$/.exec(w)?.slice(1) ?? []);
  const agents = [...named, ...(row ? [row] : [])]
    .map((w) => pluralize.singular(w))
    .flatMap((w) => listed(AGENT_OF_ROW, w));
  const nouns = [...named, ...(row ? [row] : []), ...agents].map((w) => pluralize.singular(w));
  const staff = nouns.some((w) => STAFF_NOUNS.has(w));
  const people = staff ? STAFF_WORDS : nouns.some((w) => PERSON_NOUNS.has(w)) ? ['people', 'persons'] : [];
  // "the top 5 earners": people with a pay column are also its earners (ranked by their pay, model-helpers.ts)
  const paid = staff && d.columns.some((c) => c.modelType === 'number' && PAY.test(c.name.toLowerCase()));
  const out = [
    named.join(' '),
    d.name,
    ...(head && head.length > 3 && !/^\d+$/.test(head) ? [head] : []),
    ...(row ? [row] : []),
    ...verbs,
    ...agents,
    ...people,
    ...(paid ? ['earners'] : []),
  ];
  return [...new Set(out.filter((s) => s !== '' && s !== d.table))];
}

/**
 * What a file of orders sells, when its name says and its rows are something else: "tickets" of event_tickets.json
 * whose first column is an order ref (its quantity counts them). Undefined when the name is its rows.
 */
function fileThing(d: VisibleDataset): string | undefined {
  const head = words(d.name.replace(/\.(csv|json)$/i, '')).at(-1);
  const row = rowNoun(d);
  if (!head || !row || head.length < 4 || pluralize.singular(head) === pluralize.singular(row))
    return undefined;
  return pluralize.isPlural(head) ? head : undefined;
}

/** What the rows of a dataset's table are called in answers ("51 responses"), when its first column says so. */
export function rowsCalled(datasets: readonly VisibleDataset[], table: string): string | undefined {
  const d = datasets.find((x) => x.table === table);
  const noun = d ? rowNoun(d) : undefined;
  return noun ? pluralize(noun) : undefined;
}

/**
 * What one row of a file is, when its first column identifies it: "response_id" makes a survey's rows responses
 * ("responses by plan"), whatever the file is called.
 */
function rowNoun(d: VisibleDataset): string | undefined {
  const first = d.columns[0];
  if (!first) return undefined;
  const said = words(first.header);
  return said.length === 2 && ROW_ID_WORDS.has(said[1] as string) && (said[0] as string).length >= 3
    ? said[0]
    : undefined;
}

function scopeLabel(d: DatasetRecord): string {
  return d.scope.kind === 'user' ? 'the user’s own' : `a shared (${d.scope.contextKey})`;
}

/** How many of a line's things: "units", "qty", "units_sold". */
const QUANTITY =
  /^(units?|qty|quantity|quantities|pieces|items)$|_(units|qty|quantity)$|^(units|qty|quantity)_/;
/** What one of them sells for: "price", "unit_price", "price_each" (a cost times a stock level is not revenue). */
const UNIT_PRICE = /^(unit_?price|price|price_each|price_per_unit|sale_price|selling_price)$/;

/**
 * A file of lines with a quantity and a unit price (and no money column of its own): its money is their product,
 * as an order line's total is, so "revenue by region" is answered and the answer's account shows the expression.
 */
function lineMoney(d: VisibleDataset): Table['computed'] {
  const numbers = d.columns.filter((c) => c.modelType === 'number');
  const quantity = numbers.find((c) => QUANTITY.test(c.name));
  const price = numbers.find((c) => UNIT_PRICE.test(c.name));
  // (a number of its own called so: a "sales channel" is not its sales)
  const named = new Set(numbers.flatMap((c) => [c.name, ...words(c.header)]));
  if (!quantity || !price || MONEY_WORDS.some((w) => named.has(w))) return {};
  return {
    revenue: {
      expression: `${quantity.name} * ${price.name}`,
      type: 'number',
      description: `"${quantity.header}" times "${price.header}" in ${d.name}`,
      synonyms: MONEY_WORDS.filter((w) => w !== 'revenue'),
    },
  };
}

/**
 * Rows that can leave (a member's cancellation date, a person's termination date): the ones still there are its
 * "active", "existing" rows, those without that date ("current" and "still" are read in filters.ts).
 */
function stillThereSegment(d: VisibleDataset, rows: string): Table['segments'] {
  const leaving = d.columns.filter((c) => c.type === 'date' && LEAVING.test(c.name.toLowerCase()));
  const only = leaving.length === 1 ? leaving[0] : undefined;
  if (!only) return {};
  return {
    [`active_${rows}`]: {
      description: `rows of ${d.name} without "${only.header}"`,
      synonyms: ['active', 'existing', 'active ones'],
      filter: { op: 'isNull', field: `${d.table}.${only.name}` },
    },
  };
}

function tableFor(d: VisibleDataset): Table {
  const facts = fileFacts(d);
  // what the file's rows are called ("129 active members"), as answers call a segment by its name
  const rows = pluralize(rowNoun(d) ?? words(d.name.replace(/\.(csv|json)$/i, '')).at(-1) ?? 'rows');
  const columns: Table['columns'] = Object.fromEntries(
    d.columns.map((c) => [
      c.name,
      {
        type: c.modelType,
        description: `"${c.header}" in ${d.name}${c.grain ? ` (${c.grain}s)` : ''}`,
        synonyms: columnSynonyms(c, d, facts),
        // a category's values are the model's; a column of names is only matched (the planners' value lists)
        ...(c.values !== undefined && c.values.length <= MAX_VALUES && c.modelType === 'string'
          ? { values: [...c.values] }
          : {}),
      },
    ]),
  );
  const timeColumn = d.columns.find((c) => c.type === 'date')?.name;
  // a row is shown by its name ("campaign_name") before its id, else by its first text
  const texts = d.columns.filter((c) => c.type === 'string');
  const labelColumn = (texts.find((c) => NAME_WORDS.has(words(c.header).at(-1) ?? '')) ?? texts[0])?.name;
  const notes = d.notes.trim().slice(0, 500);
  return {
    access: 'queryable',
    prompt: `Rows of ${scopeLabel(d)} uploaded file "${d.name}" (${d.rowCount} rows).${notes ? ` Notes: ${notes}` : ''}`,
    synonyms: fileSynonyms(d),
    primaryKey: DATASET_ROW_KEY,
    ...(labelColumn !== undefined ? { labelColumn } : {}),
    ...(timeColumn !== undefined ? { timeColumn } : {}),
    // access is enforced by the dataset's scope (only the files this user may see are in the model)
    contextFilters: [],
    columns,
    relations: {},
    measures: {},
    segments: { ...stillThereSegment(d, rows), ...dueSegments(d, rows) },
    computed: { ...facts.lineMoney, ...durationColumns(d, rows) },
  };
}

/**
 * One queryable table per dataset (named by `table`), columns typed as inferred (number -> number, date ->
 * date or datetime, boolean -> boolean, string -> string), synonyms from the header words, timeColumn = the first
 * date column, labelColumn = the first string column, no context filters.
 */
export function datasetModel(datasets: readonly VisibleDataset[]): SemanticModel {
  return { tables: Object.fromEntries(datasets.map((d) => [d.table, tableFor(d)])) };
}

/** The agent the compiler takes for a dataset-only plan: not multi-tenant, no userContext. */
export function datasetAgentModel(
  datasets: readonly VisibleDataset[],
  options: { id?: string; timeZone?: string } = {},
): AgentModel {
  return {
    id: options.id ?? 'datasets',
    multiTenant: false,
    timeZone: options.timeZone ?? 'UTC',
    userContext: {},
    model: datasetModel(datasets),
  };
}
