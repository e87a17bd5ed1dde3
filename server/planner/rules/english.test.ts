import { describe, expect, it } from 'vitest';
import { isEnglishWord, loadEnglishWords } from './english.ts';

describe('English words', () => {
  it('knows words of the language, American and British, and not misspellings', async () => {
    await loadEnglishWords();
    for (const w of ['filled', 'billed', 'exchange', 'liters', 'litres', 'colour', 'color'])
      expect(isEnglishWord(w), w).toBe(true);
    for (const w of ['diffrent', 'revnue', 'campains', 'shiped', 'kestrel'])
      expect(isEnglishWord(w), w).toBe(false);
  });
});
