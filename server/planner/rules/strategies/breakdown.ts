// The last strategy: the plan of a measured question, with its breakdowns, filters, share, time slot and ranking.
import { type Dimension, type Filter, type QueryPlan, tableOf } from '../../../query/plan.ts';
import type { PlannerOutcome } from '../../types.ts';
import {
  type Assembly,
  afterBy,
  cleanLabel,
  comparedLabel,
  countedMatch,
  isPluralAt,
  isPluralDimension,
  withSharedYear,
} from '../assembly.ts';
import {
  collectFilters,
  fieldsOf,
  namedDateField,
  saysEventHappened,
  segmentFilters,
  valueComparisonField,
  yesNoOf,
} from '../filters.ts';
import { SHIFT, shiftRange } from '../followups.ts';
import type { Match } from '../lexicon.ts';
import { averagePer, describeMeasure, fitMeasure, measureAlias, withFilter } from '../measures.ts';
import {
  entityDimensions,
  isNumeric,
  labelField,
  namesNoMeasures,
  nearestTimeField,
  reachableToOne,
} from '../model-helpers.ts';
import { planOutcome, unanswerable } from '../outcomes.ts';
import { targetTable } from '../reading.ts';
import { filterAt, predicateStart, shareCue } from '../share.ts';

/**
 * The plan of a measured question: averages per thing, breakdowns, filters, the measure that fits them, shares,
 * the time slot, and the order and limit of a ranking.
 */
export function breakdown(a: Assembly): PlannerOutcome {
  const { r, view, notes, used, measures } = a;
  let base = a.base as string;
  let rankingMeasure = a.rankingMeasure;
  const averaged = averagePer(r, view, base, measures, used);
  if (averaged) {
    // what the replaced measure's words were read as no longer holds
    if (averaged.kind === 'ratio' && averaged.numerator.kind === 'count' && measures[0]?.kind === 'named')
      notes.length = 0;
    measures.splice(0, measures.length, averaged);
  }

  // ---- dimensions -------------------------------------------------------------------------------
  const dimensions: Dimension[] = [];
  const filters: Filter[] = [];
  const addDim = (field: string): void => {
    if (!dimensions.some((d) => d.field === field)) dimensions.push({ field });
  };
  const firstMeasureAt = r.matches.find((x) => x.target.kind === 'measure')?.from ?? Number.POSITIVE_INFINITY;
  const cued = (m: Match): { byThis: boolean; which: boolean; ranked: boolean } => ({
    byThis: afterBy(r, m),
    which: r.whichAt >= 0 && m.from >= r.whichAt && m.from - r.whichAt <= 3 && m.from < firstMeasureAt,
    ranked:
      r.topN !== undefined &&
      ((m.from > r.topN.at && m.from - r.topN.at <= 4) ||
        (r.topN.subjectAt !== undefined && m.from >= r.topN.subjectAt && m.from - r.topN.subjectAt <= 1)),
  });
  // "top 3 countries by number of customers": what is counted is the measure, never a breakdown
  const countSubject = countedMatch(r);
  // (a yes/no column counted, "how many remote employees", stays free: it is the rows' condition)
  const yesNo = countSubject?.target.kind === 'column' && yesNoOf(view, countSubject.target.field);
  // ("number of refunded donations": a file's event said of the rows is their condition, filters.ts)
  const happened = countSubject !== undefined && saysEventHappened(r, view, base, countSubject);
  if (
    countSubject &&
    countSubject.target.kind !== 'value' &&
    !yesNo &&
    !happened &&
    measures[0]?.kind === 'count'
  )
    used.add(countSubject);
  // "by customer country", "per product category": a thing's column said after the thing is that column
  for (const m of r.matches) {
    if (used.has(m) || m.target.kind !== 'column') continue;
    const owner = tableOf(m.target.field);
    const head = r.matches.find(
      (o) =>
        o.to === m.from &&
        (o.target.kind === 'table' || o.target.kind === 'segment') &&
        reachableToOne(view, o.target.table, owner as string),
    );
    if (head && !used.has(head) && afterBy(r, head)) {
      addDim(m.target.field);
      used.add(m);
      used.add(head);
    }
  }
  // "top 5 clients by total project budget": the thing before the number measured only says whose number it is
  for (const m of r.matches) {
    if (!used.has(m) || m.target.kind !== 'column' || !isNumeric(view, m.target.field)) continue;
    const owner = tableOf(m.target.field);
    const head = r.matches.find(
      (o) => o.to === m.from && o.target.kind === 'table' && o.target.table === owner,
    );
    if (head && measures.length > 0) used.add(head);
  }
  for (const m of r.matches) {
    if (used.has(m) || m.target.kind !== 'column') continue;
    // "top 3 by amount spent": a number to rank by is the measure, not a breakdown
    if (r.topN && measures.length > 0 && isNumeric(view, m.target.field)) continue;
    const c = cued(m);
    // "the most completed enrolments": an event said of the rows is their condition, not a breakdown
    if (!c.byThis && saysEventHappened(r, view, base, m)) continue;
    if (c.byThis || c.which || c.ranked) {
      addDim(m.target.field);
      used.add(m);
    }
  }
  for (const m of r.matches) {
    if (used.has(m)) continue;
    const { byThis, which, ranked } = cued(m);
    if (!(byThis || which || ranked)) continue;
    if (m.target.kind === 'table' || m.target.kind === 'segment') {
      // the counted table itself is a breakdown only when nothing else is ("top 5 customers by revenue")
      const label = labelField(view, m.target.table);
      if (
        label &&
        (byThis || m.target.table !== base || dimensions.length === 0) &&
        !(m.target.table === base && measures[0]?.kind === 'count' && !byThis) &&
        // "average units per shipment", rows of shipments: an average over each row is the average, not a breakdown
        !(m.target.table === base && measures[0]?.kind === 'avg')
      ) {
        for (const d of entityDimensions(view, m.target.table)) addDim(d.field);
        used.add(m);
      }
    } else if (
      m.target.kind === 'value' &&
      (byThis ||
        (m.from === r.whichAt + 1 && r.tokens[r.whichAt]?.text === 'which' && r.topN !== undefined) ||
        // "our top 3 books by sales", "which 3 electronics sold the most": items of that kind, ranked
        (ranked && (r.topN?.n ?? 0) > 0 && isPluralAt(r, m)))
    ) {
      // "for each toy", "which book brought in the most": the rows of that kind, one per item
      const table = targetTable(m.target);
      const label = labelField(view, table);
      if (label) {
        filters.push({ op: 'eq', field: m.target.field, value: m.target.value });
        // a ranking names one item: by its key too, as "which product" does, so that two of one name stay two
        if (byThis) addDim(label);
        else for (const d of entityDimensions(view, table)) addDim(d.field);
        used.add(m);
      }
    }
  }

  // ---- filters ----------------------------------------------------------------------------------
  filters.push(...collectFilters(r, view, base, used, notes));
  const compareField = valueComparisonField(r, filters);
  if (compareField) addDim(compareField);

  // ---- measure fit: "revenue by category" needs the measure that lives on the items ---------------
  let planMeasures = measures;
  const fitted = fitMeasure(view, base, measures, [
    ...dimensions.map((d) => d.field),
    ...filters.flatMap(fieldsOf),
  ]);
  if (fitted) {
    notes.push(fitted.note);
    if (rankingMeasure === measures[0]) rankingMeasure = fitted.measure;
    planMeasures = [fitted.measure];
    base = fitted.table;
  }
  filters.push(...segmentFilters(r, view, base, used));

  // ---- shares: "what percentage of orders were cancelled" ---------------------------------------
  // "what % of our Italian accounts are customers": what the subject says narrows both, the predicate the part
  if (
    r.share &&
    !r.growth &&
    filters.length > 0 &&
    planMeasures.length === 1 &&
    planMeasures[0] &&
    // "the signup rate (signups / visits) on /pricing": a rate the question divides itself has its rows
    planMeasures[0].kind !== 'ratio'
  ) {
    const cue = shareCue(r);
    const split = predicateStart(r);
    const inSubject = (f: Filter): boolean => filterAt(r, f).some((at) => at > cue && at < split);
    const wholeFilters = filters.filter(inSubject);
    const partFilters = filters.filter((f) => !inSubject(f));
    const whole = planMeasures[0];
    const part = partFilters.length === 1 ? partFilters[0] : { op: 'and' as const, filters: partFilters };
    if (part && partFilters.length > 0) {
      planMeasures = [
        { kind: 'ratio', numerator: withFilter(whole, part, view), denominator: whole, as: 'share' },
      ];
      notes.push(`the share is ${describeMeasure(whole)} matching the filters, divided by all of them`);
      filters.splice(0, filters.length, ...wholeFilters);
    }
  }

  // ---- time -------------------------------------------------------------------------------------
  // "campaigns that ended last month": a date of the rows named by its event is the date the period is of
  const named = namedDateField(r, view, base, used);
  const eventField = named && (r.dates.length > 0 || r.grain !== undefined) ? named : undefined;
  const timeField = eventField ?? nearestTimeField(view, base);
  let time: QueryPlan['time'];
  const grain = r.grain ?? r.rankGrain?.grain;
  if (r.dates.length > 0 || grain) {
    if (!timeField)
      return unanswerable(view, `I can't tell which date to use for ${base.replace(/_/g, ' ')}.`);
    const first = r.dates[0];
    const shift = SHIFT.exec(r.question);
    if (r.compare && r.dates.length >= 2) {
      time = {
        field: timeField,
        compare: withSharedYear(r.dates.slice(0, 6)).map((d) => ({
          label: comparedLabel(d, a.input),
          range: d.range,
        })),
      };
    } else if (first && shift) {
      // "last month vs the month before": the named period against the one just before it
      time = {
        field: timeField,
        compare: [
          { label: cleanLabel(first.text), range: first.range },
          { label: shift[0].trim().slice(0, 64), range: shiftRange(first.range, a.input) },
        ],
      };
    } else if (first) {
      time = { field: timeField, range: first.range };
    } else time = { field: timeField };
    if (grain) time = { ...time, grain };
    // "campaigns ended per month": the rows that have not ended have no month of it
    if (eventField && !time.range && !time.compare) filters.push({ op: 'isNotNull', field: eventField });
  }

  // ---- order and limit ------------------------------------------------------------------------
  const order: QueryPlan['order'] = [];
  let limit: number | undefined;
  const ranked = r.topN && (dimensions.length > 0 || r.rankGrain);
  if (ranked && r.topN) {
    const by = rankingMeasure ?? planMeasures[0];
    if (by) {
      order.push({ by: measureAlias(by, view), direction: r.topN.direction });
      const singularWhich = r.whichAt >= 0 && !isPluralDimension(r);
      limit = r.topN.n || (singularWhich ? 1 : undefined);
      // "which assignee has the most tickets" in a file: the tickets with no assignee are nobody, not a contender (a
      // file's cells are often empty; a model's columns are the modeller's, ranked as they are)
      for (const d of namesNoMeasures(view) ? dimensions : []) {
        if (view.field(d.field).type === 'string') filters.push({ op: 'isNotNull', field: d.field });
      }
    }
  }

  return planOutcome(
    { version: 1, table: base, measures: planMeasures, dimensions, time, filters, select: [], order, limit },
    r,
    notes,
  );
}
