// The shorthand people type into a chat box ("rev by qtr this yr", "# of orders last mo", "2+ orders", "last 30d"),
// written out in full before anything else reads the question, so dates, cues and vocabulary see plain words.
// These are the grammar's own words (units of time, counting and comparing), not the model's vocabulary.

/** Whole-word abbreviations, by lower-case form. */
const WORDS: Record<string, string> = {
  yr: 'year',
  yrs: 'years',
  qtr: 'quarter',
  qtrs: 'quarters',
  mo: 'month',
  mos: 'months',
  mth: 'month',
  mths: 'months',
  mnth: 'month',
  mnths: 'months',
  wk: 'week',
  wks: 'weeks',
  hr: 'hour',
  hrs: 'hours',
  avg: 'average',
  qty: 'quantity',
  amt: 'amount',
  rev: 'revenue',
  cust: 'customer',
  custs: 'customers',
  acct: 'account',
  accts: 'accounts',
  acc: 'account',
  accs: 'accounts',
  ppl: 'people',
  pct: 'percentage',
  nr: 'number',
  num: 'number',
  // "typical order size" is the average one
  typical: 'average',
  thru: 'through',
  diff: 'different',
  pls: 'please',
  plz: 'please',
  thx: 'thanks',
};

/** Patterns over the raw text, applied in order; each keeps the question readable for people too. */
const PATTERNS: Array<[RegExp, string]> = [
  // "# of orders", "#orders", "no. of signups"
  [/#\s*(?:of\s+)?/g, 'number of '],
  [/\bno\.\s*(?=of\b)/gi, 'number '],
  // "w/o" and "w/"
  [/\bw\/o\b/gi, 'without'],
  [/\bw\//gi, 'with '],
  // "last 30d", "past 2w", "12m" (a number glued to a unit letter)
  [/\b(\d+)\s?d\b/gi, '$1 days'],
  [/\b(\d+)\s?w\b/gi, '$1 weeks'],
  [/\b(\d+)\s?(?:mo|mos)\b/gi, '$1 months'],
  [/\b(\d+)\s?(?:y|yr|yrs)\b/gi, '$1 years'],
  // contractions the grammar reads as two words ("who've placed", "they're", "what's")
  [/\b(who|they|we|you|i)['’]ve\b/gi, '$1 have'],
  [/\b(they|we|you)['’]re\b/gi, '$1 are'],
  [/\b(what|who|that|where|how)['’]s\b/gi, '$1 is'],
  // the same typed without the apostrophe ("whove", "theyve", "theyre", "whats"; not "were", a word of its own)
  [/\b(who|they|we|you)ve\b/gi, '$1 have'],
  [/\b(they|you)re\b/gi, '$1 are'],
  [/\b(what|that)s\b/gi, '$1 is'],
  // negations typed without their apostrophe ("havent", "didnt", "dont")
  [/\b(have|has|had|did|do|does|was|were|is|are|could|would|should)nt\b/gi, "$1n't"],
  [/\b(ca|wo)nt\b/gi, "$1n't"],
  // "this years donations", "last months sales": a period's possessive typed without its apostrophe
  // (before a noun: "the last weeks of 2025", "last months and this" stay plural)
  [
    /\b(this|last|next|previous)\s+(year|month|quarter|week)s\b(?=\s+(?!(?:of|in|and|or|to|for|vs|versus|compared)\b)[a-z])/gi,
    "$1 $2's",
  ],
  // "2+ orders": two or more
  [/\b(\d+)\s?\+(?=\s|$|\))/g, '$1 or more'],
  // "%" not after a number means percentage ("what %", "as a % of", "growth (%)"); "5%" stays a number's sign
  [/(?<![\d\s])\s*%|(?<=\s)%/g, ' percentage '],
];

/** The question with its shorthand written out. Idempotent; words it does not know are left alone. */
export function expandShorthand(question: string): string {
  let text = question;
  for (const [re, by] of PATTERNS) text = text.replace(re, by);
  return text.replace(/[\p{L}]+/gu, (word) => {
    const full = Object.hasOwn(WORDS, word.toLowerCase()) ? WORDS[word.toLowerCase()] : undefined;
    return full ?? word;
  });
}
