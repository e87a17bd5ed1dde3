// Reading a question: date phrases and grains, vocabulary matches (model phrases and tenant values), and the
// cue words of analytic questions (how many, by/per, top N, which, share of, vs, never, more than).
import { distance } from 'fastest-levenshtein';
import { type DateMatch, findDates, findGrain } from '../../dates/phrases.ts';
import { type Grain, tableOf } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { PlannerInput, Presentation } from '../types.ts';
import { withColumnNamedValues } from './column-named-values.ts';
import { isCountryCode } from './countries.ts';
import { isEnglishWord } from './english.ts';
import { type Lexicon, lexiconFor, type Match, type Target, type ValueIndex } from './lexicon.ts';
import {
  isDate,
  isNumeric,
  keptFor,
  labelField,
  namesNoMeasures,
  owns,
  personTable,
  soldThingTable,
} from './model-helpers.ts';
import { FILLER, singularOf, stem, type Token, tokenize } from './text.ts';
import { ACTIVITY, AGENT_NOUNS, CLAUSE_WORDS, CREATION } from './verbs.ts';

export type Agg = 'sum' | 'avg' | 'min' | 'max';

/** A date phrase where it stands among the tokens: a range ("in March"), or one side of one ("before 2025"). */
export interface DatedPhrase {
  range: DateMatch['range'];
  text: string;
  /** index of the first token after the phrase (tokens never include date words) */
  token: number;
  /** open-ended: earlier than the period, from its end on, or up to its end */
  side?: 'before' | 'after' | 'until';
  /** the range phrase itself, for the measure's time slot (absent for bounds) */
  match?: DateMatch;
}

/** What a question says, before it becomes a plan. */
export interface Reading {
  question: string;
  tokens: Token[];
  matches: Match[];
  dates: DateMatch[];
  /** the date ranges and bounds, with their place among the tokens */
  dated: DatedPhrase[];
  grain?: Grain;
  /** token index of "how many" / "number of" / "count", or -1 */
  countCue: number;
  /** what is counted when it is not the thing named after the cue: "order counts", "of the customers..., how many have" */
  countSubject?: Match;
  aggCues: Map<number, Agg>;
  byCues: number[];
  /** `subjectAt`: where the ranked thing is named when it comes before the rank word ("the 5 categories that ... most") */
  topN?: { n: number; direction: 'asc' | 'desc'; at: number; subjectAt?: number };
  /** "best 3 months", "which month": a calendar unit to rank or group by */
  rankGrain?: { grain: Grain; at: number };
  listing: boolean;
  recency?: 'desc' | 'asc';
  compare: boolean;
  presentation: Presentation;
  negated: Set<number>;
  /** "more than 5", "5 or more", "exactly 3", "between 100 and 200" (two, at the same place) */
  comparisons: Array<{ op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq'; value: number; at: number }>;
  whichAt: number;
  /** "percentage of", "share of", "rate": a ratio of a filtered count to the whole */
  share: boolean;
  /** "running total", "cumulative": the total so far, period by period */
  running: boolean;
  /** "growth", "grow", "change", "increase": against the period before (in percent when `share` says so) */
  growth: boolean;
  /** "alongside", "with", "and": the plain figure is asked for beside a running total or a growth */
  alongside: boolean;
  /** "how much did we make", "money": the model's money measure */
  money: boolean;
  /** "how many did we sell", "best-selling": the model's units measure */
  selling: boolean;
  /** "when was our first order": the earliest (min) or latest (max) time */
  when?: 'min' | 'max';
  /** "forecast", "predict", "next quarter": asks about what has not happened */
  future: boolean;
  /** a word the question depends on that nothing in the model or the data matches */
  unknownMetric?: string;
  /** content words nothing matched (not cues, not stop words) */
  unknownWords: string[];
  /** a capitalised name the data does not know ("Globex's sales") */
  unknownName?: string;
  /**
   * "cost per click by channel (spend divided by clicks)": the tokens inside brackets that define the figure asked
   * by a ratio of two numbers; the words before the brackets name that figure (file-numbers.ts reads it)
   */
  ratioDefinition?: { from: number; to: number };
}

// metrics people ask for that a model may simply not have; naming one without a match is a refusal, not a guess
const METRIC_WORDS = new Set(
  `profit profits margin margins cost costs expense expenses salary salaries payroll employee employees staff headcount
  weather churn retention inventory stock warehouse shipping shipment shipments tax taxes vat discount discounts coupon
  coupons return returns visit visits visitor visitors traffic session sessions pageview pageviews conversion conversions
  rating ratings review reviews nps satisfaction invoice invoices budget budgets forecast target targets commission
  clicks impressions ads advertising marketing campaign campaigns ebitda lifetime ltv cac mrr arr churned acquisition
  subscriptions subscription tickets ticket complaints supplier suppliers vendor vendors wages rent depreciation`.split(
    /\s+/,
  ),
);

export const STOP = new Set(
  `a an the of in on for to from and or is are was were be been being do does did done have has had we our ours us i me my
  you your it its this that these those what which who whom whose how many much show list give get tell all any each every
  per by with at as there their they them than then so please can could would will should just only also about into over
  under number count total sum average avg mean overall across compared compare vs versus against same time times
  most least top bottom best worst highest lowest largest smallest biggest fewest more less greater fewer
  latest recent newest oldest earliest first last next previous ago since until between during
  see look find know want need display break down split group grouped broken breakdown chart graph plot table
  make made get got happen happened currently current now today yesterday week weeks month months year years day days
  quarter quarters weekly monthly daily yearly quarterly annually trend trends
  ever anything something everything one ones some other like sort instead
  percentage percent share proportion fraction ratio rate when where why there here overall whole entire so far
  different distinct unique separate money dollars dollar euros euro bucks earn earned bring brought generate generated
  take took sell sold selling buy spend spent
  not never no without except excluding non having got getting counting considering
  new old big small large high low good bad great created registered joined signed placed added opened came come
  happened occurred received got`.split(/\s+/),
);

// words that ask which of two is bigger ("did we sell more in Q3 or Q2")
const COMPARATIVES = new Set([
  'more',
  'less',
  'fewer',
  'higher',
  'lower',
  'better',
  'worse',
  'bigger',
  'smaller',
]);
// money "brought in by", "generated by", "made by" someone
const EARNED = new Set(['brought', 'generated', 'earned', 'made', 'contributed', 'produced']);
// the words between "by" and the people it names ("spent by the people who ...")
const DETERMINERS = new Set(['the', 'our', 'those', 'these', 'all', 'any', 'my']);

const AGG_WORDS: Record<string, Agg> = {
  total: 'sum',
  sum: 'sum',
  average: 'avg',
  mean: 'avg',
  typical: 'avg',
  highest: 'max',
  largest: 'max',
  biggest: 'max',
  maximum: 'max',
  max: 'max',
  priciest: 'max',
  dearest: 'max',
  lowest: 'min',
  smallest: 'min',
  minimum: 'min',
  min: 'min',
  cheapest: 'min',
};

/** The words that name an aggregate ("total", "average", "highest"): never a column's own name in a question. */
export const AGGREGATE_WORDS: ReadonlySet<string> = new Set(Object.keys(AGG_WORDS));

const DESC_WORDS = new Set([
  'top',
  'most',
  'best',
  'highest',
  'largest',
  'biggest',
  'greatest',
  'leading',
  'busiest',
]);
const ASC_WORDS = new Set([
  'bottom',
  'least',
  'fewest',
  'worst',
  'lowest',
  'smallest',
  'quietest',
  'slowest',
]);

// words the grammar itself knows, so they are never "corrected" into model vocabulary
// words of the shapes of an answer ("running total", "growth", "in terms of") and of everyday phrasing around the
// thing asked ("based in", "worth", "still sitting in"): understood, so never unknown
const PHRASING =
  `running cumulative cumulatively accumulated growth grow grew grown growing change changed changes
  increase increased decrease decreased rise rose fall fell fallen drop dropped up down percent terms worth based located
  living carry ranked rank ranking seller sellers selling moved shifted sitting coming included including
  hold holds holding held
  marked flagged labelled labeled tagged listed classed classified categorised categorized
  reported answered gave said stated entered recorded logged
  expensive cheap pricey actual actually paying platform standing longest shortest alongside beside along together
  pull fetch retrieve bring brought breakdown overall figure figures stats statistics numbers counts totals tally
  outside inside within exist exists existing available offer offered file files uploaded upload uploads sheet
  spreadsheet csv json document dataset datasets row rows record records entry entries bigger larger greater
  higher smaller lower fewer less exceeding
  minimum maximum stuff gear things kit range whats performing performer performers popular missing lacking add
  blank blanks empty null unset filled nothing column columns field fields data charged`.split(/\s+/);

/** Words that say what kind of name a column holds ("plan tier", "status type"), not a thing of their own. */
const CLASSIFIERS: ReadonlySet<string> = new Set(
  'tier tiers type types kind kinds level band score scores rating ratings'.split(' '),
);

/** What the rows of any table or file are called ("how many rows have ...", "the most entries"). */
export const ROW_WORDS: ReadonlySet<string> = new Set(['rows', 'records', 'entries']);

export const GRAMMAR_WORDS = new Set([
  ...STOP,
  ...CLAUSE_WORDS,
  ...PHRASING,
  ...Object.keys(AGG_WORDS),
  ...DESC_WORDS,
  ...ASC_WORDS,
  'forecast',
  'predict',
]);

export const GRAIN_NOUNS: Record<string, Grain> = {
  day: 'day',
  days: 'day',
  date: 'day',
  dates: 'day',
  week: 'week',
  weeks: 'week',
  month: 'month',
  months: 'month',
  quarter: 'quarter',
  quarters: 'quarter',
  year: 'year',
  years: 'year',
};

export function read(question: string, input: PlannerInput, values: ValueIndex): Reading {
  const view = input.view;
  const { ranges: dates, bounds } = findDates(question, input.now, view.agent.timeZone);
  const grainHit = findGrain(question);
  let masked = question;
  const blank = (start: number, end: number): void => {
    masked = masked.slice(0, start) + ' '.repeat(end - start) + masked.slice(end);
  };
  for (const d of dates) blank(d.start, d.end);
  for (const b of bounds) blank(b.wordStart, b.end);
  if (grainHit) blank(grainHit.start, grainHit.end);
  const lex = lexiconFor(view);
  const tokens = normalise(tokenize(masked), lex, values);
  const words = tokens.map((t) => t.text);
  // two words at i: asked of every word many times over, so it allocates nothing
  const has = (i: number, first: string, second: string): boolean =>
    words[i] === first && words[i + 1] === second;

  const vocabulary = withDateWordsJoined(
    withColumnsOfTheQuestionsTable(
      matchVocabulary(tokens, lex, values, {
        ...(namesNoMeasures(view) ? { fileQuestion: question.toLowerCase() } : {}),
        // "projects completed since April": with a period, a file's date named by its event is what it dates
        ...(namesNoMeasures(view) && (dates.length > 0 || bounds.length > 0 || grainHit)
          ? { datedEvent: (field: string) => isDate(view, field) }
          : {}),
      }),
      view,
    ),
    tokens,
    view,
  );
  const covered = new Set(
    vocabulary.flatMap((m) => Array.from({ length: m.to - m.from }, (_, k) => m.from + k)),
  );
  const matches = withColumnNamedValues(vocabulary, {
    tokens,
    values,
    isFree: (i) =>
      i >= 0 &&
      i < tokens.length &&
      !covered.has(i) &&
      tokens[i]?.num === undefined &&
      !STOP.has(words[i] ?? '') &&
      values.hasWord(words[i] ?? ''),
    labelOf: (table) => {
      const label = labelField(view, table);
      return label && view.field(label).type === 'string' ? label : undefined;
    },
    isText: (field) => view.field(field).type === 'string',
  });
  // "our 3 best sellers": the things sold, when the question names nothing else to rank
  const sold = soldThingTable(view);
  const sellerAt = words.findIndex((w) => w === 'sellers' || w === 'seller');
  if (sold && sellerAt >= 0 && !matches.some((m) => m.target.kind === 'table' && m.target.table === sold)) {
    const at = matches.findIndex((m) => m.from > sellerAt);
    const match: Match = {
      target: { kind: 'table', table: sold },
      from: sellerAt,
      to: sellerAt + 1,
      text: words[sellerAt] ?? '',
    };
    matches.splice(at < 0 ? matches.length : at, 0, match);
  }
  // "who ...?", "spenders", "buyers": people, though no word of the model names them
  const people = personTable(view);
  if (people) {
    for (const [i, w] of words.entries()) {
      const interrogative = w === 'who' && (i === 0 || ['and', 'so', 'then'].includes(words[i - 1] ?? ''));
      const agent = AGENT_NOUNS.has(w) && !matches.some((m) => m.from <= i && m.to > i);
      if (!interrogative && !agent) continue;
      const at = matches.findIndex((m) => m.from > i);
      const match: Match = { target: { kind: 'table', table: people }, from: i, to: i + 1, text: w };
      matches.splice(at < 0 ? matches.length : at, 0, match);
    }
  }
  // "customers who last ordered in October": the date of their latest purchase, where the people's table keeps it
  const latest = people ? lastPurchaseColumn(view, people) : undefined;
  if (latest) {
    for (const [i, w] of words.entries()) {
      if (w !== 'last' || !BUYING.has(words[i + 1] ?? '')) continue;
      if (matches.some((m) => m.from <= i && m.to > i)) continue;
      // ("ordered" alone may name the customers: here it is the date of their last order)
      const verb = matches.findIndex((m) => m.from === i + 1 && m.to === i + 2);
      if (verb >= 0) matches.splice(verb, 1);
      if (matches.some((m) => m.from <= i + 1 && m.to > i + 1)) continue;
      const at = matches.findIndex((m) => m.from > i);
      const match: Match = {
        target: { kind: 'column', field: latest },
        from: i,
        to: i + 2,
        text: `last ${words[i + 1]}`,
      };
      matches.splice(at < 0 ? matches.length : at, 0, match);
    }
  }
  const tokenAt = (offset: number): number => {
    const i = tokens.findIndex((t) => t.start >= offset);
    return i < 0 ? tokens.length : i;
  };
  const dated: DatedPhrase[] = [
    ...dates.map((d) => ({ range: d.range, text: d.text, token: tokenAt(d.end), match: d })),
    ...bounds.map((b) => ({ range: b.range, text: b.text, token: tokenAt(b.end), side: b.side })),
  ].sort((a, b) => a.token - b.token);

  // -- cues
  let countCue = -1;
  const aggCues = new Map<number, Agg>();
  const byCues: number[] = [];
  const negated = new Set<number>();
  const comparisons: Reading['comparisons'] = [];
  let listing = false;
  let recency: Reading['recency'];
  let compare = false;
  let presentation: Presentation = 'auto';
  let whichAt = -1;
  let share = false;
  let running = false;
  let growth = false;
  let alongside = false;
  let money = false;
  let selling = false;
  let when: Reading['when'];
  let future = false;
  let rankWord: { direction: 'asc' | 'desc'; at: number } | undefined;
  for (let i = 0; i < words.length; i += 1) {
    const w = words[i] ?? '';
    if (
      countCue < 0 &&
      (has(i, 'how', 'many') ||
        has(i, 'number', 'of') ||
        has(i, 'count', 'of') ||
        // (not "seat count": a number named by what it counts is that number)
        (w === 'count' &&
          !matches.some(
            (m) => m.to === i && m.target.kind === 'column' && isNumeric(view, m.target.field),
          )) ||
        has(i, 'amount', 'of'))
    ) {
      countCue = i;
    }
    if (Object.hasOwn(AGG_WORDS, w) && !(w === 'total' && has(i, 'total', 'number')))
      aggCues.set(i, AGG_WORDS[w] as Agg);
    // "add up the salaries"
    if (w === 'add' && words[i + 1] === 'up') aggCues.set(i, 'sum');
    if (has(i, 'most', 'expensive')) aggCues.set(i, 'max');
    if (has(i, 'least', 'expensive')) aggCues.set(i, 'min');
    // "more than 395 per unit", "at 5 each": what a number is counted per, not a breakdown
    const perOne =
      tokens[i - 1]?.num !== undefined &&
      (w === 'each' ||
        (w === 'per' && ['unit', 'units', 'piece', 'pieces', 'item'].includes(words[i + 1] ?? '')));
    const byWord =
      !perOne &&
      // "signups divided by visits" divides; it breaks nothing down
      words[i - 1] !== 'divided' &&
      (w === 'by' ||
        w === 'per' ||
        w === 'across' ||
        w === 'every' ||
        (w === 'each' && words[i - 1] !== 'for') ||
        (w === 'for' && (words[i + 1] === 'each' || words[i + 1] === 'every')));
    // "placed by people who ...", "bought by": who did it, not a breakdown
    const before = words.slice(Math.max(0, i - 2), i);
    const people = matches.find(
      (m) =>
        (m.from === i + 1 || (m.from === i + 2 && DETERMINERS.has(words[i + 1] ?? ''))) &&
        (m.target.kind === 'table' || m.target.kind === 'segment'),
    );
    // (money "generated by products" is still a breakdown; "generated by the users who ..." names who)
    const agentive =
      w === 'by' &&
      people !== undefined &&
      (before.some((x) => CREATION.has(x) || ACTIVITY.has(x)) ||
        (before.some((x) => EARNED.has(x)) && ['who', 'that', 'which'].includes(words[people.to] ?? '')));
    // "paid by card", "shipped by courier": a value after a done verb's "by" is the means, not a breakdown
    const instrumental =
      w === 'by' &&
      /^(paid|sent|made|bought|sold|[a-z]{3,}ed)$/.test(words[i - 1] ?? '') &&
      matches.some(
        (m) =>
          m.target.kind === 'value' && (m.from === i + 1 || (m.from === i + 2 && words[i + 1] === 'the')),
      );
    // "total spend across all campaigns": over every row of the table, not a row at a time
    const acrossAt = w === 'across' ? i : words[i - 1] === 'across' ? i - 1 : -1;
    const acrossAll =
      acrossAt >= 0 &&
      ['all', 'every'].includes(words[acrossAt + 1] ?? '') &&
      matches.some((m) => m.from === acrossAt + 2 && m.target.kind === 'table');
    if (
      byWord &&
      !agentive &&
      !instrumental &&
      !acrossAll &&
      !(w === 'by' && (words[i - 1] === 'sort' || words[i - 1] === 'sorted' || words[i - 1] === 'ordered'))
    ) {
      byCues.push(i);
    }
    // "at least 3", "at most 5" compare; they do not rank
    const bound = words[i - 1] === 'at' && (w === 'least' || w === 'most');
    // the first rank word decides, unless a later one carries the count ("best sellers ..., top 5 products")
    const counted = (k: number): boolean => isCount(tokens[k + 1]) || isCount(tokens[k - 1]);
    const free = !rankWord || (!counted(rankWord.at) && rankWord.direction === 'desc' && counted(i));
    // "the most recent orders", "who signed up most recently": an order by time, not a ranking
    const mostRecent = has(i, 'most', 'recent') || has(i, 'most', 'recently');
    if (free && !bound && DESC_WORDS.has(w) && !mostRecent && !has(i, 'most', 'expensive')) {
      rankWord = { direction: 'desc', at: i };
    }
    if (!rankWord && !bound && ASC_WORDS.has(w) && !has(i, 'least', 'expensive'))
      rankWord = { direction: 'asc', at: i };
    // "rank our products by revenue" ("lowest first" turns it round)
    if (!rankWord && (w === 'rank' || w === 'ranking') && i <= 1) {
      const tail = words.slice(i + 1).join(' ');
      rankWord = {
        direction: /\b(lowest|smallest|least|worst|fewest) first\b/.test(tail) ? 'asc' : 'desc',
        at: i,
      };
    }
    if (
      ['show', 'list', 'display', 'see', 'view', 'pull', 'fetch', 'retrieve'].includes(w) ||
      has(i, 'give', 'me') ||
      has(i, 'what', 'are') ||
      has(i, 'which', 'are') ||
      // "is there any product that ...", "are there any customers who ...": show them
      ((has(i, 'is', 'there') || has(i, 'are', 'there')) && ['any', 'some'].includes(words[i + 2] ?? ''))
    ) {
      listing = true;
    }
    if (['latest', 'newest', 'recent'].includes(w) || mostRecent) recency = 'desc';
    // "longest-standing customers", "had an account with us the longest": the earliest to join
    if (['oldest', 'earliest', 'longest'].includes(w)) recency = 'asc';
    if (
      ['vs', 'versus', 'against'].includes(w) ||
      ['compared', 'compare', 'comparison', 'comparing'].includes(w)
    )
      compare = true;
    if (
      [
        'chart',
        'graph',
        'plot',
        'visualise',
        'visualize',
        'visualization',
        'visualisation',
        'trend',
      ].includes(w)
    )
      presentation = 'chart';
    if (w === 'table' && (words[i - 1] === 'a' || words[i - 1] === 'as')) presentation = 'table';
    if (
      ['not', 'never', 'without', 'excluding', 'except', 'non', 'outside'].includes(w) ||
      has(i, 'other', 'than') ||
      w.endsWith("n't") ||
      // typed without the apostrophe: "arent", "hasnt"
      /^(are|is|has|have|was|were|do|does|did)nt$/.test(w)
    ) {
      for (let k = i + 1; k < Math.min(words.length, i + 5); k += 1) negated.add(k);
    }
    if ((w === 'which' || w === 'what' || (w === 'who' && i === 0)) && whichAt < 0) whichAt = i;
    if (['percentage', 'percent', 'share', 'proportion', 'fraction', 'ratio', 'rate'].includes(w))
      share = true;
    if (has(i, 'running', 'total') || ['cumulative', 'cumulatively', 'accumulated'].includes(w))
      running = true;
    if (
      [
        'growth',
        'grow',
        'grew',
        'grown',
        'growing',
        'change',
        'changed',
        'increase',
        'increased',
        'decrease',
        'decreased',
      ].includes(w)
    )
      growth = true;
    if (['alongside', 'beside', 'together'].includes(w) || has(i, 'as', 'well') || has(i, 'along', 'with'))
      alongside = true;
    // "customers spent" is our revenue; "we spent" is an expense the model may not have
    if (
      ['spend', 'spent', 'spending', 'spends', 'spender', 'spenders'].includes(w) &&
      !['we', 'i', 'us'].includes(words[i - 1] ?? '') &&
      words[i - 2] !== 'we'
    ) {
      money = true;
    }
    if (
      w === 'money' ||
      ([
        'make',
        'made',
        'earn',
        'earned',
        'generate',
        'generated',
        'bring',
        'brought',
        'take',
        'took',
        'gross',
        'grossed',
      ].includes(w) &&
        (hasHowMuch(words, i) || mostOfNothing(words, i, matches)))
    ) {
      money = true;
    }
    if (['sell', 'sold', 'selling', 'seller', 'sellers', 'popular'].includes(w) || has(i, 'best', 'seller'))
      selling = true;
    if (w === 'when' || has(i, 'what', 'date') || has(i, 'what', 'day')) {
      const rest = words.slice(i + 1, i + 8);
      if (rest.some((x) => ['first', 'earliest', 'oldest'].includes(x))) when = 'min';
      else if (rest.some((x) => ['last', 'latest', 'recent', 'newest', 'most'].includes(x))) when = 'max';
    }
    if (
      [
        'forecast',
        'forecasts',
        'predict',
        'prediction',
        'predicted',
        'projection',
        'projected',
        'estimate',
        'expect',
        'expected',
        'will',
      ].includes(w)
    ) {
      future = true;
    }
    comparisons.push(...comparisonsAt(words, tokens, i));
  }
  // "customer count", "order counts", "signup numbers": the thing counted comes before the word
  let countSubject: Match | undefined;
  for (const [i, w] of words.entries()) {
    if (!['count', 'counts', 'numbers', 'tally'].includes(w)) continue;
    const before = matches.find(
      (m) => m.to === i && (m.target.kind === 'table' || m.target.kind === 'segment'),
    );
    if (before) {
      countSubject = before;
      if (countCue < 0 || countCue > i) countCue = i;
      break;
    }
  }
  // "of the customers who joined in 2025, how many have ordered": the cue looks back
  if (!countSubject && countCue >= 0 && has(countCue, 'how', 'many')) {
    const next = words[countCue + 2] ?? '';
    // "how many have ...", "how many went on to ...", "how many of them": no thing named right after the cue
    const named = matches.some((m) => m.from === countCue + 2 && m.target.kind !== 'value');
    if (next !== '' && !named) {
      // the topic: the first thing the question names ("accounts that ... never placed an order - how many are there")
      countSubject = matches.find(
        (m) => m.to <= countCue && (m.target.kind === 'table' || m.target.kind === 'segment'),
      );
    }
  }
  if (dates.some((d) => /\bnext\b|\btomorrow\b/i.test(d.text))) future = true;
  if (
    dates.length >= 2 &&
    dates.some(
      (d, k) =>
        k > 0 && /\b(vs|versus|compared|against|and)\b/i.test(question.slice(dates[k - 1]?.end, d.start)),
    )
  ) {
    compare = true;
  }
  // "revenue in the first half of 2025 or the second half": a figure for either period, side by side
  if (
    dates.length === 2 &&
    /^\s*,?\s*or\s*(?:in|during|for)?\s*$/i.test(question.slice(dates[0]?.end, dates[1]?.start))
  ) {
    compare = true;
  }
  // "did we sell more in Q3 or Q2", "were orders higher in May than in June": which of two periods
  const comparative = words.some((w) => COMPARATIVES.has(w));
  if (
    dates.length === 2 &&
    comparative &&
    /^\s*(?:,?\s*or|than)\s*(?:in|during)?\s*$/i.test(question.slice(dates[0]?.end, dates[1]?.start))
  ) {
    compare = true;
  }

  // -- ranking: "top 5", "5 best", "which 3 countries ... fewest", "the most", "best 3 months"
  let topN: Reading['topN'];
  if (rankWord) {
    const near = [rankWord.at + 1, rankWord.at - 1, rankWord.at + 2]
      .map((k) => tokens[k])
      .find((t) => t?.num !== undefined && Number.isInteger(t.num) && (t.num ?? 0) <= 1000);
    const afterWhich = whichAt >= 0 ? tokens[whichAt + 1] : undefined;
    // "the 5 categories that sold the most": the count and the thing ranked come before the rank word
    const lead = near
      ? undefined
      : tokens
          .slice(Math.max(0, rankWord.at - 8), rankWord.at)
          .findIndex((t, k, all) => isCount(t) && all[k + 1]?.num === undefined && k + 1 < all.length);
    const leadAt = lead !== undefined && lead >= 0 ? Math.max(0, rankWord.at - 8) + lead : undefined;
    const n =
      near?.num ??
      (afterWhich?.num !== undefined && Number.isInteger(afterWhich.num)
        ? afterWhich.num
        : leadAt !== undefined
          ? (tokens[leadAt]?.num ?? 0)
          : 0);
    topN = { n, direction: rankWord.direction, at: rankWord.at };
    if (leadAt !== undefined) topN.subjectAt = leadAt + 1;
    else if (near) {
      // "best selling products - top 3 by revenue", "lifetime value per customer, top 10": the ranking said after
      // the thing ranked, with nothing to rank named after it (only the measure it ranks by)
      const at = rankWord.at;
      const after = matches.some(
        (m) => m.from > at && m.from - at <= 4 && m.target.kind !== 'measure' && words[m.from - 1] !== 'by',
      );
      const ranked = [...matches]
        .reverse()
        .find((m) => m.to <= at && m.target.kind !== 'measure' && m.target.kind !== 'value');
      if (!after && ranked) topN.subjectAt = ranked.from;
    }
  } else if (whichAt >= 0 && tokens[whichAt + 1]?.num !== undefined) {
    topN = { n: tokens[whichAt + 1]?.num ?? 0, direction: 'desc', at: whichAt };
  }
  // "top 3 customers by orders": a ranking by rows the ranked things have is by how many of them they have
  if (topN && countCue < 0 && !countSubject) {
    for (const b of byCues) {
      const rows = matches.find((m) => m.from === b + 1 && m.target.kind === 'table');
      const ranked = [...matches]
        .reverse()
        .find((m) => m.to <= b && (m.target.kind === 'table' || m.target.kind === 'segment'));
      if (rows?.target.kind !== 'table' || !ranked || !words[b + 1]?.endsWith('s')) continue;
      if (!owns(view, targetTable(ranked.target), rows.target.table)) continue;
      countSubject = rows;
      countCue = b;
      break;
    }
  }
  let rankGrain: Reading['rankGrain'];
  let byGrain: Grain | undefined;
  for (let i = 0; i < words.length; i += 1) {
    const g = GRAIN_NOUNS[words[i] ?? ''];
    if (!g) continue;
    const near = (anchor: number | undefined): boolean =>
      anchor !== undefined && anchor >= 0 && i > anchor && i - anchor <= 3;
    if (!rankGrain && (near(topN?.at) || near(whichAt))) rankGrain = { grain: g, at: i };
    // "by category and month": a calendar unit listed among the breakdowns
    if (!byGrain && byCues.some((b) => b < i && i - b <= 4) && ['and', ','].includes(words[i - 1] ?? ''))
      byGrain = g;
  }

  const matchedWords = new Set<number>();
  for (const m of matches) for (let k = m.from; k < m.to; k += 1) matchedWords.add(k);
  // "plan tier", "status type": a word that says what kind of name the column before it is
  const classifies = (w: string, i: number): boolean =>
    CLASSIFIERS.has(w) &&
    matches.some((m) => m.to === i && (m.target.kind === 'column' || m.target.kind === 'table'));
  // "detractors (nps 6 or below)": a word the question defines right after it, in brackets, by a comparison read
  // as such ("shortfall (reorder level minus stock qty)" is not defined: nothing here subtracts)
  const defined = (i: number): boolean => {
    const after = tokens[i]?.end ?? 0;
    const open = /^\s*\(/.exec(question.slice(after));
    const close = open ? question.indexOf(')', after) : -1;
    return (
      close > after &&
      comparisons.some((c) => {
        const at = tokens[c.at]?.start ?? -1;
        return at > after && at < close;
      })
    );
  };
  const ratioDefinition = bracketedRatio(question, tokens, matches, view);
  const definesBefore = (i: number): boolean => ratioDefinition !== undefined && i < ratioDefinition.from;
  // "signups divided by visits": one number of a row over another, which the file strategies read as a ratio
  // (only where that strategy reads it: two numbers of one table, in a model without named measures)
  const numberAt = (at: (m: Match) => boolean): string | undefined => {
    const m = matches.find((x) => at(x) && x.target.kind === 'column' && isNumeric(view, x.target.field));
    return m?.target.kind === 'column' ? tableOf(m.target.field) : undefined;
  };
  const divides = (w: string, i: number): boolean => {
    if (w !== 'divided' || words[i + 1] !== 'by' || !namesNoMeasures(view)) return false;
    // (past "the", "total": "divided by the total hours logged")
    let at = i + 2;
    while (['the', 'total', 'our'].includes(words[at] ?? '')) at += 1;
    const over = numberAt((m) => m.to === i);
    return over !== undefined && over === numberAt((m) => m.from === at);
  };
  // "our most loyal customers - the top 5 by number of orders": a word praising the things ranked says no more than
  // the ranking the question spells out (without a number and a "by", "most loyal" would be a guess: still unknown)
  const praisesRanked = (i: number): boolean =>
    words[i - 1] === 'most' &&
    (topN?.n ?? 0) > 0 &&
    byCues.some((b) => b > i) &&
    matches.some((m) => m.from === i + 1 && (m.target.kind === 'table' || m.target.kind === 'segment'));
  const unknownWords = words.filter(
    (w, i) =>
      !matchedWords.has(i) &&
      !praisesRanked(i) &&
      !classifies(w, i) &&
      !divides(w, i) &&
      !defined(i) &&
      !definesBefore(i) &&
      // what "we" did ("refunds did we issue", "orders we processed") is the rows themselves, not a new thing
      words[i - 1] !== 'we' &&
      !GRAMMAR_WORDS.has(w) &&
      !FILLER.has(w) &&
      !GRAIN_NOUNS[w] &&
      tokens[i]?.num === undefined &&
      w.length > 2,
  );
  const unknownMetric = words.find(
    (w, i) => !matchedWords.has(i) && !definesBefore(i) && METRIC_WORDS.has(w),
  );
  return {
    question,
    tokens,
    matches,
    dates,
    dated,
    grain: grainHit?.grain ?? dates.find((d) => d.grain)?.grain ?? byGrain,
    countCue,
    countSubject,
    aggCues,
    byCues,
    topN,
    rankGrain,
    listing,
    recency,
    compare,
    presentation,
    negated,
    comparisons,
    whichAt,
    share,
    running,
    growth,
    alongside,
    money,
    selling,
    when,
    future,
    unknownMetric,
    unknownWords,
    unknownName: unknownName(masked, tokens, matchedWords),
    ...(ratioDefinition ? { ratioDefinition } : {}),
  };
}

/**
 * The first brackets of a question about a file that divide one of its numbers by another ("(spend divided by
 * clicks)", "(signups / visits)"): their tokens, or undefined.
 */
function bracketedRatio(
  question: string,
  tokens: Token[],
  matches: Match[],
  view: ModelView,
): { from: number; to: number } | undefined {
  const open = question.indexOf('(');
  const close = open < 0 ? -1 : question.indexOf(')', open);
  if (close < 0 || !namesNoMeasures(view)) return undefined;
  if (!/\/|÷|\bdivided\s+by\b|\bover\b/i.test(question.slice(open, close))) return undefined;
  const inside = tokens.flatMap((t, i) => (t.start > open && t.end <= close ? [i] : []));
  const from = inside[0];
  const to = inside.at(-1);
  if (from === undefined || to === undefined) return undefined;
  const numbers = matches.filter(
    (m) => m.from >= from && m.to <= to + 1 && m.target.kind === 'column' && isNumeric(view, m.target.field),
  );
  return numbers.length >= 2 ? { from, to: to + 1 } : undefined;
}

/** A small whole number that counts things ("5", "five"), not a year or an amount. */
function isCount(t: Token | undefined): boolean {
  return (
    t?.num !== undefined && Number.isInteger(t.num) && t.num > 0 && t.num <= 100 && !/^[$£€]/.test(t.text)
  );
}

/** "which toy earned us the most": a superlative just after the verb with nothing named after it ranks money. */
function mostOfNothing(words: string[], i: number, matches: Match[]): boolean {
  for (let k = i + 1; k <= i + 3; k += 1) {
    if (words[k] === 'most' || words[k] === 'least')
      return !matches.some((m) => m.from === k + 1 && m.target.kind !== 'value');
  }
  return false;
}

function hasHowMuch(words: string[], i: number): boolean {
  return (
    words
      .slice(Math.max(0, i - 9), i)
      .join(' ')
      .includes('how much') ||
    words[i - 1] === 'we' ||
    words[i - 2] === 'we'
  );
}

/** Abbreviations expanded and misspelt words corrected against the model's own vocabulary. */
function normalise(tokens: Token[], lex: Lexicon, values: ValueIndex): Token[] {
  return tokens.map((t) => {
    // an English word of its own ("went") is not a misspelt value ("West")
    if (
      t.num !== undefined ||
      t.text.length < 4 ||
      GRAMMAR_WORDS.has(t.text) ||
      FILLER.has(t.text) ||
      lex.vocabulary.has(t.text)
    )
      return t;
    if (values.hasWord(t.text)) return t;
    // a word of the language is only another form of a model word ("assigned" of "assignee"), never another word
    // ("filled" is not "billed")
    const english = isEnglishWord(t.text);
    const singular = stem(t.text);
    // "liters" of a "Litres" column: the other side of the Atlantic's spelling, whatever the distance
    const variant = t.text.length >= 5 ? spellingsOf(lex).get(spelling(t.text)) : undefined;
    if (variant !== undefined && variant !== t.text) return { ...t, text: variant, stem: stem(variant) };
    for (const word of lex.vocabulary) if (stem(word) === singular) return t;
    const budget = t.text.length >= 7 ? 2 : 1;
    let best: string | undefined;
    let bestDistance = budget + 1;
    for (const word of lex.vocabulary) {
      if (Math.abs(word.length - t.text.length) > budget) continue;
      if (english && !sameRoot(word, t.text)) continue;
      const d = distance(word, t.text);
      if (d < bestDistance) {
        best = word;
        bestDistance = d;
      }
    }
    if (!best && !english && t.text.length >= 6 && !FILLER.has(t.text)) {
      // "diffrent", "cumulitive": the grammar's own longer words are spelt wrong too
      for (const word of LONG_GRAMMAR_WORDS) {
        if (Math.abs(word.length - t.text.length) > budget) continue;
        const d = distance(word, t.text);
        if (d < bestDistance) {
          best = word;
          bestDistance = d;
        }
      }
    }
    return best ? { ...t, text: best, stem: stem(best) } : t;
  });
}

/** Two forms of one word: all but their last two letters the same ("assigned", "assignee"). */
function sameRoot(a: string, b: string): boolean {
  const root = Math.max(a.length, b.length) - 2;
  return root >= 4 && a.slice(0, root) === b.slice(0, root);
}

const spellingsCache = new WeakMap<Lexicon, Map<string, string>>();

/** A lexicon's words by their spelling() (the first word of each), once per lexicon. */
function spellingsOf(lex: Lexicon): Map<string, string> {
  let out = spellingsCache.get(lex);
  if (!out) {
    out = new Map();
    for (const word of lex.vocabulary) {
      const key = spelling(word);
      if (!out.has(key)) out.set(key, word);
    }
    spellingsCache.set(lex, out);
  }
  return out;
}

/**
 * A word with the spellings American and British English differ in made one: "liters" and "litres", "canceled" and
 * "cancelled", "color" and "colour", "organize" and "organise" are the same; "later" and "latter" are not.
 */
function spelling(word: string): string {
  return (
    word
      // "cancelled", "travelled", "labelled": British English doubles the l, American does not
      .replace(/ll(ed|ing|er|ers)$/, 'l$1')
      .replace(/our/g, 'or')
      .replace(/is(e|es|ed|ing|ation)$/, 'iz$1')
      .replace(/ys(e|es|ed|ing)$/, 'yz$1')
      .replace(/([^aeiou])re(s|d)?$/, '$1er$2')
  );
}

/**
 * "average satisfaction by channel" with two files that have a channel: a column name several tables share is the
 * column of the table the rest of the question is about, when exactly one such table has it.
 */
function withColumnsOfTheQuestionsTable(matches: Match[], view: ModelView): Match[] {
  return matches.map((m) => {
    if (m.target.kind !== 'column') return m;
    const { field } = m.target;
    const own = tableOf(field);
    const others = new Set(matches.filter((o) => o !== m).map((o) => targetTable(o.target)));
    if (others.size === 0 || others.has(own)) return m;
    const column = field.slice(own.length + 1);
    const holders = [...others].filter((t) => view.tables.get(t)?.columns[column] !== undefined);
    return holders.length === 1 ? { ...m, target: { kind: 'column', field: `${holders[0]}.${column}` } } : m;
  });
}

const DATE_WORDS = new Set(['date', 'day', 'time']);

/** verbs of buying that "last" makes the date of the latest purchase ("last ordered", "last bought") */
const BUYING = new Set(['ordered', 'bought', 'purchased', 'shopped']);

/** A date column of the people's table kept as their latest purchase: named, or said to be, "last ..." */
function lastPurchaseColumn(view: ModelView, people: string): string | undefined {
  return keptFor(view, 'last purchase column', () => findLastPurchaseColumn(view, people));
}

function findLastPurchaseColumn(view: ModelView, people: string): string | undefined {
  const columns = view.tables.get(people)?.columns ?? {};
  for (const [name, column] of Object.entries(columns)) {
    const field = `${people}.${name}`;
    if (!isDate(view, field)) continue;
    if (name.startsWith('last_') || column.synonyms.some((s) => s.toLowerCase().startsWith('last ')))
      return field;
  }
  return undefined;
}

/**
 * "last purchase date", "signup day": a date column named without its own "date" takes the word after it, rather
 * than the word naming another column on its own (the demo model's "date" alone is when an order was placed).
 */
function withDateWordsJoined(matches: Match[], tokens: Token[], view: ModelView): Match[] {
  const out: Match[] = [];
  for (let k = 0; k < matches.length; k += 1) {
    const m = matches[k] as Match;
    const next = matches[k + 1];
    const word = tokens[m.to]?.text ?? '';
    if (m.target.kind === 'column' && isDate(view, m.target.field) && DATE_WORDS.has(word)) {
      out.push({ ...m, to: m.to + 1, text: `${m.text} ${word}` });
      // the word's own match, if any, is this column's now
      if (next && next.from === m.to && next.to === m.to + 1) k += 1;
      continue;
    }
    out.push(m);
  }
  return out;
}

// verbs stay out: "shipping" is a word of its own, not a misspelt "shopping"
const LONG_GRAMMAR_WORDS = [...GRAMMAR_WORDS].filter((w) => w.length >= 6 && !CLAUSE_WORDS.has(w));

/**
 * Longest phrase first; a tenant value competes with model phrases of the same length. In a file (`fileQuestion`, the
 * question in lower case), a common word names a column it is a name of, as the file's model spells it ("we spent",
 * "who earned"); in a question with a period (`datedEvent`), a word that names a value and a date names the date.
 */
function matchVocabulary(
  tokens: Token[],
  lex: Lexicon,
  values: ValueIndex,
  file: { fileQuestion?: string; datedEvent?: (field: string) => boolean },
): Match[] {
  const { fileQuestion, datedEvent } = file;
  const words = tokens.map((t) => t.text);
  const matches: Match[] = [];
  // a file's column named by words another file's column also answers to, and those other columns
  const shared = new Map<Match, Target[]>();
  for (let i = 0; i < tokens.length; ) {
    let best: { target: Target; length: number } | undefined;
    const longest = values.longestFrom(words[i] ?? '', tokens[i]?.stem ?? '');
    for (let len = Math.min(values.maxWords + 2, tokens.length - i, longest); len >= 1; len -= 1) {
      const slice = tokens.slice(i, i + len);
      const hits = values.lookup(slice.map((t) => t.text).join(' '), slice.map((t) => t.stem).join(' '));
      const usable = hits.filter(
        (h) =>
          len > 1 ||
          (acceptSingleWordValue(words[i] ?? '', h.field, values) && !verbOfAnother(words[i] ?? '', h.value)),
      );
      if (usable[0]) {
        best = {
          target: { kind: 'value', field: usable[0].field, value: usable[0].value, enumerated: false },
          length: len,
        };
        break;
      }
    }
    const lexHits = lex.at(tokens, i).filter(
      // "opened" is a verb of its own, not a form of the status word "open"
      (h) =>
        !(h.length === 1 && !h.exact && CLAUSE_WORDS.has(words[i] ?? '')) &&
        !(h.length === 1 && h.target.kind === 'value' && verbOfAnother(words[i] ?? '', h.target.value)) &&
        !(h.length === 1 && h.target.kind === 'column' && doerOfEvent(words[i] ?? '', h.target.field)),
    );
    const lexHit = lexHits[0];
    if (
      lexHit &&
      (!best ||
        lexHit.length > best.length ||
        (lexHit.length === best.length && lexHit.target.kind === 'measure'))
    ) {
      best = lexHit;
    }
    // "signup rate" in a file with a signups column and a page "/signup": a column the word names comes before a
    // one-word value the question does not spell as it is stored ("visits to /signup" spells it)
    if (
      fileQuestion !== undefined &&
      best?.target.kind === 'value' &&
      best.length === 1 &&
      !fileQuestion.includes(String(best.target.value).toLowerCase())
    ) {
      best = lexHits.find((h) => h.length === 1 && h.target.kind === 'column') ?? best;
    }
    if (datedEvent && best?.target.kind === 'value' && best.length === 1) {
      best =
        lexHits.find((h) => h.length === 1 && h.target.kind === 'column' && datedEvent(h.target.field)) ??
        best;
    }
    // a common word names only a value spelt as it is ("in" is not the name "Ines"), or a column it is the whole
    // name of (a file's "spend")
    const ownName =
      best?.target.kind === 'column' &&
      (best.target.field.split('.')[1] === words[i] ||
        (fileQuestion !== undefined && best === lexHit && lexHit.identical));
    const spelt = best?.target.kind === 'value' && (best !== lexHit || lexHit.exact);
    const stopOnly = best && best.length === 1 && STOP.has(words[i] ?? '') && !spelt && !ownName;
    if (best && !stopOnly) {
      const match: Match = {
        target: best.target,
        ...(best === lexHit && rivals(lexHits).length > 0 ? { alternatives: rivals(lexHits) } : {}),
        from: i,
        to: i + best.length,
        text: words.slice(i, i + best.length).join(' '),
      };
      matches.push(match);
      // a word two files answer to, as a column of each, or a column of one and a value of another ("students":
      // a student_email column, and a plan called Student): settled by the question's other words
      if (fileQuestion !== undefined && (best.target.kind === 'column' || best.target.kind === 'value')) {
        const chosen = best;
        const own = targetTable(chosen.target);
        const others = lexHits.filter(
          (h) =>
            (h.target.kind === 'column' || h.target.kind === 'value') &&
            h.length === chosen.length &&
            (h.target.kind !== chosen.target.kind || h.exact === lexHit?.exact) &&
            targetTable(h.target) !== own,
        );
        if (others.length > 0)
          shared.set(
            match,
            others.map((h) => h.target),
          );
      }
      i += best.length;
    } else i += 1;
  }
  return fileQuestion === undefined ? matches : settledAcrossFiles(matches, shared);
}

/**
 * Which file a question's words are read in, when its words name columns of several of a user's files. Words two
 * files' columns answer to are read in the file most of the question's other words name (else the first file). A
 * column named by another word than its own name ("revenue" of an invoiced column) is left out when it alone names
 * its file and two or more words name another: "revenue by branch this year (total charged)" is about the branches'
 * file, whatever another file calls revenue.
 */
function settledAcrossFiles(matches: Match[], shared: Map<Match, Target[]>): Match[] {
  const votes = new Map<string, number>();
  for (const m of matches) {
    if (shared.has(m)) continue;
    const table = targetTable(m.target);
    votes.set(table, (votes.get(table) ?? 0) + 1);
  }
  const resolved = matches.map((m) => {
    const others = shared.get(m);
    if (!others) return m;
    const chosen = [m.target, ...others].reduce((a, b) =>
      (votes.get(targetTable(b)) ?? 0) > (votes.get(targetTable(a)) ?? 0) ? b : a,
    );
    return chosen === m.target ? m : { ...m, target: chosen };
  });
  const most = Math.max(0, ...votes.values());
  return resolved.filter((m) => {
    if (m.target.kind !== 'column' || shared.has(m)) return true;
    const own = m.target.field.slice(m.target.field.indexOf('.') + 1).replace(/_/g, ' ');
    const byAnotherName = !own.includes(m.text) && !m.text.includes(own);
    return !(byAnotherName && votes.get(targetTable(m.target)) === 1 && most >= 2);
  });
}

/** Measures named by the same words, just as exactly, as the best match: e.g. "sales" on two tables. */
function rivals(hits: Array<{ target: Target; length: number; exact: boolean }>): Target[] {
  const [best, ...rest] = hits;
  if (best?.target.kind !== 'measure') return [];
  return rest
    .filter((h) => h.target.kind === 'measure' && h.length === best.length && h.exact === best.exact)
    .map((h) => h.target);
}

/** Words that compare with the number after them ("more than 5", "at least 3"). */
export const COMPARISON_WORDS: ReadonlyArray<[string[], 'gt' | 'gte' | 'lt' | 'lte']> = [
  [['more', 'than'], 'gt'],
  [['greater', 'than'], 'gt'],
  [['higher', 'than'], 'gt'],
  [['bigger', 'than'], 'gt'],
  [['larger', 'than'], 'gt'],
  [['over'], 'gt'],
  [['above'], 'gt'],
  [['exceeding'], 'gt'],
  [['at', 'least'], 'gte'],
  [['minimum', 'of'], 'gte'],
  [['less', 'than'], 'lt'],
  [['lower', 'than'], 'lt'],
  [['fewer', 'than'], 'lt'],
  [['cheaper', 'than'], 'lt'],
  [['under'], 'lt'],
  [['below'], 'lt'],
  [['at', 'most'], 'lte'],
  [['up', 'to'], 'lte'],
  [['maximum', 'of'], 'lte'],
];

/** The numeric comparisons that start at token i. */
function comparisonsAt(words: string[], tokens: Token[], i: number): Reading['comparisons'] {
  const numAt = (k: number): number | undefined => tokens[k]?.num;
  // "between 100 and 250", "from 100 to 250"
  if (words[i] === 'between' || (words[i] === 'from' && words[i + 2] === 'to')) {
    const low = numAt(i + 1);
    const high = numAt(i + 3);
    if (low !== undefined && high !== undefined && ['and', 'to'].includes(words[i + 2] ?? '') && low <= high)
      return [
        { op: 'gte', value: low, at: i },
        { op: 'lte', value: high, at: i },
      ];
  }
  // "5 or more", "5 and up", "10 or fewer", "3 plus"
  const n = numAt(i);
  if (n !== undefined && !(words[i - 1] === 'than' || words[i - 2] === 'between')) {
    const next = `${words[i + 1] ?? ''} ${words[i + 2] ?? ''}`;
    if (/^(or|and) (more|above|over|up|higher|greater|later)$/.test(next) || words[i + 1] === 'plus')
      return [{ op: 'gte', value: n, at: i }];
    if (/^(or|and) (less|fewer|below|under|lower)$/.test(next)) return [{ op: 'lte', value: n, at: i }];
  }
  if (words[i] === 'exactly' && numAt(i + 1) !== undefined)
    return [{ op: 'eq', value: numAt(i + 1) as number, at: i }];
  for (const [seq, op] of COMPARISON_WORDS) {
    if (!seq.every((s, k) => words[i + k] === s)) continue;
    const value = numAt(i + seq.length);
    if (value !== undefined) return [{ op, value, at: i }];
  }
  return [];
}

/** A noun of the one who does a deed: "borrowers", "refunders", "donors". */
const DOER = /[a-z](er|ers|or|ors)$/;

/**
 * "reported" is something done, not the value "reporting" its stem shares; "cancelled" is still "Cancelled";
 * "bookings" are not "Books"; "refunders" are not "refunded".
 */
function verbOfAnother(word: string, value: string | number): boolean {
  const v = String(value).toLowerCase();
  if (word.endsWith('ed') && !v.endsWith('ed') && v !== word) return true;
  // "refunders" are people, not the status "refunded" (doerOfEvent)
  if (DOER.test(word) && v.endsWith('ed') && stem(v) === stem(word)) return true;
  // "bookings" are not the category "Books": a value that is a plural noun is named by its own singular only
  // (a participle such as "refunded" is still named by "refunds")
  return (
    /^[a-z]+s$/.test(v) &&
    !v.endsWith('ss') &&
    v !== word &&
    stem(v) === stem(word) &&
    singularOf(v) !== singularOf(word)
  );
}

/**
 * "borrowers" are the people who borrowed, not the day a loan was borrowed_on: a noun of the doer does not name the
 * date column of the deed its stem shares.
 */
function doerOfEvent(word: string, field: string): boolean {
  if (!DOER.test(word)) return false;
  const column = field.slice(field.indexOf('.') + 1);
  // a date by its name ("borrowed_on", "signed_up_at"); "managed_by" is the manager
  if (!/_(on|at|date|time)$/.test(column)) return false;
  return column.split('_').some((w) => w.endsWith('ed') && stem(w) === stem(word));
}

/** A one-word value ("Germany", "Books") counts when its column is small and the word is not everyday English. */
function acceptSingleWordValue(word: string, field: string, values: ValueIndex): boolean {
  if (isCountryCode(word)) return true;
  if (STOP.has(word) || word.length < 3) return false;
  // an email names one thing, however many values its column has
  if (word.includes('@')) return true;
  return values.fieldSize(field) <= 300;
}

/** A capitalised word in mid-sentence that nothing matched, e.g. another company's name. */
function unknownName(text: string, tokens: Token[], matched: Set<number>): string | undefined {
  for (let i = 1; i < tokens.length; i += 1) {
    if (matched.has(i)) continue;
    const t = tokens[i] as Token;
    const original = text.slice(t.start, t.end);
    if (!/^[A-Z][a-z]{2,}/.test(original)) continue;
    if (GRAMMAR_WORDS.has(t.text) || GRAIN_NOUNS[t.text]) continue;
    // month and day names are dates, handled elsewhere
    if (
      /^(january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$/.test(
        t.text,
      )
    )
      continue;
    return original.replace(/['’]s$/, '');
  }
  return undefined;
}

export function targetTable(t: Target): string {
  switch (t.kind) {
    case 'table':
    case 'measure':
    case 'segment':
      return t.table;
    case 'column':
    case 'value':
      return tableOf(t.field);
    default:
      throw new Error(`unknown target ${(t satisfies never as { kind: string }).kind}`);
  }
}
