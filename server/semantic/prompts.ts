// Reads the business meaning written in table prompts (synonyms and segments in their common English forms) into
// the model the embedded planner and the compiler use: no LLM, and a sentence it cannot read is reported, never guessed.
import pluralize from 'pluralize';
import { stemmer } from 'stemmer';
import type { AgentConfig, SemanticModel, Table } from '../config/schema.ts';
import { Alias, type CountCondition, type Filter, parseFieldRef, type Scalar } from '../query/plan.ts';
import { usableTable, validateModel } from './validate.ts';

// ---------------------------------------------------------------------------------------------------------
// What a prompt says, and what became of it

/** A thing of the model a prompt gives another name to. */
export type PromptTarget =
  | { kind: 'table'; table: string }
  | { kind: 'column'; table: string; column: string }
  | { kind: 'measure'; table: string; measure: string }
  | { kind: 'segment'; table: string; segment: string };

export interface SynonymReading {
  kind: 'synonym';
  word: string;
  target: PromptTarget;
  /** added to the model; already declared by the YAML (or an earlier sentence); or left out, with why */
  outcome: 'added' | 'declared' | 'skipped';
  why?: string;
}

export interface SegmentReading {
  kind: 'segment';
  name: string;
  synonyms: string[];
  filter: Filter;
  outcome: 'added' | 'skipped';
  why?: string;
}

export type PromptReading = SynonymReading | SegmentReading;

/** One sentence of a table's prompt and what was read from it. */
export interface PromptSentence {
  table: string;
  text: string;
  readings: PromptReading[];
  /** the part of the sentence that was not used, and why; absent when all of it was read */
  notUsed?: string;
}

export interface PromptReport {
  sentences: PromptSentence[];
}

/** What the prompts added to one table, so that the YAML's own entries and the derived ones stay apart. */
export interface PromptDerivations {
  source: 'prompt';
  /** synonyms read from the prompt, by what they name: `table`, `columns.<name>`, `measures.<name>`, `segments.<name>` */
  synonyms: Map<string, string[]>;
  /** segments read from the prompt (whole) */
  segments: Set<string>;
}

// Keyed by the merged model's table objects: ModelView and the compiler pass those very objects around, so the
// LLM prompt can tell derived entries from the YAML's without a field the YAML could set itself.
const derivedByTable = new WeakMap<Table, PromptDerivations>();

/** The entries of a (merged) table that were read from its prompt, if any. */
export function promptDerivations(table: Table): PromptDerivations | undefined {
  return derivedByTable.get(table);
}

// ---------------------------------------------------------------------------------------------------------
// Words

const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  fifty: 50,
  hundred: 100,
};

// words that never belong to a name: a "name" holding one is a clause the reader does not understand
const CLAUSE_WORDS = new Set(
  'in on at by for from with without when if because which that who whose where is are was were be been but not than to as has have had it they we you this these those their its over under more less least most same like unless only every each also called known referred named considered sometimes often'.split(
    ' ',
  ),
);

// words that never belong to an unquoted value ("country is the same as ..." is not a value)
const NOT_VALUE_WORDS = new Set(
  'than same as is are was not if when which that who where whose with without more less least most before after set null empty like contains their its they it'.split(
    ' ',
  ),
);

const QUOTES = /^["'“”‘’`]+|["'“”‘’`]+$/g;

function unquote(text: string): string {
  return text.trim().replace(QUOTES, '').trim();
}

function isQuoted(text: string): boolean {
  return /^["“‘'`].*["”’'`]$/.test(text.trim());
}

/**
 * The singular of a word, lower-cased ("VIPs" -> "vip", "people" -> "person"). Remembered: a config's prompts ask for
 * the same few hundred words again and again, and pluralize tries its ~200 rules each time (a fifth of loading the
 * demo config, before `parley serve` listens).
 */
const singulars = new Map<string, string>();
function singular(word: string): string {
  const lower = word.toLowerCase();
  let found = singulars.get(lower);
  if (found === undefined) {
    found = pluralize.singular(lower);
    if (singulars.size < 10_000) singulars.set(lower, found);
  }
  return found;
}

/** A phrase as the vocabulary compares it: lower case, `_`/`-` as spaces, every word singular. */
export function phraseKey(phrase: string): string {
  return unquote(phrase)
    .toLowerCase()
    .replace(/['’]s\b/g, '')
    .replace(/[_\-\s]+/g, ' ')
    .trim()
    .split(' ')
    .filter((w) => w !== '')
    .map(singular)
    .join(' ');
}

/** Porter stem of a single word's singular, to match a verb with a noun ("ordered" and "orders"). */
function stemOf(word: string): string {
  return stemmer(singular(word));
}

function words(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

/** A list of names: "accounts", "members, shoppers or buyers", "'sales' and 'turnover'". Undefined when not names. */
export function nameList(text: string): string[] | undefined {
  const cleaned = text
    .trim()
    .replace(/\s+(?:for\s+short|too|as\s+well|also|internally|sometimes)$/i, '')
    .trim();
  const parts = cleaned.split(/\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|\s*\/\s*/i);
  const out: string[] = [];
  for (const part of parts) {
    const name = unquote(part)
      .replace(/^(?:a|an|the)\s+/i, '')
      .trim();
    if (name === '') continue;
    if (!/^[\p{L}\p{N}][\p{L}\p{N}' &.-]*$/u.test(name)) return undefined;
    const ws = words(name.toLowerCase());
    if (ws.length > 4 || ws.some((w) => CLAUSE_WORDS.has(w))) return undefined;
    out.push(name.toLowerCase());
  }
  return out.length > 0 ? out : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Sentences and remarks in parentheses

/** A prompt's sentences (split at . ! ? and ;, never inside parentheses or after e.g./i.e./a.k.a.). */
export function promptSentences(prompt: string): string[] {
  const text = prompt.replace(/\s+/g, ' ').trim();
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (ch === ';' || ch === '.' || ch === '!' || ch === '?')) {
      const next = text[i + 1];
      if (ch !== ';' && next !== undefined && next !== ' ') continue; // 1.5, e.g.x
      if (ch === '.' && /(?:^|[\s(])(?:e\.g|i\.e|a\.k\.a|etc|vs)$/i.test(text.slice(start, i))) continue;
      const sentence = text.slice(start, ch === ';' ? i : i + 1).trim();
      if (sentence !== '') out.push(sentence);
      start = i + 1;
    }
  }
  const rest = text.slice(start).trim();
  if (rest !== '') out.push(rest);
  return out;
}

interface Remark {
  text: string;
  /** the sentence's words before the remark (without other remarks) */
  before: string;
}

/** The sentence without its trailing punctuation and its top-level remarks in parentheses, and those remarks. */
function splitRemarks(sentence: string): { core: string; remarks: Remark[] } {
  const body = sentence.replace(/[.;!?]+$/, '').trim();
  let core = '';
  const remarks: Remark[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') {
      if (depth > 0) current += ch;
      depth++;
    } else if (ch === ')' && depth > 0) {
      depth--;
      if (depth === 0) {
        remarks.push({ text: current.trim(), before: core.trim() });
        current = '';
      } else current += ch;
    } else if (depth > 0) current += ch;
    else core += ch;
  }
  if (depth > 0) core += `(${current}`; // unbalanced: leave it in the text (nothing will read it)
  core = core
    .replace(/\s+([,;:])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  return { core, remarks };
}

// ---------------------------------------------------------------------------------------------------------
// The model's vocabulary

/** Every name of the model by phrase key: table names and synonyms, and per table its columns, measures, segments. */
class Vocabulary {
  readonly byKey = new Map<string, PromptTarget[]>();

  constructor(model: SemanticModel) {
    for (const [tableName, table] of Object.entries(model.tables)) {
      const hidden = new Set(table.contextFilters.map((cf) => cf.column));
      this.add(tableName, { kind: 'table', table: tableName });
      for (const s of table.synonyms) this.add(s, { kind: 'table', table: tableName });
      const fields = [...Object.entries(table.columns), ...Object.entries(table.computed)];
      for (const [column, def] of fields) {
        if (hidden.has(column)) continue; // a context filter column is never named by a prompt
        const target: PromptTarget = { kind: 'column', table: tableName, column };
        this.add(column, target);
        for (const s of def.synonyms) this.add(s, target);
      }
      for (const [measure, def] of Object.entries(table.measures)) {
        const target: PromptTarget = { kind: 'measure', table: tableName, measure };
        this.add(measure, target);
        for (const s of def.synonyms) this.add(s, target);
      }
      for (const [segment, def] of Object.entries(table.segments)) {
        const target: PromptTarget = { kind: 'segment', table: tableName, segment };
        this.add(segment, target);
        for (const s of def.synonyms) this.add(s, target);
      }
    }
  }

  add(phrase: string, target: PromptTarget): void {
    const key = phraseKey(phrase);
    if (key === '') return;
    const list = this.byKey.get(key) ?? [];
    if (!list.some((t) => sameTarget(t, target))) list.push(target);
    this.byKey.set(key, list);
  }

  lookup(phrase: string): PromptTarget[] {
    return this.byKey.get(phraseKey(phrase)) ?? [];
  }
}

function sameTarget(a: PromptTarget, b: PromptTarget): boolean {
  return targetLabel(a) === targetLabel(b);
}

/** `table users`, `column users.country`, `measure orders.revenue`, `segment users.customer`. */
export function targetLabel(t: PromptTarget): string {
  switch (t.kind) {
    case 'table':
      return `table ${t.table}`;
    case 'column':
      return `column ${t.table}.${t.column}`;
    case 'measure':
      return `measure ${t.table}.${t.measure}`;
    case 'segment':
      return `segment ${t.table}.${t.segment}`;
    default:
      throw new Error(`unknown target ${(t satisfies never as { kind: string }).kind}`);
  }
}

const LEADING_ARTICLE = /^(?:(?:a|an|the|our|all|any|every|each|those|these)\s+)+/i;
const KIND_SUFFIX = /\s+(column|field|table|measure|metric|segment)$/i;

/**
 * What a noun phrase of table `table`'s prompt names ("Users", "the last_order_at column", "Revenue"): the table
 * itself first, else exactly one column, measure or segment of that table. A string says why not.
 */
function resolveSubject(vocab: Vocabulary, table: string, phrase: string): PromptTarget | string {
  let text = unquote(phrase).replace(LEADING_ARTICLE, '').trim();
  let hint: string | undefined;
  const suffix = KIND_SUFFIX.exec(text);
  if (suffix) {
    hint = (suffix[1] as string).toLowerCase();
    text = text.slice(0, suffix.index).trim();
  }
  if (hint === 'field') hint = 'column';
  if (hint === 'metric') hint = 'measure';
  const hits = vocab.lookup(text).filter((t) => t.table === table && (hint === undefined || t.kind === hint));
  const own = hits.find((t) => t.kind === 'table');
  if (own) return own;
  if (hits.length === 1) return hits[0] as PromptTarget;
  if (hits.length > 1)
    return `"${text}" names several things of ${table} (${hits.map(targetLabel).join(', ')})`;
  return `"${text}" is not a name of table ${table} or of its columns, measures or segments`;
}

/** The longest tail of `text` (up to 5 words) that names something of the table, for "Revenue (also sales)". */
function resolveTail(
  vocab: Vocabulary,
  table: string,
  text: string,
): { target: PromptTarget; words: string } | undefined {
  const ws = words(text.replace(/[,:;]+$/, ''));
  for (let n = Math.min(5, ws.length); n >= 1; n--) {
    const tail = ws.slice(ws.length - n).join(' ');
    const hit = resolveSubject(vocab, table, tail);
    if (typeof hit !== 'string') return { target: hit, words: tail };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Synonym sentences

interface SynonymStatement {
  target: PromptTarget;
  words: string[];
}

type Attempt<T> = { ok: T } | { error: string } | undefined;

const ALSO = '(?:\\s+(?:also|sometimes|often|commonly|usually|generally|widely|internally|informally|be))*';
const CALLED =
  '(?:referred\\s+to\\s+as|called|known\\s+as|named|termed|described\\s+as|labell?ed(?:\\s+as)?)';

const SYNONYM_FORMS: RegExp[] = [
  // Users are also referred to as accounts / are also called / are known as / can also be called
  new RegExp(`^(?<x>.+?)\\s+(?:is|are|can|may|might|could)${ALSO}\\s+${CALLED}\\s+(?<y>.+)$`, 'i'),
  // We call users accounts; we refer to users as accounts
  /^(?:we|people|customers|staff|the team|the business|everyone)\s+(?:also\s+|sometimes\s+|often\s+)?refer\s+to\s+(?<x>.+?)\s+as\s+(?<y>.+)$/i,
  // "Members" means users; members refers to users; members stands for users
  /^(?<y>.+?)\s+(?:means|mean|refers\s+to|refer\s+to|stands\s+for|stand\s+for)\s+(?<x>.+)$/i,
  // Members is another word for users; "members" is a synonym of users
  // (never "A VIP is a user": a kind of user is not another name for users)
  /^(?<y>.+?)\s+(?:is|are)\s+(?:just\s+)?(?:(?:another|other|a|an)\s+(?:word|name|term|synonym)s?\s+(?:for|of)|the\s+same\s+as)\s+(?<x>.+)$/i,
  // By members we mean users
  /^by\s+(?<y>.+?)\s+we\s+mean\s+(?<x>.+)$/i,
];

function readSynonymSentence(vocab: Vocabulary, table: string, core: string): Attempt<SynonymStatement> {
  let firstError: string | undefined;
  for (const form of SYNONYM_FORMS) {
    const m = form.exec(core);
    if (!m?.groups) continue;
    const x = m.groups.x as string;
    const y = m.groups.y as string;
    const target = resolveSubject(vocab, table, x);
    if (typeof target === 'string') {
      // "Members means users" read the wrong way round names nothing: try the next form
      firstError ??= target;
      continue;
    }
    const list = nameList(y);
    if (!list) {
      firstError ??= `"${y}" is not a list of names`;
      continue;
    }
    return { ok: { target, words: list } };
  }
  // "we call users accounts": the split between the two names is where the known name ends
  const call =
    /^(?:we|people|customers|staff|the team|everyone)\s+(?:also\s+|sometimes\s+|often\s+)?call\s+(?<rest>.+)$/i.exec(
      core,
    );
  if (call?.groups) {
    const ws = words(call.groups.rest as string);
    for (let n = Math.min(5, ws.length - 1); n >= 1; n--) {
      const target = resolveSubject(vocab, table, ws.slice(0, n).join(' '));
      const list = nameList(ws.slice(n).join(' '));
      if (typeof target !== 'string' && list) return { ok: { target, words: list } };
    }
    firstError ??= `could not tell which words of "${call.groups.rest}" name ${table}`;
  }
  return firstError === undefined ? undefined : { error: firstError };
}

const ALSO_REMARK =
  /^(?:also|aka|a\.k\.a\.?|or|i\.e\.?|also\s+called|also\s+known\s+as|also\s+referred\s+to\s+as|sometimes\s+called|often\s+called|called|known\s+as)\s*:?\s+(?<y>.+)$/i;

// ---------------------------------------------------------------------------------------------------------
// Conditions

interface ConditionContext {
  agent: Pick<AgentConfig, 'multiTenant'>;
  model: SemanticModel;
  vocab: Vocabulary;
  table: string;
}

/** The visible column (declared or computed, never a context filter column) a phrase names. */
function resolveColumn(ctx: ConditionContext, phrase: string): string | undefined {
  const text = unquote(phrase)
    .replace(/^(?:the|their|its|his|her|his\s+or\s+her|a|an)\s+/i, '')
    .replace(/\s+(?:column|field)$/i, '')
    .trim();
  if (text === '') return undefined;
  const hits = ctx.vocab.lookup(text).filter((t) => t.kind === 'column' && t.table === ctx.table);
  return hits.length === 1 ? (hits[0] as { column: string }).column : undefined;
}

interface ColumnInfo {
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date' | 'datetime';
  values?: Array<string | number>;
}

function columnInfo(ctx: ConditionContext, column: string): ColumnInfo {
  const table = ctx.model.tables[ctx.table] as Table;
  const declared = Object.hasOwn(table.columns, column) ? table.columns[column] : undefined;
  if (declared)
    return declared.values ? { type: declared.type, values: declared.values } : { type: declared.type };
  const computed = table.computed[column];
  return { type: computed?.type ?? 'number' };
}

function parseNumber(text: string): number | undefined {
  const t = text
    .trim()
    .toLowerCase()
    .replace(/\s+(?:usd|eur|gbp|dollars?|euros?|pounds?|units?|items?|times?)$/, '')
    .replace(/^[$€£]/, '')
    .replace(/,/g, '');
  if (/^-?\d+(?:\.\d+)?k$/.test(t)) return Number(t.slice(0, -1)) * 1000;
  if (/^-?\d+(?:\.\d+)?$/.test(t)) return Number(t);
  if (Object.hasOwn(NUMBER_WORDS, t)) return NUMBER_WORDS[t];
  return undefined;
}

/** A value written in a prompt, checked against the column's type and declared values. */
function parseValue(ctx: ConditionContext, column: string, raw: string): { ok: Scalar } | { error: string } {
  const info = columnInfo(ctx, column);
  const text = unquote(raw);
  if (text === '') return { error: `no value for ${column}` };
  switch (info.type) {
    case 'integer':
    case 'number': {
      const n = parseNumber(text);
      if (n === undefined) return { error: `${column} holds numbers; "${text}" is not a number` };
      if (info.values && !info.values.includes(n)) {
        return { error: `${n} is not one of the values of ${column} (${info.values.join(', ')})` };
      }
      return { ok: n };
    }
    case 'boolean': {
      const b = text.toLowerCase();
      if (b === 'true' || b === 'yes') return { ok: true };
      if (b === 'false' || b === 'no') return { ok: false };
      return { error: `${column} is true or false; "${text}" is neither` };
    }
    case 'date':
    case 'datetime':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return { error: `${column} is a date; write it as YYYY-MM-DD` };
      return { ok: text };
    case 'string': {
      if (info.values) {
        const hit = info.values.find((v) => String(v).toLowerCase() === text.toLowerCase());
        if (hit === undefined) {
          return { error: `"${text}" is not one of the values of ${column} (${info.values.join(', ')})` };
        }
        return { ok: hit };
      }
      if (!isQuoted(raw)) {
        const ws = words(text.toLowerCase());
        if (
          ws.length > 4 ||
          ws.some((w) => NOT_VALUE_WORDS.has(w)) ||
          !/^[\p{L}\p{N}][\p{L}\p{N}' &.-]*$/u.test(text)
        ) {
          return { error: `"${text}" does not read as a value of ${column} (quote it if it is one)` };
        }
      }
      return { ok: text };
    }
    default:
      throw new Error(`unknown column type ${info.type satisfies never as string}`);
  }
}

function parseValues(
  ctx: ConditionContext,
  column: string,
  raw: string,
): { ok: Scalar[] } | { error: string } {
  const parts = raw.split(/\s*,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+/i).filter((p) => p.trim() !== '');
  const out: Scalar[] = [];
  for (const part of parts) {
    const v = parseValue(ctx, column, part);
    if ('error' in v) return v;
    out.push(v.ok);
  }
  return out.length > 0 ? { ok: out } : { error: `no values for ${column}` };
}

const NOT_NULL =
  /^(?:(?:is|are)\s+(?:not\s+(?:null|empty|blank|missing|unset|unknown)|set|present|filled(?:\s+in)?|known|given|recorded|populated|defined|non-?empty|non-?null)|(?:has|have)\s+a\s+value|exists?)$/i;
const IS_NULL =
  /^(?:(?:is|are)\s+(?:null|empty|blank|missing|unset|not\s+set|unknown|absent|not\s+given|not\s+filled(?:\s+in)?|not\s+recorded)|(?:has|have)\s+no\s+value|(?:does|do)\s+not\s+exist)$/i;

const COMPARISONS: Array<{ re: RegExp; op: 'gt' | 'gte' | 'lt' | 'lte'; dates?: boolean }> = [
  { re: /^(?:is\s+|are\s+)?(?:at\s+least|no\s+less\s+than|not\s+less\s+than|>=)\s+(?<v>.+)$/i, op: 'gte' },
  {
    re: /^(?:is\s+|are\s+)?(?:at\s+most|no\s+more\s+than|not\s+more\s+than|up\s+to|<=)\s+(?<v>.+)$/i,
    op: 'lte',
  },
  {
    re: /^(?:is\s+|are\s+)?(?:greater|more|higher|larger|bigger)\s+than\s+(?<v>.+)$|^(?:is\s+|are\s+)?(?:over|above|>)\s+(?<v2>.+)$|^exceeds?\s+(?<v3>.+)$/i,
    op: 'gt',
  },
  {
    re: /^(?:is\s+|are\s+)?(?:less|fewer|lower|smaller)\s+than\s+(?<v>.+)$|^(?:is\s+|are\s+)?(?:under|below|<)\s+(?<v2>.+)$/i,
    op: 'lt',
  },
  { re: /^(?:is\s+|are\s+)?(?<v>.+?)\s+or\s+(?:more|greater|higher|above|over)$/i, op: 'gte' },
  { re: /^(?:is\s+|are\s+)?(?<v>.+?)\s+or\s+(?:less|fewer|lower|below|under)$/i, op: 'lte' },
  {
    re: /^(?:is\s+|are\s+|was\s+|were\s+)?(?:on\s+or\s+after|since|from)\s+(?<v>.+)$/i,
    op: 'gte',
    dates: true,
  },
  { re: /^(?:is\s+|are\s+|was\s+|were\s+)?(?:on\s+or\s+before)\s+(?<v>.+)$/i, op: 'lte', dates: true },
  { re: /^(?:is\s+|are\s+|was\s+|were\s+)?(?:after|later\s+than)\s+(?<v>.+)$/i, op: 'gt', dates: true },
  { re: /^(?:is\s+|are\s+|was\s+|were\s+)?(?:before|earlier\s+than)\s+(?<v>.+)$/i, op: 'lt', dates: true },
];

/** "<predicate>" of a column: "is not null", "is one of a, b", "is over 100", "equals Germany", "is true". */
function parsePredicate(
  ctx: ConditionContext,
  column: string,
  text: string,
): { ok: Filter } | { error: string } {
  const field = `${ctx.table}.${column}`;
  const info = columnInfo(ctx, column);
  const t = text.trim();
  if (NOT_NULL.test(t)) return { ok: { op: 'isNotNull', field } };
  if (IS_NULL.test(t)) return { ok: { op: 'isNull', field } };
  const inList = /^(?:is|are)\s+(?<not>not\s+)?(?:one\s+of|any\s+of|among|in)\s+(?<v>.+)$/i.exec(t);
  if (inList?.groups) {
    const values = parseValues(ctx, column, inList.groups.v as string);
    if ('error' in values) return values;
    return { ok: { op: inList.groups.not ? 'notIn' : 'in', field, values: values.ok } };
  }
  const text2 = /^(?:contains|includes|(?:starts|begins)\s+with)\s+(?<v>.+)$/i.exec(t);
  if (text2?.groups) {
    if (info.type !== 'string') return { error: `${column} is not text` };
    const value = unquote(text2.groups.v as string);
    return { ok: { op: /^(?:contains|includes)/i.test(t) ? 'contains' : 'startsWith', field, value } };
  }
  const temporal = info.type === 'date' || info.type === 'datetime';
  for (const c of COMPARISONS) {
    const m = c.re.exec(t);
    if (!m?.groups) continue;
    if (c.dates !== undefined && c.dates !== temporal) continue;
    const raw = m.groups.v ?? m.groups.v2 ?? m.groups.v3;
    if (raw === undefined) continue;
    if (!temporal && info.type !== 'integer' && info.type !== 'number') {
      return { error: `${column} is ${info.type}; only numbers and dates compare as larger or smaller` };
    }
    const value = parseValue(ctx, column, raw);
    if ('error' in value) return value;
    return { ok: { op: c.op, field, value: value.ok } };
  }
  const neq =
    /^(?:is\s+not(?:\s+equal\s+to)?|isn['’]t|are\s+not|aren['’]t|(?:does|do)\s+not\s+equal|doesn['’]t\s+equal|!=|<>)\s+(?<v>.+)$/i.exec(
      t,
    );
  const eq = /^(?:is\s+equal\s+to|is|are|equals?|=|==)\s+(?<v>.+)$/i.exec(t);
  const hit = neq ?? eq;
  if (hit?.groups) {
    const raw = hit.groups.v as string;
    const several = !isQuoted(raw) && /\s+or\s+|,/i.test(raw);
    if (several) {
      const values = parseValues(ctx, column, raw);
      if ('error' in values) return values;
      return { ok: { op: neq ? 'notIn' : 'in', field, values: values.ok } };
    }
    const value = parseValue(ctx, column, raw);
    if ('error' in value) return value;
    return { ok: { op: neq ? 'neq' : 'eq', field, value: value.ok } };
  }
  return { error: `could not read "${t}" as a condition on ${column}` };
}

/** One-to-many relations of the table a prompt may name, to tables queries may use (and not hidden from some users). */
function relationsOf(
  ctx: ConditionContext,
): Array<{ name: string; table: string; keys: string[]; stems: string[] }> {
  const source = ctx.model.tables[ctx.table] as Table;
  const out: Array<{ name: string; table: string; keys: string[]; stems: string[] }> = [];
  for (const [name, rel] of Object.entries(source.relations)) {
    if (rel.kind !== 'one-to-many') continue;
    const target = Object.hasOwn(ctx.model.tables, rel.table) ? ctx.model.tables[rel.table] : undefined;
    if (!target || !usableTable(ctx.agent, target)) continue;
    // fail closed: a segment must not reveal rows of a table only some users may see
    if (target.visibleWhen !== undefined && target.visibleWhen !== source.visibleWhen) continue;
    const phrases = [name, rel.table, ...target.synonyms];
    const keys = phrases.map(phraseKey);
    const stems = phrases.filter((p) => !/[\s_-]/.test(p.trim())).map((p) => stemOf(p.trim()));
    out.push({ name, table: rel.table, keys, stems });
  }
  return out;
}

function relationByNoun(
  ctx: ConditionContext,
  noun: string,
): { table: string } | { error: string } | undefined {
  const key = phraseKey(noun);
  const hits = relationsOf(ctx).filter((r) => r.keys.includes(key));
  if (hits.length === 1) return { table: (hits[0] as { table: string }).table };
  if (hits.length > 1) return { error: `"${noun}" names more than one relation of ${ctx.table}` };
  return undefined;
}

function relationByVerb(ctx: ConditionContext, verb: string): { table: string } | undefined {
  if (!/^[a-z]+$/i.test(verb)) return undefined;
  const stem = stemOf(verb);
  const hits = relationsOf(ctx).filter((r) => r.stems.includes(stem));
  const tables = new Set(hits.map((h) => h.table));
  return tables.size === 1 ? { table: [...tables][0] as string } : undefined;
}

/** A count of related rows as a filter: at least one is plain `related`, none is `not related`. */
function relatedFilter(table: string, count: CountCondition): Filter {
  const none =
    (count.op === 'eq' && count.value === 0) ||
    (count.op === 'lt' && count.value === 1) ||
    (count.op === 'lte' && count.value === 0);
  if (none) return { op: 'not', filter: { op: 'related', table } };
  const some = (count.op === 'gte' && count.value === 1) || (count.op === 'gt' && count.value === 0);
  if (some) return { op: 'related', table };
  return { op: 'related', table, count };
}

const QUANTITY = new RegExp(
  [
    '^(?:(?<gte>at\\s+least|no\\s+fewer\\s+than|no\\s+less\\s+than)\\s+(?<n1>\\S+)',
    '(?<gt>more\\s+than|over)\\s+(?<n2>\\S+)',
    '(?<lt>fewer\\s+than|less\\s+than|under)\\s+(?<n3>\\S+)',
    '(?<lte>at\\s+most|no\\s+more\\s+than)\\s+(?<n4>\\S+)',
    '(?<n5>\\S+)\\s+or\\s+more',
    '(?<eq>exactly)\\s+(?<n6>\\S+)',
    '(?<any>any|some|a|an)',
    '(?<none>no)',
    '(?<n7>\\d+|one|two|three|four|five|six|seven|eight|nine|ten))\\s+(?<rest>.+)$',
  ].join('|'),
  'i',
);

/** "at least 3 orders", "an order", "no orders", "orders": a count condition and the noun after it. */
function readQuantity(text: string): { count: CountCondition; rest: string } | { error: string } {
  const m = QUANTITY.exec(text.trim());
  if (!m?.groups) return { count: { op: 'gte', value: 1 }, rest: text.trim() };
  const g = m.groups;
  const rest = g.rest as string;
  if (g.any) return { count: { op: 'gte', value: 1 }, rest };
  if (g.none) return { count: { op: 'eq', value: 0 }, rest };
  const raw = g.n1 ?? g.n2 ?? g.n3 ?? g.n4 ?? g.n5 ?? g.n6 ?? g.n7 ?? '';
  const n = parseNumber(raw);
  if (n === undefined || !Number.isInteger(n) || n < 0) return { error: `"${raw}" is not a whole number` };
  const op = g.gte || g.n5 ? 'gte' : g.gt ? 'gt' : g.lt ? 'lt' : g.lte ? 'lte' : 'eq';
  return { count: { op, value: n }, rest };
}

const HOW_OFTEN: Record<string, CountCondition['op']> = {
  'at least': 'gte',
  'more than': 'gt',
  over: 'gt',
  'fewer than': 'lt',
  'less than': 'lt',
  'at most': 'lte',
  'no more than': 'lte',
  exactly: 'eq',
};

/** "at least once", "at least 3 times", "more than once", "twice", "before", "": how often, after a verb or noun. */
function readTimes(text: string): CountCondition | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (t === '' || /^(?:before|ever|in the past|already|at any time)$/.test(t)) return { op: 'gte', value: 1 };
  const m =
    /^(?:(at least|more than|over|fewer than|less than|at most|no more than|exactly) )?(?:(once)|(twice)|(\S+) times)$/.exec(
      t,
    );
  if (!m) return undefined;
  const n = m[2] ? 1 : m[3] ? 2 : parseNumber(m[4] ?? '');
  if (n === undefined || !Number.isInteger(n)) return undefined;
  return { op: HOW_OFTEN[m[1] ?? 'exactly'] ?? 'eq', value: n };
}

/** The words after has/have/with: a column's presence, or a count of related rows ("at least 2 orders"). */
function parseHas(ctx: ConditionContext, text: string): { ok: Filter } | { error: string } | undefined {
  const t = text.trim();
  // "has a last order date" / "has no last order date"
  const presence = /^(?<no>no|a|an)\s+(?<c>.+?)(?:\s+(?:set|value|recorded))?$/i.exec(t);
  if (presence?.groups) {
    const column = resolveColumn(ctx, presence.groups.c as string);
    if (column) {
      const field = `${ctx.table}.${column}`;
      return {
        ok: presence.groups.no?.toLowerCase() === 'no' ? { op: 'isNull', field } : { op: 'isNotNull', field },
      };
    }
  }
  // "has (placed) at least one order (before)", "has orders", "with 5 or more orders"
  const noun = t.replace(/^(?:placed|made|submitted|created)\s+/i, '');
  const q = readQuantity(noun);
  if (!('error' in q)) {
    const tail =
      /^(?<noun>.+?)(?:\s+(?<times>(?:at\s+least|more\s+than|exactly|at\s+most)\s+\S+(?:\s+times)?|once|twice|\S+\s+times|before|ever|in\s+the\s+past))?$/i.exec(
        q.rest,
      );
    const nounText = tail?.groups?.noun ?? q.rest;
    const rel = relationByNoun(ctx, nounText);
    if (rel && 'error' in rel) return rel;
    if (rel) {
      const times = tail?.groups?.times ? readTimes(tail.groups.times) : undefined;
      if (tail?.groups?.times && !times) return { error: `could not read "${tail.groups.times}"` };
      return {
        ok: relatedFilter(rel.table, times && q.count.op === 'gte' && q.count.value === 1 ? times : q.count),
      };
    }
  }
  // "has ordered at least once", "have purchased before", "has never ordered"
  const verb = /^(?<never>never\s+)?(?:ever\s+|already\s+)?(?<verb>[a-z]+)(?:\s+(?<times>.+))?$/i.exec(t);
  if (verb?.groups) {
    const rel = relationByVerb(ctx, verb.groups.verb as string);
    if (rel) {
      if (verb.groups.never) {
        if (verb.groups.times) return { error: `could not read "${t}"` };
        return { ok: relatedFilter(rel.table, { op: 'eq', value: 0 }) };
      }
      const times = readTimes(verb.groups.times ?? '');
      if (!times) return { error: `could not read "${verb.groups.times}"` };
      return { ok: relatedFilter(rel.table, times) };
    }
  }
  return undefined;
}

/** One condition: over a column of the table, or over its related rows. */
function parseAtom(ctx: ConditionContext, text: string): { ok: Filter } | { error: string } {
  let t = text
    .trim()
    .replace(
      /^(?:they|it|he|she|he\s+or\s+she|they\s+have|the\s+person)\s+(?=(?:has|have|had|never|ever|already)\b)/i,
      '',
    )
    .trim();
  // "the user's country is ..." / "a user's ..."
  const possessive = /^(?:the\s+|a\s+|an\s+)?(?<owner>[\p{L}\p{N}_ -]+?)['’]s?\s+(?<rest>.+)$/iu.exec(t);
  if (possessive?.groups) {
    const owner = resolveSubject(ctx.vocab, ctx.table, possessive.groups.owner as string);
    if (typeof owner !== 'string' && owner.kind === 'table') t = possessive.groups.rest as string;
  }
  const has = /^(?:has|have|had|having|with|owns?)\s+(?<rest>.+)$/i.exec(t);
  if (has?.groups) {
    const read = parseHas(ctx, has.groups.rest as string);
    if (read) return read;
    t = has.groups.rest as string; // "with total spent over 1000": a column condition after all
  }
  const never = /^never\s+(?<verb>[a-z]+)$/i.exec(t);
  if (never?.groups) {
    const rel = relationByVerb(ctx, never.groups.verb as string);
    if (rel) return { ok: relatedFilter(rel.table, { op: 'eq', value: 0 }) };
  }
  // "ordered at least once" (after who/that)
  const verbOnly = /^(?<verb>[a-z]+ed)(?:\s+(?<times>.+))?$/i.exec(t);
  if (verbOnly?.groups) {
    const rel = relationByVerb(ctx, verbOnly.groups.verb as string);
    const times = readTimes(verbOnly.groups.times ?? '');
    if (rel && times) return { ok: relatedFilter(rel.table, times) };
  }
  // "<column> <predicate>": the longest run of leading words that names a column
  const ws = words(t);
  for (let n = Math.min(6, ws.length - 1); n >= 1; n--) {
    const column = resolveColumn(ctx, ws.slice(0, n).join(' '));
    if (column) return parsePredicate(ctx, column, ws.slice(n).join(' '));
  }
  return {
    error: `could not read "${text.trim()}" as a condition on the columns or relations of ${ctx.table}`,
  };
}

/** Conditions joined by "and" (or commas); a list of values inside one condition stays with it. */
export function parseConditionText(ctx: ConditionContext, text: string): { ok: Filter } | { error: string } {
  const t = text.trim().replace(/[.,;]+$/, '');
  const splits = [...t.matchAll(/\s*,\s*(?:and\s+)?|\s+and\s+/gi)];
  let firstError: string | undefined;
  for (const s of splits) {
    const at = s.index ?? 0;
    const left = parseAtom(ctx, t.slice(0, at));
    if ('error' in left) continue;
    const right = parseConditionText(ctx, t.slice(at + s[0].length));
    if ('error' in right) {
      firstError ??= right.error;
      continue;
    }
    const rest = right.ok.op === 'and' ? right.ok.filters : [right.ok];
    return { ok: { op: 'and', filters: [left.ok, ...rest] } };
  }
  const whole = parseAtom(ctx, t);
  if ('ok' in whole) return whole;
  return { error: firstError ?? whole.error };
}

// ---------------------------------------------------------------------------------------------------------
// Segment sentences

interface SegmentStatement {
  name: string;
  synonyms: string[];
  filter: Filter;
}

const CONSIDERED =
  '(?:(?:considered|called|counted\\s+as|deemed|treated\\s+as|seen\\s+as|regarded\\s+as|classed\\s+as|classified\\s+as|labell?ed(?:\\s+as)?|marked\\s+as|known\\s+as|referred\\s+to\\s+as)\\s+)?';
const ART = '(?:(?:a|an|the|any|every|all|each)\\s+)?';
const CONNECTOR = '(?<conn>whose|with|who|that|which|where|having)';

/** Segment sentence forms: the table's noun `x`, the segment's name `y`, the condition `cond`. */
const SEGMENT_FORMS: RegExp[] = [
  // A user is considered a customer if ...; users are VIPs when ...; a user counts as a VIP if ...
  new RegExp(
    `^${ART}(?<x>.+?)\\s+(?:is|are|counts?\\s+as|will\\s+be|gets?)\\s+${CONSIDERED}${ART}(?<y>.+?)\\s+(?:if|when|whenever|once|as\\s+long\\s+as|provided(?:\\s+that)?)\\s+(?<cond>.+)$`,
    'i',
  ),
  // We consider a user a VIP if ...
  /^we\s+(?:consider|call|count|treat)\s+(?:(?:a|an|the|any)\s+)?(?<x>.+?)\s+(?:as\s+)?(?:(?:a|an)\s+)?(?<y>\S+(?:\s+\S+)?)\s+(?:if|when|whenever)\s+(?<cond>.+)$/i,
  // A customer is a user who has ordered; VIPs are users whose country is Germany
  new RegExp(
    `^${ART}(?<y>.+?)\\s+(?:is|are|means|mean)\\s+(?:(?:a|an|any|every|all|those|the|one\\s+of\\s+the|one\\s+of\\s+our)\\s+)?(?<x>.+?)\\s+${CONNECTOR}\\s+(?<cond>.+)$`,
    'i',
  ),
  // Users whose country is Germany are called VIPs
  new RegExp(
    `^${ART}(?<x>.+?)\\s+${CONNECTOR}\\s+(?<cond>.+)\\s+(?:is|are|count\\s+as|counts\\s+as)\\s+${CONSIDERED}(?:(?:a|an)\\s+)?(?<y>[^\\s].*?)$`,
    'i',
  ),
];

/** The segment name for "VIPs", "big spenders": singular, lower case, words joined by `_`. */
function segmentName(y: string): string | undefined {
  const ws = words(
    unquote(y)
      .toLowerCase()
      .replace(/[-\s]+/g, ' '),
  );
  const last = ws.pop();
  if (last === undefined) return undefined;
  const name = [...ws, pluralize.singular(last)]
    .join('_')
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return Alias.safeParse(name).success ? name : undefined;
}

function readSegmentSentence(
  ctx: ConditionContext,
  core: string,
  remarkCondition: Filter | undefined,
): Attempt<SegmentStatement> {
  let firstError: string | undefined;
  for (const form of SEGMENT_FORMS) {
    const m = form.exec(core);
    if (!m?.groups) continue;
    const x = m.groups.x as string;
    const subject = resolveSubject(ctx.vocab, ctx.table, x);
    if (typeof subject === 'string' || subject.kind !== 'table') continue; // not about this table's rows
    const names = nameList(m.groups.y as string);
    if (!names) {
      firstError ??= `"${m.groups.y}" is not a name for a segment`;
      continue;
    }
    const name = segmentName(names[0] as string);
    if (!name) {
      firstError ??= `"${names[0]}" cannot be a segment name (letters, digits and _ only)`;
      continue;
    }
    let cond = m.groups.cond as string;
    // "who/that/which" introduce a verb; "with/having" a has-form; "whose/where" a column
    if (/^(?:with|having)$/i.test(m.groups.conn ?? '')) cond = `has ${cond}`;
    let filter: Filter;
    if (remarkCondition) filter = remarkCondition;
    else {
      const read = parseConditionText(ctx, cond);
      if ('error' in read) {
        firstError ??= `segment ${name}: ${read.error}`;
        continue;
      }
      filter = read.ok;
    }
    const synonyms = new Set<string>();
    for (const n of names) {
      const lower = n.toLowerCase();
      synonyms.add(pluralize.plural(lower));
      if (n !== names[0]) synonyms.add(lower);
    }
    synonyms.delete(name.replace(/_/g, ' '));
    return { ok: { name, synonyms: [...synonyms], filter } };
  }
  return firstError === undefined ? undefined : { error: firstError };
}

// ---------------------------------------------------------------------------------------------------------
// Reading a table's prompt

interface SentenceWork {
  out: PromptSentence;
  core: string;
  /** a whole-sentence form was read (synonym or segment) */
  read: boolean;
  /** the condition in parentheses ("(last_order_at is not null)"), if one was */
  remarkCondition?: Filter;
  /** remarks that are neither synonyms nor conditions */
  unread: string[];
  /** the reason a recognised form could not be used */
  error?: string;
  /** the names synonym remarks were attached to: when they are all the sentence says, it was read whole */
  attachedTo: string[];
  remarks: Remark[];
}

/**
 * Reads every table prompt of an agent's model and merges what it understood into a copy of the model: new
 * synonyms (deduplicated; a word the YAML already uses for anything is left out) and new segments (left out when a
 * segment of that name exists, when the filter does not validate, or when it would read a column a user cannot
 * see). The YAML model itself is never changed; the report says what every sentence was read as.
 */
export function applyTablePrompts(
  agent: AgentConfig,
  model: SemanticModel,
): { model: SemanticModel; report: PromptReport } {
  const working = structuredClone(model);
  const derivations = new Map<string, PromptDerivations>();
  const derivationsOf = (table: string): PromptDerivations => {
    let d = derivations.get(table);
    if (!d) {
      d = { source: 'prompt', synonyms: new Map(), segments: new Set() };
      derivations.set(table, d);
    }
    return d;
  };
  let baseline: Set<string> | undefined;
  const newIssues = (): string[] => {
    baseline ??= new Set(validateModel(agent, model).map((i) => `${i.path}\n${i.message}`));
    const seen = baseline;
    return validateModel(agent, working)
      .filter((i) => !seen.has(`${i.path}\n${i.message}`))
      .map((i) => `${i.path}: ${i.message}`);
  };

  // the working model's vocabulary, built again only after a reading added to the model (every name goes through
  // pluralize: built anew for each sentence and word, it was most of the time a config took to load)
  let vocab: Vocabulary | undefined;
  const vocabulary = (): Vocabulary => (vocab ??= new Vocabulary(working));
  const applied = <R extends { outcome: string }>(reading: R): R => {
    if (reading.outcome === 'added') vocab = undefined;
    return reading;
  };

  const work: SentenceWork[] = [];
  for (const [table, def] of Object.entries(model.tables)) {
    if (def.prompt === undefined) continue;
    for (const text of promptSentences(def.prompt)) {
      const { core, remarks } = splitRemarks(text);
      work.push({
        out: { table, text, readings: [] },
        core,
        remarks,
        read: false,
        unread: [],
        attachedTo: [],
      });
    }
  }

  // pass 1: synonyms (remarks and whole sentences), so that segment sentences may use the new names
  for (const w of work) {
    const vocab = vocabulary();
    const ctx: ConditionContext = { agent, model: working, vocab, table: w.out.table };
    for (const remark of w.remarks) {
      const also = ALSO_REMARK.exec(remark.text);
      const list = also?.groups ? nameList(also.groups.y as string) : undefined;
      const tail = also && list ? resolveTail(vocab, w.out.table, remark.before) : undefined;
      if (list && tail) {
        for (const word of list) {
          w.out.readings.push(
            applied(applySynonym(working, vocabulary(), derivationsOf, word, tail.target, newIssues)),
          );
        }
        w.attachedTo.push(tail.words);
        continue;
      }
      const condition = parseConditionText(ctx, remark.text);
      if ('ok' in condition && w.remarkCondition === undefined) w.remarkCondition = condition.ok;
      else w.unread.push(remark.text);
    }
    // a condition in parentheses makes the sentence a definition, never a plain synonym (it would be dropped)
    if (w.unread.length > 0 || w.remarkCondition !== undefined) continue;
    const statement = readSynonymSentence(vocab, w.out.table, w.core);
    if (statement && 'ok' in statement) {
      w.read = true;
      for (const word of statement.ok.words) {
        w.out.readings.push(
          applied(applySynonym(working, vocabulary(), derivationsOf, word, statement.ok.target, newIssues)),
        );
      }
    } else if (statement) w.error = statement.error;
  }

  // pass 2: segments
  for (const w of work) {
    if (w.read || w.unread.length > 0) continue;
    const ctx: ConditionContext = {
      agent,
      model: working,
      vocab: vocabulary(),
      table: w.out.table,
    };
    const statement = readSegmentSentence(ctx, w.core, w.remarkCondition);
    if (statement && 'ok' in statement) {
      w.read = true;
      w.out.readings.push(
        applied(
          applySegment(
            model,
            working,
            vocabulary(),
            derivationsOf,
            w.out.table,
            w.out.text,
            statement.ok,
            newIssues,
          ),
        ),
      );
    } else if (statement) w.error = statement.error;
  }

  const sentences: PromptSentence[] = [];
  for (const w of work) {
    const out = w.out;
    if (w.unread.length > 0) {
      out.notUsed = `could not read the remark ${w.unread.map((r) => `"(${r})"`).join(', ')}`;
    } else if (!w.read) {
      // the names synonym remarks were attached to may be all there is ("Users (also members).")
      let rest = ` ${w.core} `;
      for (const named of w.attachedTo) rest = rest.replace(` ${named} `, ' ');
      const bare = w.attachedTo.length > 0 && /^[\s,;:]*(?:(?:the|a|an|and|or)[\s,;:]+)*$/i.test(rest);
      if (!bare) {
        const part = out.readings.length > 0 ? `the rest ("${w.core}")` : 'the sentence';
        out.notUsed = w.error ? `${part}: ${w.error}` : `${part} is not one of the synonym or segment forms`;
      }
    }
    sentences.push(out);
  }

  const changed = sentences.some((s) => s.readings.some((r) => r.outcome === 'added'));
  if (!changed) return { model, report: { sentences } };
  for (const [table, d] of derivations) {
    const t = working.tables[table];
    if (t && (d.synonyms.size > 0 || d.segments.size > 0)) derivedByTable.set(t, d);
  }
  return { model: working, report: { sentences } };
}

/** Adds a synonym to its target unless the YAML already has it or the word names something else of the model. */
function applySynonym(
  working: SemanticModel,
  vocab: Vocabulary,
  derivationsOf: (table: string) => PromptDerivations,
  word: string,
  target: PromptTarget,
  newIssues: () => string[],
): SynonymReading {
  const reading = (outcome: SynonymReading['outcome'], why?: string): SynonymReading =>
    why === undefined
      ? { kind: 'synonym', word, target, outcome }
      : { kind: 'synonym', word, target, outcome, why };
  const named = vocab.lookup(word);
  if (named.some((t) => sameTarget(t, target))) return reading('declared');
  const other = named[0];
  if (other) return reading('skipped', `"${word}" already names ${targetLabel(other)}`);
  const table = working.tables[target.table] as Table;
  const list =
    target.kind === 'table'
      ? table.synonyms
      : target.kind === 'column'
        ? (table.columns[target.column] ?? table.computed[target.column])?.synonyms
        : target.kind === 'measure'
          ? table.measures[target.measure]?.synonyms
          : table.segments[target.segment]?.synonyms;
  if (!list) return reading('skipped', `${targetLabel(target)} is not in the model`);
  list.push(word);
  const issues = newIssues();
  if (issues.length > 0) {
    list.pop();
    return reading('skipped', issues.join('; '));
  }
  const key =
    target.kind === 'table'
      ? 'table'
      : target.kind === 'column'
        ? `columns.${target.column}`
        : target.kind === 'measure'
          ? `measures.${target.measure}`
          : `segments.${target.segment}`;
  const d = derivationsOf(target.table);
  d.synonyms.set(key, [...(d.synonyms.get(key) ?? []), word]);
  return reading('added');
}

/** The model fields a filter reads, and the tables its related-row conditions reach. */
function filterFields(
  filter: Filter,
  fields: string[] = [],
  tables: string[] = [],
): { fields: string[]; tables: string[] } {
  switch (filter.op) {
    case 'and':
    case 'or':
      for (const f of filter.filters) filterFields(f, fields, tables);
      break;
    case 'not':
      filterFields(filter.filter, fields, tables);
      break;
    case 'related':
      tables.push(filter.table);
      if (filter.filter) filterFields(filter.filter, fields, tables);
      break;
    case 'segment':
      fields.push(`segment:${filter.segment}`);
      break;
    case 'compareFields':
      fields.push(filter.field, filter.other);
      break;
    default:
      fields.push(filter.field);
  }
  return { fields, tables };
}

/**
 * Fail closed: a derived segment reads only visible columns of its own table (never context filter columns or
 * columns the model does not declare) and related rows only through the table's one-to-many relations.
 */
function unsafeReason(model: SemanticModel, table: string, filter: Filter): string | undefined {
  const t = model.tables[table] as Table;
  const scoping = new Set(t.contextFilters.map((cf) => cf.column));
  const { fields, tables } = filterFields(filter);
  for (const field of fields) {
    const { table: owner, column } = parseFieldRef(field);
    if (owner !== table) return `it reads ${field}, which is not a column of ${table}`;
    if (scoping.has(column)) return `it reads ${column}, a context filter column`;
    if (!Object.hasOwn(t.columns, column) && !Object.hasOwn(t.computed, column)) {
      return `it reads ${column}, which the model does not declare`;
    }
  }
  for (const target of tables) {
    const ok = Object.values(t.relations).some((r) => r.kind === 'one-to-many' && r.table === target);
    if (!ok) return `${table} has no one-to-many relation to ${target}`;
  }
  return undefined;
}

function applySegment(
  yaml: SemanticModel,
  working: SemanticModel,
  vocab: Vocabulary,
  derivationsOf: (table: string) => PromptDerivations,
  owner: string,
  sentence: string,
  statement: SegmentStatement,
  newIssues: () => string[],
): SegmentReading {
  const { name, synonyms, filter } = statement;
  const reading = (outcome: SegmentReading['outcome'], why?: string): SegmentReading =>
    why === undefined
      ? { kind: 'segment', name, synonyms, filter, outcome }
      : { kind: 'segment', name, synonyms, filter, outcome, why };
  const declaredHere = yaml.tables[owner]?.segments;
  if (declaredHere && Object.hasOwn(declaredHere, name)) {
    const same = JSON.stringify(declaredHere[name]?.filter) === JSON.stringify(filter);
    return reading(
      'skipped',
      `the YAML declares segment ${name}${same ? ' (with the same filter)' : ' (with another filter)'}`,
    );
  }
  for (const [other, t] of Object.entries(working.tables)) {
    if (Object.hasOwn(t.segments, name))
      return reading('skipped', `table ${other} already has a segment ${name}`);
  }
  for (const phrase of [name.replace(/_/g, ' '), ...synonyms]) {
    const other = vocab.lookup(phrase)[0];
    if (other) return reading('skipped', `"${phrase}" already names ${targetLabel(other)}`);
  }
  const unsafe = unsafeReason(working, owner, filter);
  if (unsafe) return reading('skipped', unsafe);
  const segments = (working.tables[owner] as Table).segments;
  segments[name] = { filter, description: sentence.replace(/\s+/g, ' ').trim(), synonyms: [...synonyms] };
  const issues = newIssues();
  if (issues.length > 0) {
    delete segments[name];
    return reading('skipped', issues.join('; '));
  }
  derivationsOf(owner).segments.add(name);
  return reading('added');
}

// ---------------------------------------------------------------------------------------------------------
// Public entry points

/** What a filter of a derived segment says, in the words of `parley check` ("last_order_at is not null"). */
export function describeFilter(filter: Filter, table?: string): string {
  const field = (ref: string): string =>
    table !== undefined && ref.startsWith(`${table}.`) ? ref.slice(table.length + 1) : ref;
  const value = (v: Scalar): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  switch (filter.op) {
    case 'isNull':
      return `${field(filter.field)} is null`;
    case 'isNotNull':
      return `${field(filter.field)} is not null`;
    case 'compareFields': {
      const op = { eq: '=', neq: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' }[filter.cmp];
      return `${field(filter.field)} ${op} ${field(filter.other)}`;
    }
    case 'eq':
    case 'neq':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const op = { eq: '=', neq: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' }[filter.op];
      return `${field(filter.field)} ${op} ${value(filter.value)}`;
    }
    case 'in':
    case 'notIn':
      return `${field(filter.field)} ${filter.op === 'in' ? 'in' : 'not in'} (${filter.values.map(value).join(', ')})`;
    case 'contains':
      return `${field(filter.field)} contains ${value(filter.value)}`;
    case 'startsWith':
      return `${field(filter.field)} starts with ${value(filter.value)}`;
    case 'dateRange':
      return `${field(filter.field)} in a date range`;
    case 'segment':
      return `segment ${filter.segment}`;
    case 'and':
    case 'or':
      return filter.filters
        .map((f) =>
          f.op === 'and' || f.op === 'or' ? `(${describeFilter(f, table)})` : describeFilter(f, table),
        )
        .join(` ${filter.op} `);
    case 'not':
      if (filter.filter.op === 'related' && !filter.filter.count && !filter.filter.filter)
        return `has no ${filter.filter.table}`;
      return `not (${describeFilter(filter.filter, table)})`;
    case 'related': {
      const c = filter.count;
      const how = c
        ? `${{ eq: 'exactly', neq: 'not exactly', gt: 'more than', gte: 'at least', lt: 'fewer than', lte: 'at most' }[c.op]} ${c.value} `
        : '';
      const inner = filter.filter ? ` where ${describeFilter(filter.filter)}` : '';
      return `has ${how}${filter.table}${inner}`;
    }
    default:
      throw new Error(`unknown filter ${(filter satisfies never as { op: string }).op}`);
  }
}

/** One reading as `parley check` prints it: "synonym accounts -> table users: already in the YAML". */
export function describeReading(reading: PromptReading, table: string): string {
  if (reading.kind === 'synonym') {
    const status =
      reading.outcome === 'added'
        ? 'added'
        : reading.outcome === 'declared'
          ? 'already in the model'
          : `not added, ${reading.why}`;
    return `synonym ${reading.word} -> ${targetLabel(reading.target)}: ${status}`;
  }
  const also = reading.synonyms.length > 0 ? ` (also ${reading.synonyms.join(', ')})` : '';
  const status = reading.outcome === 'added' ? 'added' : `not added, ${reading.why}`;
  return `segment ${reading.name}${also} = ${describeFilter(reading.filter, table)}: ${status}`;
}

/** The `parley check` lines of an agent's prompt report: a heading, then each sentence with what it was read as. */
export function formatPromptReport(agentId: string, report: PromptReport): string[] {
  if (report.sentences.length === 0) return [];
  const added = (kind: PromptReading['kind']) =>
    report.sentences.reduce(
      (n, s) => n + s.readings.filter((r) => r.kind === kind && r.outcome === 'added').length,
      0,
    );
  const unused = report.sentences.filter((s) => s.notUsed !== undefined).length;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const lines = [
    `${agentId}: table prompts: ${count(added('synonym'), 'synonym')} and ${count(added('segment'), 'segment')} added, ${count(unused, 'sentence')} not used`,
  ];
  for (const s of report.sentences) {
    lines.push(`  ${s.table}: ${JSON.stringify(s.text)}`);
    for (const r of s.readings) lines.push(`    ${describeReading(r, s.table)}`);
    if (s.notUsed !== undefined) lines.push(`    not used: ${s.notUsed}`);
  }
  return lines;
}
