// How long a row took: the days from the date a file's rows begin with (its first date column: borrowed, booked
// in, started) to each later event of the row (returned, collected, completed), as a computed column the planners
// can average ("average loan length", "how many days from start to completion").
import pluralize from 'pluralize';
import type { Table } from '../config/schema.ts';
import { DAYS_BETWEEN } from '../semantic/expression.ts';
import { eventOf } from './due-dates.ts';
import type { VisibleDataset } from './types.ts';

/**
 * One computed column per later date of the row (a due date is when it should end, not an event of it). With one
 * such date, the duration is also the row's length, duration or turnaround ("loan length").
 */
export function durationColumns(d: VisibleDataset, rows: string): Table['computed'] {
  const dates = d.columns.filter((c) => c.type === 'date');
  const start = dates[0];
  if (!start) return {};
  const ends = dates.slice(1).filter((c) => !eventOf(c).includes('due'));
  const taken = new Set(d.columns.map((c) => c.name));
  const out: Table['computed'] = {};
  for (const end of ends) {
    const event = eventOf(end).join(' ');
    // named for its answers: "average days until returned"
    const name = `days_until_${event.replace(/[^a-z0-9]+/g, '_')}`.slice(0, 64);
    if (event === '' || taken.has(name)) continue;
    taken.add(name);
    const synonyms = [`days to ${event}`, `time to ${event}`, `days until ${event}`];
    if (ends.length === 1) {
      const row = pluralize.singular(rows);
      synonyms.push(
        `${row} length`,
        `length of ${row}`,
        `${row} duration`,
        'length',
        'duration',
        'turnaround',
      );
    }
    out[name] = {
      expression: `${DAYS_BETWEEN}(${start.name}, ${end.name})`,
      type: 'number',
      description: `days from "${start.header}" to "${end.header}" in ${d.name}`,
      synonyms,
    };
  }
  return out;
}
