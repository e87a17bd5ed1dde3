// Follow-ups: "and the month before?", "break that down by category", "only completed ones", "top 3 instead".
// The previous plan of the conversation is the starting point; the new question changes only what it names.
import { describeFilter } from '../../answers/explain.ts';
import { humanise } from '../../answers/format.ts';
import { resolveDateRange } from '../../dates/resolve.ts';
import {
  type DateRange,
  type Dimension,
  type Filter,
  type Measure,
  type QueryPlan,
  tableOf,
} from '../../query/plan.ts';
import type { PlannerInput, PlannerOutcome } from '../types.ts';
import { collectFilters, fieldsOf } from './filters.ts';
import type { Match } from './lexicon.ts';
import { fitMeasure, measureAlias } from './measures.ts';
import { labelField, nearestTimeField, reachableToOne } from './model-helpers.ts';
import { unanswerable } from './outcomes.ts';
import type { Reading } from './reading.ts';

// "ok and ...", "thanks! what about ...": a word that only acknowledges the answer before the follow-up opens
const ACKNOWLEDGED =
  /^\s*(?:(?:ok(?:ay)?|cool|great|thanks|thank you|hmm+|right|alright|nice|perfect|got it|so|well|yes|yeah|yep|sure|good|interesting)\b[\s,.!:;-]*)*/i;
const FOLLOW_UP_OPENER =
  /^(and|what about|how about|what of|same|only|just|now|then|also|but|break|split|group|as a|show (it|that|this|them) as|make it|instead|the (day|week|month|quarter|year) before|previous|prior|vs|versus|compared|excluding|without|plus)\b/i;
/** The question opens as a continuation of the previous one, once any acknowledgement is set aside. */
const opensFollowUp = (question: string): boolean =>
  FOLLOW_UP_OPENER.test(question.replace(ACKNOWLEDGED, ''));
export const SHIFT =
  /\b(?:the\s+)?(day|week|month|quarter|year)\s+(?:before|prior)\b|\b(?:previous|prior)\s+(?:one|period)\b|\bbefore\s+that\b|\bthe\s+one\s+before\b/i;

const BACK_REFERENCE = /\b(them|those|these|that|it|ones|they|their)\b/i;
// "those", "them", "these" point back even beside a named subject ("what was the revenue from those?"), unless they
// open a clause of their own ("revenue from those who joined this year")
const POINTS_BACK = /\b(them|those|these)\b(?!\s+(who|whom|whose|that|which|where|with|without)\b)/i;

/**
 * The question's verb names its measure without a word of the model: "how much did we make" (money), "did we sell
 * more in Q3 or Q2" (sales), "how much did we sell" (units).
 */
export function impliesMeasure(r: Reading): boolean {
  return r.money || r.selling;
}

/**
 * Whether the question continues the previous one (and keeps its filters) rather than asking afresh. It does when
 * it opens as a continuation ("and ...", "what about ...", "same for ...", "only ..."), shifts the previous period,
 * or points back at what was asked ("how many of them", "did those bring in more money"), or when it names nothing
 * to measure at all ("in Japan?", "by month"). A question that names its own measure, in a model word or by its verb
 * ("did we sell more in Q3 or Q2"), and does none of that is a question of its own.
 */
export function isFollowUp(r: Reading, question: string): boolean {
  const namesSubject = r.matches.some(
    (m) => m.target.kind === 'measure' || m.target.kind === 'table' || m.target.kind === 'segment',
  );
  // "revenue last month vs the month before" names its own subject: a comparison, not a follow-up
  if (SHIFT.test(question) && namesSubject && r.dates.length > 0 && !opensFollowUp(question)) return false;
  if (opensFollowUp(question) || SHIFT.test(question) || /\binstead\b/i.test(question)) return true;
  // "of those, how many were refunded?", "the average order value for them": the previous rows, measured anew
  if (pointsBack(r, question)) return true;
  // "how many of them are in Canada": a count of what was asked about before; "did those sell better": its sales
  if ((r.countCue >= 0 || impliesMeasure(r)) && !namesSubject && BACK_REFERENCE.test(question)) return true;
  return !namesSubject && !impliesMeasure(r) && r.countCue < 0 && !r.unknownMetric && !r.when;
}

/**
 * "those", "them", "these" with nothing named before them to point at: "the customers who ordered yesterday - when
 * did each of them join" points within the question, "of those, how many were refunded" at the previous one.
 */
function pointsBack(r: Reading, question: string): boolean {
  const pronoun = POINTS_BACK.exec(question);
  if (!pronoun) return false;
  return !r.matches.some(
    (m) =>
      (m.target.kind === 'table' || m.target.kind === 'segment') &&
      (r.tokens[m.from]?.start ?? question.length) < pronoun.index,
  );
}

export function applyFollowUp(
  previous: QueryPlan,
  r: Reading,
  input: PlannerInput,
  question: string,
  /** the plan of the question read on its own, when its verb names a measure ("how much did they spend") */
  implied?: QueryPlan,
): PlannerOutcome {
  const view = input.view;
  const notes: string[] = [
    input.history.at(-1)?.plan === previous
      ? 'read as a follow-up to the previous question'
      : 'read as a follow-up to the last question that was answered',
  ];
  let plan: QueryPlan = structuredClone(previous);

  // a new measure or subject replaces the old one; dimensions and filters stay where they still fit
  const measureMatch = r.matches.find((m) => m.target.kind === 'measure');
  const subject = r.matches.find(
    (m) => (m.target.kind === 'table' || m.target.kind === 'segment') && r.countCue >= 0,
  );
  if (measureMatch && measureMatch.target.kind === 'measure') {
    const named: Measure = {
      kind: 'named',
      name: `${measureMatch.target.table}.${measureMatch.target.name}`,
    };
    // "and the top 5 by revenue?" after the top products: the revenue that is counted per product
    const fitted = fitMeasure(
      view,
      measureMatch.target.table,
      [named],
      plan.dimensions.map((d) => d.field),
    );
    if (fitted) notes.push(fitted.note);
    plan = rebase(plan, fitted?.table ?? measureMatch.target.table, [fitted?.measure ?? named], input);
  } else if (subject && (subject.target.kind === 'table' || subject.target.kind === 'segment')) {
    plan = rebase(plan, subject.target.table, [{ kind: 'count' }], input);
    if (subject.target.kind === 'segment') {
      plan.filters.push({ op: 'segment', segment: `${subject.target.table}.${subject.target.name}` });
    }
  }
  // "and how much did they spend?": the measure its verb names, over what the previous question was about
  const byVerb =
    !measureMatch && !subject && implied?.measures.length === 1 ? implied.measures[0] : undefined;
  if (implied && byVerb?.kind === 'named') plan = rebase(plan, implied.table, [byVerb], input);
  const namesSubject = measureMatch !== undefined || subject !== undefined || byVerb?.kind === 'named';
  if (!namesSubject && r.countCue >= 0 && !plan.measures.every((m) => m.kind === 'count')) {
    plan = { ...plan, measures: [{ kind: 'count' }], order: [], limit: undefined, select: [] };
  }
  if (r.unknownMetric && !measureMatch) {
    return unanswerable(view, `I can't find anything about "${r.unknownMetric}" in this data.`);
  }

  // a condition on related rows carries the previous question's date and count ("products with no order this
  // month" / "and last month?"; "customers with more than 2 orders" / "and more than 5?"): the follow-up edits them
  const retargeted = retargetRelated(plan, r);
  if (retargeted) {
    plan = retargeted;
    notes.push('changed the condition of the previous question');
    return { kind: 'plan', plan, presentation: r.presentation, notes };
  }

  // dates: shift the previous period, or take the new one
  const shift = SHIFT.exec(question);
  const timeField = plan.time?.field ?? nearestTimeField(view, plan.table);
  if (shift && plan.time?.range && r.compare) {
    // "how does that compare to the quarter before": both periods side by side
    plan.time = {
      field: plan.time.field,
      grain: plan.time.grain,
      compare: [
        { label: periodLabel(plan.time.range, input), range: plan.time.range },
        {
          label: periodLabel(shiftRange(plan.time.range, input), input),
          range: shiftRange(plan.time.range, input),
        },
      ],
    };
  } else if (shift && plan.time?.range) {
    plan.time = { ...plan.time, range: shiftRange(plan.time.range, input) };
  } else if (r.dates.length > 0 && timeField) {
    const explicitShift =
      r.dates[0] && /^(previous|prior)\b/i.test(r.dates[0].text.trim()) && plan.time?.range;
    if (explicitShift && plan.time?.range)
      plan.time = { ...plan.time, range: shiftRange(plan.time.range, input) };
    else if (r.dates.length >= 2 && r.compare) {
      plan.time = {
        field: timeField,
        grain: plan.time?.grain,
        compare: r.dates.slice(0, 6).map((d) => ({ label: d.text.trim().slice(0, 64), range: d.range })),
      };
    } else if (r.compare && r.dates[0] && plan.time?.range) {
      // "compared to last year": the previous period against the new one
      plan.time = {
        field: timeField,
        grain: plan.time.grain,
        compare: [
          { label: periodLabel(plan.time.range, input), range: plan.time.range },
          { label: r.dates[0].text.trim().slice(0, 64), range: r.dates[0].range },
        ],
      };
    } else if (r.dates[0]) {
      plan.time = { field: timeField, grain: plan.time?.grain, range: r.dates[0].range };
    }
  }
  if (r.grain && timeField) plan.time = { ...(plan.time ?? { field: timeField }), grain: r.grain };
  if (plan.time && !plan.time.range && !plan.time.compare && !plan.time.grain) plan.time = undefined;

  // dimensions: "break that down by X", "by country instead"
  const used = new Set<Match>();
  const newDims: Dimension[] = [];
  for (const m of r.matches) {
    const afterBy = r.byCues.some((b) => b < m.from && m.from - b <= 3);
    if (!afterBy) continue;
    const field =
      m.target.kind === 'column'
        ? m.target.field
        : m.target.kind === 'table' || m.target.kind === 'segment'
          ? labelField(view, m.target.table)
          : undefined;
    if (field && !newDims.some((d) => d.field === field)) {
      newDims.push({ field });
      used.add(m);
    }
  }
  if (newDims.length > 0) {
    plan.dimensions = /\binstead\b/i.test(question) ? newDims : [...plan.dimensions, ...newDims].slice(0, 5);
    plan.select = [];
  }

  // filters: a value on a column already filtered replaces it ("what about France?"), otherwise it narrows
  const added = collectFilters(r, view, plan.table, used, notes);
  for (const f of added) {
    const fields = fieldsOf(f);
    plan.filters = plan.filters.filter((old) => !fieldsOf(old).some((x) => fields.includes(x)));
    plan.filters.push(f);
  }
  for (const m of r.matches) {
    if (m.target.kind === 'segment' && !used.has(m) && m !== subject) {
      const seg: Filter = { op: 'segment', segment: `${m.target.table}.${m.target.name}` };
      if (!plan.filters.some((f) => JSON.stringify(f) === JSON.stringify(seg))) plan.filters.push(seg);
    }
  }

  // ranking: "top 3 instead", "bottom 5"
  if (r.topN) {
    const first = plan.measures[0];
    if (first) {
      plan.order = [{ by: measureAlias(first, view), direction: r.topN.direction }];
      if (r.topN.n) plan.limit = r.topN.n;
    } else if (plan.select.length > 0 && r.topN.n) plan.limit = r.topN.n;
  }

  // a breakdown on the many side needs the measure that lives there ("and by category?" after revenue)
  const fitted = fitMeasure(view, plan.table, plan.measures, [
    ...plan.dimensions.map((d) => d.field),
    ...plan.filters.flatMap(fieldsOf),
  ]);
  if (fitted) {
    const oldAlias = plan.measures[0] ? measureAlias(plan.measures[0], view) : undefined;
    const newAlias = measureAlias(fitted.measure, view);
    plan = {
      ...plan,
      table: fitted.table,
      measures: [fitted.measure],
      order: plan.order.map((o) => (o.by === oldAlias ? { ...o, by: newAlias } : o)),
      time: plan.time
        ? { ...plan.time, field: nearestTimeField(view, fitted.table) ?? plan.time.field }
        : undefined,
    };
    notes.push(fitted.note);
  }
  const kept = keptFilters(previous, plan, added, input);
  if (kept) notes.push(kept);
  return { kind: 'plan', plan, presentation: r.presentation === 'auto' ? 'auto' : r.presentation, notes };
}

/**
 * "kept from your previous question: status is cancelled": the filters the follow-up did not name but still has,
 * so an answer never narrows silently by what an earlier question asked. When the turns since were not answered
 * (a refusal), the question continued is quoted: "the previous question" would be the refused one.
 */
function keptFilters(
  previous: QueryPlan,
  plan: QueryPlan,
  named: readonly Filter[],
  input: PlannerInput,
): string | undefined {
  const same = (a: Filter) => (b: Filter) => JSON.stringify(a) === JSON.stringify(b);
  const kept = previous.filters.filter(
    (f) => f.op !== 'dateRange' && plan.filters.some(same(f)) && !named.some(same(f)),
  );
  if (kept.length === 0) return undefined;
  const ctx = {
    base: plan.table,
    tableLabel: humanise,
    timeZone: input.view.agent.timeZone,
    ranges: new Map(),
  };
  const words = kept.map((f) => describeFilter(f, ctx, 'message')).join('; ');
  if (input.history.at(-1)?.plan === previous) return `kept from your previous question: ${words}`;
  const asked =
    [...input.history]
      .reverse()
      .find((t) => t.plan === previous)
      ?.question.trim() ?? '';
  const quoted = asked.length > 80 ? `${asked.slice(0, 79)}…` : asked;
  return quoted
    ? `kept from your earlier question "${quoted}": ${words}`
    : `kept from an earlier question: ${words}`;
}

/** Moves a plan to another base table, keeping the dimensions and filters that the new base can still reach. */
function rebase(plan: QueryPlan, table: string, measures: Measure[], input: PlannerInput): QueryPlan {
  const view = input.view;
  const fits = (field: string): boolean => {
    try {
      view.path(table, tableOf(field));
      return true;
    } catch {
      return false;
    }
  };
  const time = plan.time && reachableToOne(view, table, tableOf(plan.time.field)) ? plan.time : undefined;
  const newTimeField = nearestTimeField(view, table);
  return {
    ...plan,
    table,
    measures,
    select: [],
    dimensions: plan.dimensions.filter((d) => reachableToOne(view, table, tableOf(d.field))),
    filters: plan.filters.filter(
      (f) => fieldsOf(f).every(fits) && !(f.op === 'segment' && !fits(`${f.segment.split('.')[0]}.x`)),
    ),
    time: time ?? (plan.time && newTimeField ? { ...plan.time, field: newTimeField } : undefined),
    // a ranking stays a ranking by the new measure ("now by units sold")
    order:
      plan.order.length > 0 && measures[0]
        ? [{ by: measureAlias(measures[0], view), direction: plan.order[0]?.direction ?? 'desc' }]
        : [],
    limit: plan.order.length > 0 ? plan.limit : undefined,
  };
}

/** A short name for a period in a comparison: "Q3 2026", "October 2026", "2025". */
function periodLabel(range: DateRange, input: PlannerInput): string {
  const label = resolveDateRange(range, input.now, input.view.agent.timeZone).label;
  // "last quarter (Q3 2026)" -> "Q3 2026": the dates say more than the words once the question has moved on
  return (/\(([^)]+)\)\s*$/.exec(label)?.[1] ?? label).slice(0, 64);
}

/** The same length of time, just before: last month -> the month before it. */
export function shiftRange(range: DateRange, input: PlannerInput): DateRange {
  const resolved = resolveDateRange(range, input.now, input.view.agent.timeZone);
  const unit = unitOf(range);
  const start = resolved.start.minus({ [`${unit}s`]: 1 });
  switch (unit) {
    case 'year':
      return { kind: 'period', period: { year: start.year } };
    case 'quarter':
      return { kind: 'period', period: { year: start.year, quarter: Math.ceil(start.month / 3) } };
    case 'month':
      return { kind: 'period', period: { year: start.year, month: start.month } };
    default: {
      const span = resolved.end.diff(resolved.start, 'days').days;
      const from = resolved.start.minus({ days: Math.max(1, Math.round(span)) });
      return {
        kind: 'between',
        from: from.toISODate() ?? '',
        to: resolved.start.minus({ days: 1 }).toISODate() ?? '',
      };
    }
  }
}

function unitOf(range: DateRange): 'day' | 'week' | 'month' | 'quarter' | 'year' {
  switch (range.kind) {
    case 'current':
    case 'last':
      return range.kind === 'last' && range.n > 1 ? 'day' : range.unit;
    case 'period':
    case 'since':
      if (range.period.day !== undefined) return 'day';
      if (range.period.month !== undefined) return 'month';
      if (range.period.quarter !== undefined) return 'quarter';
      return 'year';
    case 'between':
      return 'day';
    default:
      return 'day';
  }
}

/**
 * The previous plan with its related-row condition moved to the follow-up's date or count, when the follow-up
 * says nothing else (no new measure, subject, value or breakdown) and the plan has no date of its own.
 */
function retargetRelated(plan: QueryPlan, r: Reading): QueryPlan | undefined {
  const newDate = r.dates[0];
  const newCount = r.comparisons[0];
  if ((!newDate && !newCount) || r.dates.length > 1 || plan.time?.range || plan.time?.compare)
    return undefined;
  if (r.matches.some((m) => m.target.kind !== 'table' || r.byCues.length > 0)) return undefined;
  let changed = false;
  const edit = (f: Filter): Filter => {
    switch (f.op) {
      case 'and':
      case 'or':
        return { ...f, filters: f.filters.map(edit) };
      case 'not':
        return { ...f, filter: edit(f.filter) };
      case 'related': {
        let next: Filter = f;
        if (newDate && f.filter && hasDate(f.filter)) {
          next = { ...next, filter: redate(f.filter, newDate.range) } as Filter;
          changed = true;
        }
        if (newCount && f.count) {
          next = { ...next, count: { ...f.count, op: newCount.op, value: newCount.value } } as Filter;
          changed = true;
        }
        return next;
      }
      default:
        return f;
    }
  };
  const filters = plan.filters.map(edit);
  return changed ? { ...plan, filters } : undefined;
}

function hasDate(f: Filter): boolean {
  if (f.op === 'dateRange') return true;
  if (f.op === 'and' || f.op === 'or') return f.filters.some(hasDate);
  if (f.op === 'not') return hasDate(f.filter);
  return false;
}

function redate(f: Filter, range: DateRange): Filter {
  if (f.op === 'dateRange') return { ...f, range };
  if (f.op === 'and' || f.op === 'or') return { ...f, filters: f.filters.map((x) => redate(x, range)) };
  if (f.op === 'not') return { ...f, filter: redate(f.filter, range) };
  return f;
}
