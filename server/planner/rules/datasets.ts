// Questions about uploaded datasets: answered from a dataset alone ("the price of the Enterprise plan"), or
// blended with the database ("actual sales vs the targets in my file"), joined on a time bucket or a shared column.
import type { Grain, Measure, QueryPlan } from '../../query/plan.ts';
import type { ModelView } from '../../semantic/model-view.ts';
import type { DatasetPlanningContext, PlannerInput, PlannerOutcome } from '../planner.ts';
import type { Match, ValueIndex } from './lexicon.ts';
import { measureAlias } from './measures.ts';
import { nearestTimeField } from './model-helpers.ts';
import type { Reading } from './reading.ts';
import { stem } from './text.ts';

const FILE_WORDS =
  /\b(upload(ed|s)?|my files?|the files?|our files?|spreadsheets?|csv|sheets?|datasets?|data sets?|file)\b/i;
const COMPARE_WORDS =
  /\b(vs\.?|versus|against|compare[ds]?|comparison|compared to|compared with|relative to)\b/i;

export interface DatasetReadings {
  reading: Reading;
  input: PlannerInput;
  values: ValueIndex;
}

/** How much of a question a reading understood: value matches count double, like model terms. */
function understood(r: Reading): number {
  return r.matches.reduce(
    (n, m) => n + (m.to - m.from) * (m.target.kind === 'value' || m.target.kind === 'measure' ? 2 : 1),
    0,
  );
}

/**
 * Chooses between the database plan, a dataset plan and a blend of the two. `assembleFor` is the rules
 * planner's own assembly, applied to the datasets' model.
 */
export function planWithDatasets(
  question: string,
  db: { reading: Reading; outcome: PlannerOutcome; view: ModelView },
  ds: DatasetReadings,
  context: DatasetPlanningContext,
  assembleFor: (r: Reading, input: PlannerInput) => PlannerOutcome,
): PlannerOutcome {
  const fileCue = FILE_WORDS.test(question) || ds.reading.matches.some((m) => m.target.kind === 'table');
  const dsNumeric = numericColumns(ds.reading, context);
  const dbMeasured = db.outcome.kind === 'plan' && db.outcome.plan.measures.length > 0;

  // a database measure set against a number from the file: blend them
  if (
    dbMeasured &&
    db.outcome.kind === 'plan' &&
    dsNumeric.length > 0 &&
    (COMPARE_WORDS.test(question) || fileCue)
  ) {
    const blended = blend(db.outcome.plan, dsNumeric[0] as ColumnMatch, context, db.reading, db.view);
    if (blended) {
      return {
        kind: 'plan',
        plan: blended,
        presentation: db.outcome.presentation,
        notes: [
          ...db.outcome.notes,
          `compared with ${dsNumeric[0]?.text} from ${datasetName(context, blended.blend?.plan.table)}`,
        ],
      };
    }
  }

  const dbRefused = db.outcome.kind !== 'plan';
  if (
    ds.reading.matches.length > 0 &&
    (dbRefused || fileCue || understood(ds.reading) > understood(db.reading))
  ) {
    const outcome = assembleFor(ds.reading, ds.input);
    if (outcome.kind === 'plan') {
      return {
        ...outcome,
        plan: { ...outcome.plan, source: 'datasets' },
        notes: [...outcome.notes, `read from ${datasetName(context, outcome.plan.table)}`],
      };
    }
  }
  return db.outcome;
}

type ColumnMatch = Match & { target: { kind: 'column'; field: string } };

/** Numbers the question names in the files: a numeric column, or the one number of a file it names ("the targets"). */
function numericColumns(r: Reading, context: DatasetPlanningContext): ColumnMatch[] {
  const isNumber = (field: string): boolean => {
    try {
      const t = context.view.field(field).type;
      return t === 'number' || t === 'integer';
    } catch {
      return false;
    }
  };
  const named = r.matches.filter(
    (m): m is ColumnMatch => m.target.kind === 'column' && isNumber(m.target.field),
  );
  if (named.length > 0) return named;
  const out: ColumnMatch[] = [];
  for (const m of r.matches) {
    if (m.target.kind !== 'table') continue;
    const table = m.target.table;
    const numbers = Object.keys(context.view.tables.get(table)?.columns ?? {}).filter((c) =>
      isNumber(`${table}.${c}`),
    );
    const sameName = numbers.find((c) => stem(c) === stem(table));
    const chosen = sameName ?? (numbers.length === 1 ? numbers[0] : undefined);
    if (chosen) out.push({ ...m, target: { kind: 'column', field: `${table}.${chosen}` } });
  }
  return out;
}

function datasetName(context: DatasetPlanningContext, table: string | undefined): string {
  const found = context.datasets.find((d) => d.table === table);
  return found ? `your file ${found.name}` : 'your uploaded file';
}

/** The database plan by a time bucket (or a shared column), and the file's number summed by the same key. */
function blend(
  dbPlan: QueryPlan,
  column: ColumnMatch,
  context: DatasetPlanningContext,
  dbReading: Reading,
  dbView: ModelView,
): QueryPlan | undefined {
  const dbTimeField = nearestTimeField(dbView, dbPlan.table);
  const [table] = column.target.field.split('.') as [string, string];
  const dsTable = context.view.tables.get(table);
  if (!dsTable) return undefined;
  const dsMeasure: Measure = {
    kind: 'sum',
    field: column.target.field,
    as: column.target.field.split('.')[1],
  };
  const dbMeasure = dbPlan.measures[0];
  if (!dbMeasure || dbPlan.select.length > 0) return undefined;

  // join on time: the file's date column and the plan's own time field, by the question's grain (default month)
  if (dsTable.timeColumn && (dbPlan.time || dbPlan.dimensions.length === 0)) {
    const grain: Grain = dbReading.grain ?? dbPlan.time?.grain ?? 'month';
    const timeField = dbPlan.time?.field ?? dbTimeField;
    if (!timeField) return undefined;
    return {
      ...dbPlan,
      dimensions: [],
      time: { field: timeField, grain, ...(dbPlan.time?.range ? { range: dbPlan.time.range } : {}) },
      order: [],
      limit: undefined,
      blend: {
        plan: {
          version: 1,
          source: 'datasets',
          table,
          measures: [dsMeasure],
          dimensions: [],
          time: { field: `${table}.${dsTable.timeColumn}`, grain },
          filters: [],
          select: [],
          order: [],
        },
        on: [{ left: grain, right: grain }],
        keep: 'dataset',
      },
    };
  }

  // join on a column both sides have by name ("category")
  const shared = Object.keys(dsTable.columns).find((c) =>
    dbPlan.dimensions.some((d) => d.field.split('.')[1] === c && dsTable.columns[c]?.type === 'string'),
  );
  if (!shared) return undefined;
  const dbDim = dbPlan.dimensions.find((d) => d.field.split('.')[1] === shared);
  if (!dbDim) return undefined;
  return {
    ...dbPlan,
    dimensions: [{ field: dbDim.field, as: shared }],
    order: dbPlan.order.filter((o) => o.by === measureAlias(dbMeasure, dbView)),
    blend: {
      plan: {
        version: 1,
        source: 'datasets',
        table,
        measures: [dsMeasure],
        dimensions: [{ field: `${table}.${shared}`, as: shared }],
        filters: [],
        select: [],
        order: [],
      },
      on: [{ left: shared, right: shared }],
      keep: 'all',
    },
  };
}
