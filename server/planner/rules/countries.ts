// The other names of a country that a tenant's data spells one way: "German customers" are those whose country is
// "Germany", "UK buyers" those in "United Kingdom". Names, codes and demonyms come from world-countries (the
// mledoze/countries data set); we only decide which of them are safe to read in a question.
import type { Country } from 'world-countries';
import data from 'world-countries';

// the package is CommonJS (module.exports = the array) while its types declare an ES default export
const countries = data as unknown as readonly Country[];

// informal names the data set does not list, as people write them
const INFORMAL: Record<string, string[]> = {
  US: ['america', 'the states', 'the us', 'the usa', 'u s', 'u s a'],
  GB: ['britain', 'england', 'the uk', 'u k', 'brits'],
  NL: ['the netherlands'],
  AE: ['uae', 'the emirates'],
};

// ISO codes ("IT", "CAN", "PER") are everyday words as often as countries; only these are read as country names
const CODES_PEOPLE_WRITE = new Set(['uk', 'usa', 'uae']);

let byName: Map<string, string[]> | undefined;

function key(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function index(): Map<string, string[]> {
  if (byName) return byName;
  byName = new Map();
  for (const c of countries) {
    const names = [c.name.common, c.name.official, ...c.altSpellings].map(key).filter(Boolean);
    const demonyms = Object.values(c.demonyms?.eng ?? {})
      .map(key)
      .filter(Boolean);
    const aliases = new Set<string>();
    for (const n of [...names, ...(INFORMAL[c.cca2] ?? [])]) {
      if (n.length <= 3 && !n.includes(' ') && !CODES_PEOPLE_WRITE.has(n)) continue;
      aliases.add(n);
    }
    for (const d of demonyms) {
      aliases.add(d);
      // "Germans", "Americans", "Pakistanis"; "Dutch", "British", "Japanese", "Swiss" have no plural of their own
      if (/(?:an|i)$/.test(d)) aliases.add(`${d}s`);
    }
    for (const n of names) {
      const list = byName.get(n) ?? [];
      for (const a of aliases) if (a !== n && !list.includes(a)) list.push(a);
      byName.set(n, list);
    }
  }
  return byName;
}

/** Other names of the country a value names ("united states" -> "usa", "american", "americans", ...), or none. */
export function countryAliases(valueKey: string): readonly string[] {
  // plain lowercase ASCII words are their own key (most values; key() normalises Unicode, the costly part)
  return index().get(/^[a-z0-9]+(?: [a-z0-9]+)*$/.test(valueKey) ? valueKey : key(valueKey)) ?? [];
}

/** A short code people write for a country ("UK", "USA"): read as a country although it is a short word. */
export function isCountryCode(word: string): boolean {
  return CODES_PEOPLE_WRITE.has(word);
}
