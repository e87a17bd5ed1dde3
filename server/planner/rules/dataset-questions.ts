// Questions about uploaded datasets: answered from a dataset alone ("the price of the Enterprise plan"), or
// blended with the database ("actual sales vs the targets in my file"), joined on a time bucket or a shared column.
import { type Grain, type Measure, parseFieldRef, type QueryPlan } from '../../query/plan.ts';
import { ModelView } from '../../semantic/model-view.ts';
import type { DatasetPlanningContext, PlannerInput, PlannerOutcome } from '../types.ts';
import type { Match, ValueIndex } from './lexicon.ts';
import { measureAlias } from './measures.ts';
import { isNumeric, nearestTimeField } from './model-helpers.ts';
import { wordsPattern } from './outcomes.ts';
import type { Reading } from './reading.ts';
import { stem } from './text.ts';

const FILE_WORDS =
  /\b(upload(ed|s)?|my files?|the files?|our files?|spreadsheets?|csv|sheets?|datasets?|data sets?|file)\b/i;
const COMPARE_WORDS =
  /\b(vs\.?|versus|against|compare[ds]?|comparison|compared to|compared with|relative to)\b/i;
/** The question says the figures are in the user's own files ("my uploaded file", "in my spreadsheet", "x.csv"). */
const OWN_FILE =
  /\b(upload(ed|s)?|(my|our) (own )?(files?|spreadsheets?|csv|sheets?|datasets?|data sets?))\b|\.(csv|json)\b/i;
const GRAIN_ORDER: Grain[] = ['day', 'week', 'month', 'quarter', 'year'];

/** What the question looks for in a file: "the targets in my uploaded file" -> "targets". */
function soughtInFile(question: string): string | undefined {
  const q = question.toLowerCase();
  const before =
    /\b(?:the|my|our)\s+((?:[a-z]+\s+){0,2}?[a-z]+)\s+(?:in|from|of)\s+(?:my|our|the)\s+(?:own\s+)?(?:uploaded\s+)?(?:files?|spreadsheets?|csv|sheets?|datasets?|data)\b/.exec(
      q,
    );
  if (before) return before[1];
  const named = /\b(?:my|our)\s+(?:uploaded\s+)?([a-z]+)\s+(?:file|spreadsheet|csv|sheet)\b/.exec(q);
  if (named && named[1] !== 'uploaded') return named[1];
  return undefined;
}

function noFileMessage(question: string, datasets: DatasetPlanningContext['datasets']): string {
  const sought = soughtInFile(question);
  if (datasets.length === 0) {
    return sought
      ? `You have no uploaded file with ${sought}, so I can't compare with it. Upload one (CSV or JSON) and ask again.`
      : 'You have no uploaded files yet. Upload one (CSV or JSON) and ask again.';
  }
  const names = datasets.map((d) => d.name).join(', ');
  return sought
    ? `You have no uploaded file with ${sought} (your files: ${names}).`
    : `I couldn't tell which of your uploaded files (${names}) the question is about.`;
}

/** What planners see of a user with uploads on and no files: no tables, no values, no datasets. */
export function emptyDatasetContext(timeZone: string): DatasetPlanningContext {
  const view = new ModelView(
    { id: 'datasets', multiTenant: false, timeZone, userContext: {} },
    { tables: {} },
    {},
  );
  return { view, values: { values: async () => [] }, datasets: [] };
}

/**
 * A user without files: the database's outcome, unless the question is about their own file ("the targets in my
 * uploaded file": say there is none, never answer from the database alone).
 */
export function withoutFiles(
  question: string,
  outcome: PlannerOutcome,
  context: DatasetPlanningContext,
): PlannerOutcome {
  return OWN_FILE.test(question) ? unanswerable(noFileMessage(question, context.datasets)) : outcome;
}

export interface DatasetReadings {
  reading: Reading;
  input: PlannerInput;
  values: ValueIndex;
}

/**
 * How much of a question a reading understood: value and measure matches count double. A file has no named
 * measures, its numbers are its measures: a numeric column counts as a measure does (`isNumber`), so "units by
 * region" over a file with units and region understands more than the database's "units sold" alone.
 */
function understood(r: Reading, isNumber: (field: string) => boolean = () => false): number {
  return r.matches.reduce((n, m) => {
    const measureLike =
      m.target.kind === 'value' ||
      m.target.kind === 'measure' ||
      (m.target.kind === 'column' && isNumber(m.target.field));
    return n + (m.to - m.from) * (measureLike ? 2 : 1);
  }, 0);
}

/** The question's words that name a measure in one reading and a column in the other are one figure, not two. */
function sameWords(a: { from: number; to: number }, b: { from: number; to: number }): boolean {
  return a.from < b.to && b.from < a.to;
}

/**
 * Chooses between the database plan, a dataset plan and a blend of the two, for a user with files (without any,
 * the planner takes withoutFiles instead). `assembleFor` is the rules planner's own assembly, applied to the
 * datasets' model.
 */
export function planWithDatasets(
  question: string,
  db: { reading: Reading; outcome: PlannerOutcome; view: ModelView },
  ds: DatasetReadings,
  context: DatasetPlanningContext,
  assembleFor: (r: Reading, input: PlannerInput) => PlannerOutcome,
): PlannerOutcome {
  const ownFile = OWN_FILE.test(question);
  const fileCue = FILE_WORDS.test(question) || ds.reading.matches.some((m) => m.target.kind === 'table');
  const dsNumeric = numericColumns(ds.reading, context);
  const dbMeasured = db.outcome.kind === 'plan' && db.outcome.plan.measures.length > 0;
  const comparing = COMPARE_WORDS.test(question);
  // "units in my shipments file": the words that name the database's units sold name the file's units too; that is
  // one figure, from the file. Two figures are a database measure the files do not explain and a file number the
  // database's measures do not, unless the question sets them against each other.
  const dbMeasureWords = db.reading.matches.filter((m) => m.target.kind === 'measure');
  const twoFigures =
    dbMeasureWords.some((m) => !ds.reading.matches.some((f) => sameWords(m, f))) &&
    dsNumeric.some((c) => !dbMeasureWords.some((m) => sameWords(m, c)));

  // a database measure set against a number from the file: blend them
  if (
    dbMeasured &&
    db.outcome.kind === 'plan' &&
    dsNumeric.length > 0 &&
    (comparing || (fileCue && twoFigures))
  ) {
    const column = dsNumeric[0] as ColumnMatch;
    const blended = blend(db.outcome.plan, column, context, db.reading, db.view);
    if (blended.plan) {
      const file = datasetName(context, blended.plan.blend?.plan.table);
      return {
        kind: 'plan',
        plan: blended.plan,
        presentation: db.outcome.presentation,
        notes: [...db.outcome.notes, `compared with ${column.text} from ${file}${blended.note ?? ''}`],
      };
    }
    // the file has the figure but nothing to line it up by: say why rather than answer half the question
    if (comparing || ownFile)
      return unanswerable(blended.why ?? 'I could not line your file up with the data.');
  }

  const dbRefused = db.outcome.kind !== 'plan';
  const inFiles = understood(ds.reading, (f) => isNumeric(context.view, f));
  const inDatabase = understood(db.reading);
  if (ds.reading.matches.length > 0 && (dbRefused || fileCue || inFiles >= inDatabase)) {
    const outcome = assembleFor(ds.reading, ds.input);
    if (outcome.kind === 'plan') {
      const fromFile: PlannerOutcome = {
        ...outcome,
        plan: { ...outcome.plan, source: 'datasets' },
        notes: [...outcome.notes, `read from ${datasetName(context, outcome.plan.table)}`],
      };
      // "average unit cost": the file's "unit cost" is one phrase where the data read "unit" as units sold
      const longerInFile = dsNumeric.some((c) =>
        dbMeasureWords.some((m) => c.from <= m.from && m.to <= c.to && c.to - c.from > m.to - m.from),
      );
      if (
        dbRefused ||
        fileCue ||
        inFiles > inDatabase ||
        longerInFile ||
        dropsFileWords(db.reading, ds.reading)
      )
        return fromFile;
      // the same words name a figure of the data and a number of a file, and nothing else tells them apart
      const asked = whichFigure(question, db, dsNumeric, context);
      if (asked) return asked;
    } else if (dbRefused && (inFiles > inDatabase || aValueOfTheFile(db.reading.unknownName, ds.reading))) {
      // neither can answer, and the file explains more of the question, or holds the name the data does not know:
      // its reason is the one that applies ("I don't have any data about Austin" is untrue of an Austin warehouse)
      return outcome;
    }
  }
  // the question is about the user's file, but none of their files holds what it asks for
  if (ownFile && comparing && dsNumeric.length === 0)
    return unanswerable(noFileMessage(question, context.datasets));
  return db.outcome;
}

/** The name the data does not know is a value of the file ("Austin", its warehouse). */
function aValueOfTheFile(name: string | undefined, file: Reading): boolean {
  const key = name?.toLowerCase();
  return key !== undefined && file.matches.some((m) => m.target.kind === 'value' && m.text === key);
}

/**
 * "how many items were restocked last month": the data reads "items" as its order items and nothing else, leaving
 * "restocked" out, a word the file reads as one of its columns; all the file's reading leaves out is the name of what
 * is counted (its own rows). The data's answer would drop a condition of the question; the file's drops nothing.
 */
function dropsFileWords(db: Reading, file: Reading): boolean {
  const onlyRowsOutside = db.matches.every(
    (m) => m.target.kind === 'table' || file.matches.some((f) => sameWords(m, f)),
  );
  return (
    onlyRowsOutside &&
    file.matches.some((f) => f.target.kind !== 'table' && !db.matches.some((m) => sameWords(m, f)))
  );
}

/**
 * "units last month" with the data's units sold and a file's units: ask which, each choice worded so that it is
 * read one way only (the measure's own name; the file's name). Undefined when the question cannot be reworded so.
 */
function whichFigure(
  question: string,
  db: { reading: Reading; outcome: PlannerOutcome },
  dsNumeric: ColumnMatch[],
  context: DatasetPlanningContext,
): PlannerOutcome | undefined {
  const column = dsNumeric[0];
  const measure = db.reading.matches.find(
    (m) => m.target.kind === 'measure' && column && sameWords(m, column),
  );
  if (!column || !measure || measure.target.kind !== 'measure' || db.outcome.kind !== 'plan')
    return undefined;
  const name = measure.target.name.replace(/_/g, ' ');
  const words = wordsPattern(measure.text);
  if (!words.test(question) || name.toLowerCase() === measure.text.toLowerCase()) return undefined;
  const file = context.datasets.find((d) => d.table === parseFieldRef(column.target.field).table);
  if (!file) return undefined;
  const bare = question.trim().replace(/[?.!]+$/, '');
  return {
    kind: 'clarify',
    message: `"${measure.text}" could be ${name} in the data or ${column.text} in your file ${file.name}. Which did you mean?`,
    choices: [
      { label: `${name} (the data)`, question: bare.replace(words, name) },
      { label: `${column.text} in ${file.name}`, question: `${bare} in ${file.name}` },
    ],
  };
}

function unanswerable(message: string): PlannerOutcome {
  return { kind: 'unanswerable', message, suggestions: [] };
}

type ColumnMatch = Match & { target: { kind: 'column'; field: string } };

/** Numbers the question names in the files: a numeric column, or the one number of a file it names ("the targets"). */
function numericColumns(r: Reading, context: DatasetPlanningContext): ColumnMatch[] {
  const named = r.matches.filter(
    (m): m is ColumnMatch => m.target.kind === 'column' && isNumeric(context.view, m.target.field),
  );
  if (named.length > 0) return named;
  const out: ColumnMatch[] = [];
  for (const m of r.matches) {
    if (m.target.kind !== 'table') continue;
    const table = m.target.table;
    const numbers = Object.keys(context.view.tables.get(table)?.columns ?? {}).filter((c) =>
      isNumeric(context.view, `${table}.${c}`),
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

interface BlendOutcome {
  plan?: QueryPlan;
  /** how the periods were lined up, for the explanation */
  note?: string;
  /** why the file could not be lined up, for the refusal */
  why?: string;
}

/** The coarser of two grains ("by month" against a quarterly file is compared by quarter). */
function coarser(a: Grain, b: Grain): Grain {
  return GRAIN_ORDER.indexOf(a) >= GRAIN_ORDER.indexOf(b) ? a : b;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'number',
  string: 'text',
  date: 'date',
  boolean: 'yes/no',
};

/** The database plan by a time bucket (or a shared column), and the file's number summed by the same key. */
function blend(
  dbPlan: QueryPlan,
  column: ColumnMatch,
  context: DatasetPlanningContext,
  dbReading: Reading,
  dbView: ModelView,
): BlendOutcome {
  const dbTimeField = nearestTimeField(dbView, dbPlan.table);
  const { table, column: columnName } = parseFieldRef(column.target.field);
  const dsTable = context.view.tables.get(table);
  const dataset = context.datasets.find((d) => d.table === table);
  const fileName = dataset ? `Your file ${dataset.name}` : 'Your file';
  if (!dsTable) return { why: `${fileName} cannot be read.` };
  const dsMeasure: Measure = { kind: 'sum', field: column.target.field, as: columnName };
  const dbMeasure = dbPlan.measures[0];
  if (!dbMeasure || dbPlan.select.length > 0) {
    return {
      why: `I can compare one figure from the data with ${column.text} from ${fileName.toLowerCase()}.`,
    };
  }

  // join on time: the file's date column and the plan's own time field, at the coarser of the question's grain
  // and the file's (a quarterly file is compared by quarter; monthly targets can be summed into quarters)
  if (dsTable.timeColumn && (dbPlan.time || dbPlan.dimensions.length === 0)) {
    const fileGrain = dataset?.columns?.find((c) => c.name === dsTable.timeColumn)?.grain;
    const asked: Grain | undefined = dbReading.grain ?? dbPlan.time?.grain;
    const natural: Grain = fileGrain && fileGrain !== 'day' ? fileGrain : 'month';
    const grain: Grain = asked ? (fileGrain ? coarser(asked, fileGrain) : asked) : natural;
    const timeField = dbPlan.time?.field ?? dbTimeField;
    if (!timeField) return { why: `The data has no dates to line up with ${fileName.toLowerCase()}.` };
    const note =
      asked && grain !== asked
        ? `, by ${grain} (the file's ${column.text} are per ${fileGrain}, so they cannot be split by ${asked})`
        : `, by ${grain}`;
    return {
      note,
      plan: {
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
      },
    };
  }

  // join on a column both sides have by name ("category")
  const shared = Object.keys(dsTable.columns).find((c) =>
    dbPlan.dimensions.some(
      (d) => parseFieldRef(d.field).column === c && dsTable.columns[c]?.type === 'string',
    ),
  );
  const dbDim = shared ? dbPlan.dimensions.find((d) => parseFieldRef(d.field).column === shared) : undefined;
  if (!shared || !dbDim) {
    const described = (dataset?.columns ?? [])
      .map((c) => `${c.header} (${TYPE_WORDS[c.type] ?? c.type})`)
      .join(', ');
    return {
      why:
        `${fileName} has no date column I can read${described ? ` (its columns: ${described})` : ''}, so its ` +
        `${column.text} cannot be lined up with the data by period. Months written like 2026-01, Jan 2026, ` +
        'January 2026 or 01/2026, quarters like Q1 2026 or 2026-Q1, and dates like 2026-01-31 are read.',
    };
  }
  return {
    note: `, by ${shared}`,
    plan: {
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
    },
  };
}
