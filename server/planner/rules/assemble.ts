// The embedded planner's assembly line: read the clauses, let each strategy in turn decide the question or add to
// it, then give the plan its shape (running totals, growth, shares) and the clauses' conditions.
import type { PlannerInput, PlannerOutcome } from '../types.ts';
import { Assembly, type Strategy } from './assembly.ts';
import { readClauses } from './clauses.ts';
import {
  applyConditions,
  applyDisjointPeriods,
  applyFreeBounds,
  applyPastDates,
  withoutClauses,
} from './conditions.ts';
import { applyDefinitionConflicts } from './definitions.ts';
import { measureAlias } from './measures.ts';
import { applyPerRowCount } from './per-row-count.ts';
import type { Reading } from './reading.ts';
import { applyShapes } from './shapes.ts';
import { breakdown } from './strategies/breakdown.ts';
import {
  countedEvents,
  countedUnnamedRows,
  mostCommonValue,
  numberOfUnmeasuredTable,
  rankedUnnamedRows,
  ratioOfNumbers,
} from './strategies/file-numbers.ts';
import { daysBetweenEvents } from './strategies/how-long.ts';
import {
  busiestPeriod,
  columnAggregate,
  columnConditions,
  countedDaysOrRows,
  countedRows,
  namedMeasures,
  rankedByCount,
  statusMoney,
  subjectCount,
  tableValueAggregate,
} from './strategies/measure.ts';
import { pairedFigures } from './strategies/paired-figures.ts';
import {
  clarifyAmbiguousMeasure,
  refuseUnmeasured,
  refuseWhatNoFigureAnswers,
} from './strategies/refusals.ts';
import { columnValues, earliestOrLatest, listing, lookup, superlativeRows } from './strategies/rows.ts';

/** The strategies, in the order they look at a question; the first to give an outcome decides it. */
export const STRATEGIES: readonly Strategy[] = [
  refuseWhatNoFigureAnswers,
  clarifyAmbiguousMeasure,
  columnConditions,
  ratioOfNumbers,
  pairedFigures,
  namedMeasures,
  daysBetweenEvents,
  earliestOrLatest,
  countedDaysOrRows,
  countedRows,
  columnAggregate,
  tableValueAggregate,
  statusMoney,
  numberOfUnmeasuredTable,
  countedEvents,
  rankedUnnamedRows,
  superlativeRows,
  rankedByCount,
  mostCommonValue,
  countedUnnamedRows,
  columnValues,
  listing,
  lookup,
  busiestPeriod,
  subjectCount,
  refuseUnmeasured,
];

export function assemble(reading: Reading, input: PlannerInput): PlannerOutcome {
  const clauses = readClauses(reading, input.view, input.now);
  const r = withoutClauses(reading, clauses);
  const outcome = assembleReading(r, input);
  if (outcome.kind !== 'plan') return outcome;
  const shaped = applyShapes(outcome, r, input, (m) => measureAlias(m, input.view));
  const conditioned = applyConditions(shaped, clauses, reading, input);
  if (conditioned.kind !== 'plan') return conditioned;
  const bounded = applyFreeBounds(conditioned, clauses, reading, input);
  if (bounded.kind !== 'plan') return bounded;
  const dated = applyPastDates(bounded, reading, input);
  if (dated.kind !== 'plan') return dated;
  const periods = applyDisjointPeriods(dated, reading, input);
  if (periods.kind !== 'plan') return periods;
  return applyDefinitionConflicts(applyPerRowCount(periods, reading, clauses, input), input.view);
}

function assembleReading(r: Reading, input: PlannerInput): PlannerOutcome {
  const a = new Assembly(r, input);
  for (const strategy of STRATEGIES) {
    const outcome = strategy(a);
    if (outcome) return outcome;
  }
  return breakdown(a);
}
