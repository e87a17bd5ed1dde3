// The words clauses are made of: verbs of creating a row and of the main activity, their agent nouns ("buyers"),
// "with"/"have", and the words of how often ("once", "again") and of none ("nobody", "zero").

// verbs of the event that creates a row ("joined", "signed up", "registered", "accounts opened", "created")
export const CREATION = new Set([
  'joined',
  'join',
  'joining',
  'signed',
  'sign',
  'registered',
  'register',
  'create',
  'creating',
  'registering',
  'created',
  'opened',
  'onboarded',
  'became',
  'started',
]);
// verbs of the main activity ("bought", "ordered", "spent", "placed"); their agent nouns count too ("buyers")
export const ACTIVITY = new Set([
  'bought',
  'buy',
  'buys',
  'buying',
  'purchased',
  'purchase',
  'purchasing',
  'ordered',
  'ordering',
  'placed',
  'place',
  'placing',
  'spent',
  'spend',
  'spends',
  'spending',
  'shopped',
  'shop',
  'shopping',
  'paid',
  'pay',
  'sold',
  'sell',
  'appeared',
  'appear',
  'featured',
  'came',
  'come',
  'returned',
]);
export const AGENT_NOUNS = new Set([
  'buyer',
  'buyers',
  'purchaser',
  'purchasers',
  'shopper',
  'shoppers',
  'spender',
  'spenders',
]);
// "with", "have": the object names the related rows ("customers with 5 orders", "accounts that have no orders")
export const HAVING = new Set([
  'with',
  'without',
  'have',
  'has',
  'had',
  'having',
  "haven't",
  "hasn't",
  "hadn't",
  // "products got zero orders", "accounts that received no orders", "made their first purchase"
  'made',
  'make',
  'makes',
  'got',
  'get',
  'received',
]);
export const BOUNDARY = new Set([
  'who',
  'that',
  'which',
  'whose',
  'and',
  'but',
  'or',
  'while',
  'where',
  'how',
  'what',
]);
export const NONE = new Set(['no', 'zero', 'nobody', 'none', 'never', 'noone']);
// "more than once", "twice", "a second time", "again"
export const TIMES: Record<string, number> = { once: 1, twice: 2, thrice: 3 };
export const REPEAT = new Set(['again', 'repeat', 'repeated', 'returning', 'back']);

/** Every word above: the grammar's own, so never an unknown word of the question. */
export const CLAUSE_WORDS: ReadonlySet<string> = new Set([
  ...CREATION,
  ...ACTIVITY,
  ...AGENT_NOUNS,
  ...HAVING,
  ...NONE,
  ...Object.keys(TIMES),
  ...REPEAT,
  'times',
  'exactly',
  'single',
  'again',
  'up',
  'anyone',
  'anybody',
  'someone',
  'something',
  'anything',
  'plus',
]);
