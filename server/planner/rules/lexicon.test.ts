import { describe, expect, it } from 'vitest';
import type { Table } from '../../config/schema.ts';
import { ModelView } from '../../semantic/model-view.ts';
import { lexiconFor } from './lexicon.ts';
import { tokenize } from './text.ts';

function ticketsView(statuses: string[]): ModelView {
  const tickets: Table = {
    access: 'queryable',
    synonyms: [],
    primaryKey: 'id',
    contextFilters: [],
    columns: {
      id: { type: 'integer', synonyms: [] },
      status: { type: 'string', synonyms: [], values: statuses },
    },
    computed: {},
    relations: {},
    measures: {},
    segments: {},
  } as unknown as Table;
  return new ModelView(
    { id: 'files', multiTenant: false, timeZone: 'UTC', userContext: {} },
    { tables: { tickets } },
    {},
  );
}

const firstHit = (view: ModelView, word: string) => lexiconFor(view).at(tokenize(word), 0)[0]?.target;

describe('the lexicon of a column’s values', () => {
  it('reads "open" as the pending status where the column has no status of that name', () => {
    expect(firstHit(ticketsView(['pending', 'solved']), 'open')).toMatchObject({ value: 'pending' });
  });

  it('reads "open" as the column’s own open status when it has one, whatever the order of the values', () => {
    for (const statuses of [
      ['pending', 'open', 'solved'],
      ['open', 'pending'],
    ])
      expect(firstHit(ticketsView(statuses), 'open'), statuses.join()).toMatchObject({ value: 'open' });
  });
});
