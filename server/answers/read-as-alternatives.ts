// The other readings a "Read as" chip offers: other measures the words could mean, the whole table for a segment
// ("users" for "customers"), another date for the period (when the rows were created, or when their related rows
// happened), the year before for a month named without one, another calendar grain. Each alternative is a
// question written here and asked of the embedded planner in the conversation as it will be when the user clicks;
// it is kept only when its plan differs from the answer's in exactly that one way, so a click never leads to a
// refusal or to the same answer again.
import { resolveDateRange, resolvePeriod, zonedNow } from '../dates/resolve.ts';
import { replaceWords } from '../planner/rules/outcomes.ts';
import type { Planner, PlannerInput, Presentation, WordUse } from '../planner/types.ts';
import { type DateRange, type Filter, type Grain, parseFieldRef, type QueryPlan } from '../query/plan.ts';
import type { ModelView } from '../semantic/model-view.ts';
import { dateFieldWords } from './explain.ts';
import { capitalise, humanise, lowerFirst, singular } from './format.ts';
import { modelWords } from './model-words.ts';
import type { ReadAsAlternative, ReadAsChip } from './read-as.ts';

/** At most this many alternatives per chip. */
const MAX_PER_CHIP = 4;

export interface AlternativesInput {
  question: string;
  plan: QueryPlan;
  presentation: Presentation;
  words: WordUse;
  planner: Planner;
  /** the planner's input for the question that was answered (history before it) */
  input: Omit<PlannerInput, 'question' | 'onDelta'>;
}

interface Candidate {
  label: string;
  question: string;
  /** the plan that reading must give: the answer's plan with one thing changed */
  expected: QueryPlan;
}

/** The alternatives the embedded planner really answers, per kind of chip. */
export interface FoundAlternatives {
  /** per measure of the plan, in its order */
  measures: ReadAsAlternative[][];
  /** per segment filter, by segment name */
  segments: Map<string, ReadAsAlternative[]>;
  period: ReadAsAlternative[];
  grain: ReadAsAlternative[];
}

/**
 * The alternatives of every kind the plan has, from the plan alone: the engine finds them while the answer's query
 * runs (its rows change none of them), then hangs them on the chips the answer has (attachAlternatives).
 */
export async function findAlternatives(a: AlternativesInput): Promise<FoundAlternatives> {
  const { plan } = a;
  const measures: ReadAsAlternative[][] = [];
  for (const [i, m] of plan.measures.entries()) measures.push(await kept(measureCandidates(a, m, i), a));
  const segments = new Map<string, ReadAsAlternative[]>();
  for (const f of plan.filters)
    if (f.op === 'segment' && !segments.has(f.segment))
      segments.set(f.segment, await kept(segmentCandidates(a, f.segment), a));
  const period = await kept([...dateCandidates(a), ...yearCandidates(a)], a);
  const grain = await kept(grainCandidates(a), a);
  return { measures, segments, period, grain };
}

/** The chips with what `findAlternatives` found for them; chips without any are returned as they were. */
export function attachAlternatives(
  chips: ReadAsChip[],
  plan: QueryPlan,
  found: FoundAlternatives,
): ReadAsChip[] {
  const out = chips.map((c) => ({ ...c }));
  const measureChips = out.filter((c) => c.kind === 'measure');
  for (const [i, alternatives] of found.measures.entries()) {
    const chip = measureChips[i];
    if (chip) chip.alternatives = alternatives;
  }
  // one chip per filter that is not a date range, in the plan's order (read-as.ts)
  const filterChips = out.filter((c) => c.kind === 'filter');
  for (const [k, f] of plan.filters.filter((x) => x.op !== 'dateRange').entries()) {
    const chip = filterChips[k];
    if (chip && f.op === 'segment') chip.alternatives = found.segments.get(f.segment);
  }
  const period = out.find((c) => c.kind === 'period');
  if (period) period.alternatives = found.period;
  const grain = plan.time?.grain;
  const grouping = out.find((c) => c.kind === 'grouping' && grain && c.text === capitalise(`by ${grain}`));
  if (grouping) grouping.alternatives = found.grain;
  return out.map(({ alternatives, ...c }) => (alternatives?.length ? { ...c, alternatives } : c));
}

/** The candidates whose question the planner reads exactly as expected, in order, at most MAX_PER_CHIP. */
async function kept(candidates: Candidate[], a: AlternativesInput): Promise<ReadAsAlternative[]> {
  const out: ReadAsAlternative[] = [];
  const seen = new Set([a.question.trim().toLowerCase()]);
  // the conversation as it is when the user clicks: this answer is its last turn
  const history = [...a.input.history, { question: a.question, plan: a.plan, presentation: a.presentation }];
  for (const c of candidates) {
    if (out.length >= MAX_PER_CHIP || a.input.signal?.aborted) break;
    if (seen.has(c.question.trim().toLowerCase())) continue;
    seen.add(c.question.trim().toLowerCase());
    const outcome = await a.planner.plan({ ...a.input, question: c.question, history, planOnly: true });
    if (outcome.kind === 'plan' && canonical(outcome.plan) === canonical(c.expected))
      out.push({ label: c.label, question: c.question });
  }
  return out;
}

/** Another measure the same words could mean: the words replaced by its name, everything else the same. */
function measureCandidates(
  a: AlternativesInput,
  m: QueryPlan['measures'][number],
  index: number,
): Candidate[] {
  const json = JSON.stringify(m);
  const named = a.words.measures.find((w) => json.includes(`"${w.measure}"`));
  if (!named) return [];
  return named.rivals.flatMap((rival) => {
    const name = humanise(rival.slice(rival.indexOf('.') + 1));
    const question = replaceWords(a.question, named.words, name);
    if (question === a.question || question.endsWith(`(${name})`)) return [];
    const swapped = JSON.parse(
      json.replace(`"${named.measure}"`, `"${rival}"`),
    ) as QueryPlan['measures'][number];
    const measures = a.plan.measures.map((x, k) => (k === index ? swapped : x));
    const table = rival.slice(0, rival.indexOf('.'));
    return [{ label: capitalise(name), question, expected: { ...a.plan, table, measures } }];
  });
}

/** A segment named by its words ("customers": users who have ordered) read as the whole table instead ("users"). */
function segmentCandidates(a: AlternativesInput, segment: string): Candidate[] {
  const named = a.words.tables.find((t) => t.segment === segment);
  // only about the segment's own rows: the customers behind revenue are the users who ordered, segment or not
  if (!named || named.table !== a.plan.table) return [];
  const noun = humanise(named.table);
  const question = replaceWords(a.question, named.words, noun);
  if (question === a.question || question.endsWith(`(${noun})`)) return [];
  const filters = a.plan.filters.filter((f) => !(f.op === 'segment' && f.segment === segment));
  return [{ label: capitalise(`all ${noun}`), question, expected: { ...a.plan, filters } }];
}

/** The period applied to the dates of related rows ("users with orders last month") instead of the rows' own. */
function dateCandidates(a: AlternativesInput): Candidate[] {
  const { plan } = a;
  const view = a.input.view;
  const time = plan.time;
  const base = view.tables.get(plan.table);
  if (!time?.range || time.grain || time.compare || !base?.timeColumn) return [];
  if (time.field !== `${plan.table}.${base.timeColumn}`) return [];
  const words = a.words.tables.find((t) => t.table === plan.table)?.words;
  if (!words) return [];
  const out: Candidate[] = [];
  for (const rel of Object.values(base.relations)) {
    const related = view.tables.get(rel.table);
    if (rel.kind !== 'one-to-many' || !related?.timeColumn || related.access !== 'queryable') continue;
    const noun = humanise(rel.table);
    const question = replaceWords(a.question, words, `${words} with ${noun}`);
    if (question.endsWith(`(${words} with ${noun})`)) continue;
    const { time: _own, ...rest } = plan;
    const field = `${rel.table}.${related.timeColumn}`;
    out.push({
      label: dateLabel(view, field),
      question,
      expected: {
        ...rest,
        filters: [
          ...plan.filters,
          { op: 'related', table: rel.table, filter: { op: 'dateRange', field, range: time.range } },
        ],
      },
    });
  }
  return out;
}

/** "Dated by when the order was placed": what a date column records, from the model (explain.ts dateFieldWords). */
export function dateLabel(view: ModelView, field: string): string {
  const description = view.field(field).description?.replace(/\.$/, '');
  if (description && /^when\b/i.test(description)) return `Dated by ${lowerFirst(description)}`;
  const { table } = parseFieldRef(field);
  const one = singular(humanise(table));
  const words = dateFieldWords(field, { base: table, tableLabel: humanise, ...modelWords(view) });
  return words.verb ? `Dated by when the ${one} was ${words.verb}` : `Dated by the ${one} ${words.noun}`;
}

/**
 * A month or quarter named without a year is the latest one that has started ("in December" in November 2026 is
 * December 2025); the one a year before is offered, written with its year.
 */
function yearCandidates(a: AlternativesInput): Candidate[] {
  const { plan } = a;
  if (a.words.dates.length !== 1) return [];
  const text = a.words.dates[0] as string;
  const bare = (r: DateRange | undefined): boolean =>
    (r?.kind === 'period' || r?.kind === 'since') && r.period.year === undefined;
  const filterAt = plan.filters.findIndex((f) => f.op === 'dateRange' && bare(f.range));
  const range = bare(plan.time?.range)
    ? plan.time?.range
    : (plan.filters[filterAt] as { range?: DateRange })?.range;
  if (!range || (range.kind !== 'period' && range.kind !== 'since')) return [];
  const now = zonedNow(a.input.now, a.input.view.agent.timeZone);
  const year = resolvePeriod(range.period, now).start.year - 1;
  const earlier: DateRange = { ...range, period: { ...range.period, year } };
  const question = replaceWords(a.question, text, `${text} ${year}`);
  if (question.endsWith(`(${text} ${year})`)) return [];
  const expected: QueryPlan =
    plan.time?.range === range
      ? { ...plan, time: { ...plan.time, range: earlier } }
      : {
          ...plan,
          filters: plan.filters.map(
            (f, i): Filter => (i === filterAt ? ({ ...f, range: earlier } as Filter) : f),
          ),
        };
  const label = resolvePeriod({ ...range.period, year }, now).label;
  return [{ label: range.kind === 'since' ? `Since ${label}` : capitalise(label), question, expected }];
}

const GRAINS: readonly Grain[] = ['day', 'week', 'month', 'quarter', 'year'];
const UNIT_DAYS: Record<Grain, number> = { day: 1, week: 7, month: 31, quarter: 92, year: 366 };

function spanDays(range: DateRange, now: Date, timeZone: string): number {
  const { start, end } = resolveDateRange(range, now, timeZone);
  return end.diff(start, 'days').days;
}

const ADVERBS: Record<Grain, string> = {
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
  quarter: 'quarterly',
  year: 'yearly',
};

/** Another calendar unit for a breakdown over time: "by month" asked "by week", "by quarter", ... */
function grainCandidates(a: AlternativesInput): Candidate[] {
  const time = a.plan.time;
  const grain = time?.grain;
  if (!time || !grain) return [];
  const phrase = new RegExp(`\\b(by|per|each|every)\\s+${grain}\\b|\\b${ADVERBS[grain]}\\b`, 'i');
  const hit = phrase.exec(a.question);
  if (!hit) return [];
  // a unit is offered when the period holds more than one of it, and days only over a few months
  const days = time.range ? spanDays(time.range, a.input.now, a.input.view.agent.timeZone) : Infinity;
  const fits = (g: Grain): boolean => days > UNIT_DAYS[g] && (g !== 'day' || days <= 92);
  return GRAINS.filter((g) => g !== grain && fits(g)).map((g) => {
    const by = hit[1] ? `${hit[1]} ${g}` : ADVERBS[g];
    return {
      label: capitalise(`by ${g}`),
      question: a.question.replace(phrase, by),
      expected: { ...a.plan, time: { ...time, grain: g } },
    };
  });
}

/** A plan as text with its keys and filters sorted and output names left out, so plans compare by what they ask. */
function canonical(plan: QueryPlan): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([k]) => k !== 'as')
        .sort(([x], [y]) => x.localeCompare(y));
      return Object.fromEntries(entries.map(([k, x]) => [k, sort(x)]));
    }
    return v;
  };
  const { order, filters, ...rest } = plan;
  // filters all apply together, in any order; an ordering names its measure by alias
  const anded = filters.map((f) => JSON.stringify(sort(f))).sort();
  return JSON.stringify(sort({ ...rest, filters: anded, order: order.map((o) => o.direction) }));
}
