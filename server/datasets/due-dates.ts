// A file whose rows fall due ("due_on", "Due Date", "due_back_at") and are then done by another date ("returned_on",
// "Completed Date"): its overdue rows and its rows done late, as segments people name them by ("how many loans are
// overdue", "projects delivered late", "late returns").
import type { Table } from '../config/schema.ts';
import { words } from './names.ts';
import type { DatasetColumnInfo, VisibleDataset } from './types.ts';

/** What a row's doing is called, by the event word of its date column, and the other names of that event. */
const DONE_EVENTS: Record<string, string[]> = {
  returned: ['returned', 'brought back', 'came back', 'handed back'],
  completed: ['completed', 'finished', 'delivered', 'done'],
  completion: ['completed', 'finished', 'delivered', 'done'],
  delivered: ['delivered'],
  closed: ['closed'],
  resolved: ['resolved', 'closed'],
  paid: ['paid'],
  submitted: ['submitted', 'handed in'],
  shipped: ['shipped', 'sent'],
  collected: ['collected', 'picked up'],
};
/** The doing as a noun, for "late returns", "late deliveries". */
const DONE_NOUNS: Record<string, string[]> = {
  returned: ['returns'],
  completed: ['completions', 'deliveries'],
  completion: ['completions', 'deliveries'],
  delivered: ['deliveries'],
  paid: ['payments'],
  submitted: ['submissions'],
  shipped: ['shipments'],
  collected: ['collections'],
};
/** Words that only place a date column's event in time ("returned on", "date completed"). */
const DATE_WORDS = new Set(['date', 'time', 'at', 'on', 'day']);

/** A date column's event in words, without the words that only date it: "returned" of "returned_on". */
export function eventOf(column: DatasetColumnInfo): string[] {
  return words(column.header).filter((w) => !DATE_WORDS.has(w));
}

/** The file's one date a row is due by, and its one date a row is done on; undefined unless both are single. */
function dueAndDone(
  d: VisibleDataset,
): { due: DatasetColumnInfo; done: DatasetColumnInfo; event: string } | undefined {
  const dates = d.columns.filter((c) => c.type === 'date');
  const due = dates.filter((c) => eventOf(c).includes('due'));
  const done = dates.flatMap((c) => {
    const event = eventOf(c);
    const word = event.length === 1 ? (event[0] as string) : undefined;
    return word !== undefined && DONE_EVENTS[word] ? [{ column: c, event: word }] : [];
  });
  if (due.length !== 1 || done.length !== 1) return undefined;
  return {
    due: due[0] as DatasetColumnInfo,
    done: done[0]?.column as DatasetColumnInfo,
    event: done[0]?.event as string,
  };
}

/**
 * "overdue": not done yet and due before today; "<done> late": done after the day it was due. Named after the
 * file's rows ("overdue loans"), as answers call a segment by its name.
 */
export function dueSegments(d: VisibleDataset, rows: string): Table['segments'] {
  const found = dueAndDone(d);
  if (!found) return {};
  const due = `${d.table}.${found.due.name}`;
  const done = `${d.table}.${found.done.name}`;
  const verbs = DONE_EVENTS[found.event] ?? [];
  const late = verbs.flatMap((v) => [`${v} late`, `${v} after the due date`, `${v} after their due date`]);
  for (const noun of DONE_NOUNS[found.event] ?? []) late.push(`late ${noun}`);
  // the file's own words come first: a status "Overdue" or "Late" is what the file calls so, whatever its dates say
  const own = new Set(d.columns.flatMap((c) => (c.values ?? []).map((v) => v.toLowerCase())));
  const segments: Table['segments'] = {};
  if (!own.has('overdue') && !own.has('past due'))
    segments[`overdue_${rows}`] = {
      description: `rows of ${d.name} without "${found.done.header}" whose "${found.due.header}" is before today`,
      synonyms: ['overdue', 'past due'],
      filter: {
        op: 'and',
        filters: [
          { op: 'isNull', field: done },
          { op: 'dateRange', field: due, range: { kind: 'before', unit: 'day' } },
        ],
      },
    };
  if (!own.has('late'))
    segments[`late_${rows}`] = {
      description: `rows of ${d.name} whose "${found.done.header}" is after their "${found.due.header}"`,
      synonyms: late,
      filter: { op: 'compareFields', field: done, cmp: 'gt', other: due },
    };
  return segments;
}
