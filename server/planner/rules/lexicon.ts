// The vocabulary of one user's view of the model: every phrase that names a table, column, measure,
// segment or enum value, matched against a question's tokens longest-first.

import type { ModelView } from '../../semantic/model-view.ts';
import { countryAliases } from './countries.ts';
import { isEnglishWord } from './english.ts';
import { keptFor } from './model-helpers.ts';
import { expandShorthand } from './shorthand.ts';
import { singularOf, type Token, tokenize, valueKey, valueKeys } from './text.ts';

export type Target =
  | { kind: 'table'; table: string }
  | { kind: 'column'; field: string }
  | { kind: 'measure'; table: string; name: string }
  | { kind: 'segment'; table: string; name: string }
  | { kind: 'value'; field: string; value: string | number; enumerated: boolean };

export interface Match {
  target: Target;
  /** other measures the same words name just as well: the question is ambiguous */
  alternatives?: Target[];
  /** token index range [from, to) */
  from: number;
  to: number;
  /** the words of the question that matched */
  text: string;
}

interface Entry {
  stems: string[];
  /** the phrase's own words, so an exact spelling beats a shared stem ("orders" the table over "ordered") */
  words: string[];
  target: Target;
}

// when one phrase names several things, the more specific kind wins
const PRIORITY: Record<Target['kind'], number> = { measure: 5, segment: 4, value: 3, table: 2, column: 1 };

export class Lexicon {
  private readonly byFirst = new Map<string, Entry[]>();
  /** every word of every phrase, for spelling correction */
  readonly vocabulary = new Set<string>();

  add(phrase: string, target: Target): void {
    const tokens = tokenize(phrase);
    const stems = tokens.map((t) => t.stem);
    const first = stems[0];
    if (first === undefined) return;
    const words = tokens.map((t) => t.text);
    for (const w of words) if (w.length >= 4 && !/\d/.test(w)) this.vocabulary.add(w);
    const list = this.byFirst.get(first) ?? [];
    if (!list.some((e) => sameTarget(e.target, target) && e.words.join(' ') === words.join(' '))) {
      list.push({ stems, words, target });
    }
    this.byFirst.set(first, list);
  }

  /**
   * Every target a phrase starting at token i names: longest first, then exact spelling, then kind. `exact` allows a
   * plural; `identical` is spelt letter for letter as the question spells it.
   */
  at(
    tokens: readonly Token[],
    i: number,
  ): Array<{ target: Target; length: number; exact: boolean; identical: boolean }> {
    const first = tokens[i]?.stem;
    if (first === undefined) return [];
    const out: Array<{ target: Target; length: number; exact: boolean; identical: boolean }> = [];
    for (const entry of this.byFirst.get(first) ?? []) {
      if (!entry.stems.every((s, k) => tokens[i + k]?.stem === s)) continue;
      const exact = entry.words.every((w, k) => sameWord(w, tokens[i + k]?.text ?? ''));
      // spelt as the question spells it: "signups" is the column signups before the page "/signup"
      const identical = entry.words.every((w, k) => w.toLowerCase() === tokens[i + k]?.text);
      out.push({ target: entry.target, length: entry.stems.length, exact, identical });
    }
    return out.sort(
      (a, b) =>
        b.length - a.length ||
        Number(b.exact) - Number(a.exact) ||
        Number(b.identical) - Number(a.identical) ||
        PRIORITY[b.target.kind] - PRIORITY[a.target.kind],
    );
  }
}

/** The same word, allowing a plural: "order" and "orders" are one word; "order" and "ordered" are not. */
function sameWord(a: string, b: string): boolean {
  return a === b || singularOf(a) === singularOf(b);
}

export function sameTarget(a: Target, b: Target): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The lexicon of the model as this view sees it (kept per view shape: the same model and visible tables). */
export function lexiconFor(view: ModelView): Lexicon {
  return keptFor(view, 'lexicon', () => buildLexicon(view));
}

function buildLexicon(view: ModelView): Lexicon {
  const lex = new Lexicon();
  for (const [tableName, table] of view.tables) {
    const tableTarget: Target = { kind: 'table', table: tableName };
    lex.add(tableName.replace(/_/g, ' '), tableTarget);
    for (const s of table.synonyms) lex.add(s, tableTarget);
    const columns: Array<[string, { synonyms: string[]; values?: Array<string | number> }]> = [
      ...Object.entries(table.columns),
      ...Object.entries(table.computed),
    ];
    for (const [col, def] of columns) {
      const target: Target = { kind: 'column', field: `${tableName}.${col}` };
      const spoken = col.replace(/_/g, ' ');
      lex.add(spoken, target);
      for (const s of def.synonyms) lex.add(s, target);
      // questions are read with their shorthand spelt out ("qty" -> "quantity"): a name spelt short is found so too
      const spelt = expandShorthand(spoken);
      if (spelt !== spoken) lex.add(spelt, target);
      // a variant that is a value of the column itself ("open" beside "pending") names that value, not the other
      const own = new Set((def.values ?? []).map((v) => String(v).toLowerCase()));
      for (const v of def.values ?? []) {
        const valueTarget: Target = {
          kind: 'value',
          field: `${tableName}.${col}`,
          value: v,
          enumerated: true,
        };
        lex.add(String(v), valueTarget);
        for (const variant of spellingVariants(String(v)))
          if (!own.has(variant)) lex.add(variant, valueTarget);
        // "the UK", "German": a country's other names, as the tenant's value lists have them (indexValues)
        for (const alias of countryAliases(valueKey(String(v))))
          if (!own.has(alias)) lex.add(alias, valueTarget);
      }
      const keyed = (def.values ?? []).map((v): [string, string | number] => [valueKey(String(v)), v]);
      for (const [head, v] of nameHeads(keyed))
        if (!own.has(head))
          lex.add(head, { kind: 'value', field: `${tableName}.${col}`, value: v, enumerated: true });
    }
    for (const [name, m] of Object.entries(table.measures)) {
      const target: Target = { kind: 'measure', table: tableName, name };
      lex.add(name.replace(/_/g, ' '), target);
      // "revenue by product" as a name would swallow the breakdown the question asks for: the grammar reads the
      // words as the breakdown, and a breakdown by product takes this measure (measures.ts fitMeasure)
      for (const s of m.synonyms) if (!/\sby\s/i.test(s)) lex.add(s, target);
    }
    for (const [name, seg] of Object.entries(table.segments)) {
      const target: Target = { kind: 'segment', table: tableName, name };
      lex.add(name.replace(/_/g, ' '), target);
      for (const s of seg.synonyms) lex.add(s, target);
    }
  }
  return lex;
}

/** British/American spellings people mix up in status words. */
function spellingVariants(value: string): string[] {
  const v = value.toLowerCase();
  const out: string[] = [];
  if (v.includes('cancelled')) out.push(v.replace('cancelled', 'canceled'));
  if (v.includes('canceled')) out.push(v.replace('canceled', 'cancelled'));
  if (v === 'completed') out.push('complete', 'successful', 'fulfilled');
  if (v === 'pending') out.push('open', 'outstanding');
  return out;
}

/** One column's values by normalised text; built once per values array (the engine caches the arrays). */
interface FieldValues {
  byKey: Map<string, string>;
  /** by the stems of the words, so "toy" finds "Toys" and "book" finds "Books" */
  byStem: Map<string, string>;
  /** every word of every value, so spelling correction never rewrites a word of the tenant's data */
  words: Set<string>;
  maxWords: number;
  /**
   * the most words of a key in byKey (byStem) by its first word (first stem): a phrase can only be a value that
   * starts with its own first word, so the reader tries no longer phrases than these (most words start none)
   */
  longestByWord: Map<string, number>;
  longestByStem: Map<string, number>;
}
const fieldValuesCache = new WeakMap<readonly string[], FieldValues>();

function indexValues(values: readonly string[]): FieldValues {
  let hit = fieldValuesCache.get(values);
  if (!hit) {
    const byKey = new Map<string, string>();
    const byStem = new Map<string, string>();
    const words = new Set<string>();
    let maxWords = 1;
    for (const value of values) {
      const { key, stemKey } = valueKeys(value);
      if (!key || byKey.has(key)) continue;
      maxWords = Math.max(maxWords, Math.min(8, key.split(' ').length));
      byKey.set(key, value);
      for (const w of key.split(' ')) words.add(w);
      if (!byStem.has(stemKey)) byStem.set(stemKey, value);
      // "German", "UK", "the States": a country's other names find the value as the data spells it
      for (const alias of countryAliases(key)) if (!byKey.has(alias)) byKey.set(alias, value);
    }
    // "the compact tablet" for "Globex Compact Tablet": a name without its first word (a brand, a prefix the
    // tenant puts on every product), when no other value ends the same way
    const tails = new Map<string, string | null>();
    for (const [key, value] of byKey) {
      const parts = key.split(' ');
      if (parts.length < 3) continue;
      const tail = parts.slice(1).join(' ');
      tails.set(tail, tails.has(tail) && tails.get(tail) !== value ? null : value);
    }
    for (const [tail, value] of tails) if (value !== null && !byKey.has(tail)) byKey.set(tail, value);
    for (const [head, value] of nameHeads(byKey)) if (!byKey.has(head)) byKey.set(head, value);
    hit = {
      byKey,
      byStem,
      words,
      maxWords,
      longestByWord: longestByFirstWord(byKey.keys()),
      longestByStem: longestByFirstWord(byStem.keys()),
    };
    fieldValuesCache.set(values, hit);
  }
  return hit;
}

/**
 * "hannah" for "Hannah Lowe", "kestrel" for "Kestrel Logistics": a two-word name by its first word, when no other
 * value starts with it and it is no word of the language ("green" is not "Green Valley"). From [key, value] pairs.
 */
function nameHeads<V>(values: Iterable<[string, V]>): Map<string, V> {
  const heads = new Map<string, V | null>();
  for (const [key, value] of values) {
    const parts = key.split(' ');
    const head = parts[0] as string;
    if (parts.length !== 2 || head.length < 3 || /\d/.test(head)) continue;
    heads.set(head, heads.has(head) && heads.get(head) !== value ? null : value);
  }
  const out = new Map<string, V>();
  for (const [head, value] of heads) if (value !== null && !isEnglishWord(head)) out.set(head, value);
  return out;
}

function longestByFirstWord(keys: Iterable<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of keys) {
    const words = key.split(' ');
    const first = words[0] ?? '';
    out.set(first, Math.max(out.get(first) ?? 0, words.length));
  }
  return out;
}

/** Tenant values of string columns, looked up by their normalised text. */
export class ValueIndex {
  private readonly fields: Array<{ field: string; values: FieldValues; size: number }> = [];
  maxWords = 1;

  addField(field: string, values: readonly string[]): void {
    const indexed = indexValues(values);
    this.fields.push({ field, values: indexed, size: values.length });
    this.maxWords = Math.max(this.maxWords, indexed.maxWords);
  }

  /** The most words of a value that starts with this word (by text, or by its stem); 0 when no value does. */
  longestFrom(word: string, stem: string): number {
    let longest = 0;
    for (const f of this.fields) {
      longest = Math.max(
        longest,
        f.values.longestByWord.get(word) ?? 0,
        f.values.longestByStem.get(stem) ?? 0,
      );
    }
    return longest;
  }

  /** Exact (normalised) matches first; stem matches only when nothing matches exactly. */
  lookup(key: string, stemKey: string): Array<{ field: string; value: string }> {
    const out: Array<{ field: string; value: string }> = [];
    for (const f of this.fields) {
      const value = f.values.byKey.get(key);
      if (value !== undefined) out.push({ field: f.field, value });
    }
    if (out.length > 0) return out;
    for (const f of this.fields) {
      const value = f.values.byStem.get(stemKey);
      if (value !== undefined) out.push({ field: f.field, value });
    }
    return out;
  }

  /**
   * The values of one column that hold a phrase as whole words ("garden" in "Home & Garden"), by text or by stems;
   * at most `limit` + 1, so a caller can tell a phrase that narrows the column from one that does not.
   */
  containing(field: string, key: string, stemKey: string, limit: number): string[] {
    const f = this.fields.find((x) => x.field === field);
    if (!f || key === '') return [];
    const out = new Set<string>();
    for (const [k, value] of f.values.byKey) {
      if (` ${k} `.includes(` ${key} `)) out.add(value);
      if (out.size > limit) return [...out];
    }
    if (out.size > 0) return [...out];
    for (const [k, value] of f.values.byStem) {
      if (` ${k} `.includes(` ${stemKey} `)) out.add(value);
      if (out.size > limit) break;
    }
    return [...out];
  }

  hasWord(word: string): boolean {
    return this.fields.some((f) => f.values.words.has(word));
  }

  fieldSize(field: string): number {
    return this.fields.find((f) => f.field === field)?.size ?? 0;
  }
}
