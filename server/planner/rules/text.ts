// Tokens of a question: lower-cased words with their stems and character offsets, numbers and emails kept whole.
import { createRequire } from 'node:module';
import pluralize from 'pluralize';
import { stemmer } from 'stemmer';
import { SMALL_NUMBERS } from '../../dates/phrases.ts';

/** English function and filler words ("still", "yet", "whats", "alongside"), from the stopwords-iso lists. */
export const FILLER: ReadonlySet<string> = new Set([
  ...((createRequire(import.meta.url)('stopwords-iso') as Record<string, string[]>).en ?? []),
  // what people type to a chat box that the lists (written for documents) leave out
  ...['hey', 'hiya', 'yo', 'pls', 'plz', 'thx', 'ty', 'cheers', 'altogether'],
]);

/** Words for the money a business takes: a file's sales are its revenue, its takings. */
export const MONEY_WORDS = [
  'revenue',
  'sales',
  'turnover',
  'takings',
  'income',
  'gross sales',
  'total sales',
];
/** Words for the money given to a charity: "how much did we raise", "who gave the most". */
export const GIFT_VERBS = [
  'raise',
  'raised',
  'give',
  'gave',
  'given',
  'gives',
  'donate',
  'donated',
  'contributed',
];

/** A column that dates a row's leaving: "termination_date", "cancelled_on", "churned_at". */
export const LEAVING =
  /(^|_)(termination|terminated|exit|exited|left|leave|leaving|cancel|cancelled|canceled|churn|churned)($|_)/;

export interface Token {
  /** the lower-cased word as written */
  text: string;
  /** singular, Porter-stemmed form used for matching model vocabulary */
  stem: string;
  start: number;
  end: number;
  /** the number this token stands for ("5", "five", "$1,200", "£1000") */
  num?: number;
}

const TOKEN =
  /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}|[$£€]?\d[\d,]*(?:\.\d+)?k?|[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

const stemCache = new Map<string, string>();
export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    const lower = word.toLowerCase().replace(/['’]s$/, '');
    s = /^\d/.test(lower) ? lower : stemmer(pluralize.singular(lower));
    if (stemCache.size < 50_000) stemCache.set(word, s);
  }
  return s;
}

const singularCache = new Map<string, string>();
/** pluralize.singular, kept per word: the lexicon compares words by it many times a question, and it runs ~60 rules */
export function singularOf(word: string): string {
  let s = singularCache.get(word);
  if (s === undefined) {
    s = pluralize.singular(word);
    if (singularCache.size < 50_000) singularCache.set(word, s);
  }
  return s;
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const raw = m[0].toLowerCase();
    const start = m.index ?? 0;
    const token: Token = { text: raw, stem: stem(raw), start, end: start + raw.length };
    const numeric = raw.replace(/^[$£€]/, '').replace(/,/g, '');
    if (/^\d+(\.\d+)?k?$/.test(numeric)) {
      token.num = numeric.endsWith('k') ? Number(numeric.slice(0, -1)) * 1000 : Number(numeric);
    } else if (Object.hasOwn(SMALL_NUMBERS, raw) && raw !== 'a' && raw !== 'an')
      token.num = SMALL_NUMBERS[raw];
    out.push(token);
  }
  return out;
}

/** The normalised text of a value, as matched against question tokens ("Home & Garden" -> "home garden"). */
export function valueKey(value: string): string {
  return valueKeys(value).key;
}

/** The stems of a value's words ("Home & Garden" -> "home garden", "Toys" -> "toi"). */
export function valueStemKey(value: string): string {
  return valueKeys(value).stemKey;
}

/** Both keys of a value from one reading of it (a tenant's lists are thousands of values). */
export function valueKeys(value: string): { key: string; stemKey: string } {
  const tokens = tokenize(value);
  return { key: tokens.map((t) => t.text).join(' '), stemKey: tokens.map((t) => t.stem).join(' ') };
}
