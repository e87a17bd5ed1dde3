import { describe, expect, it } from 'vitest';
import { fileQuestions, spoken } from './file-questions.ts';

describe('fileQuestions', () => {
  it('sums an amount by month and by a text column, naming the file as the planner reads it', () => {
    expect(
      fileQuestions('sales_targets.csv', [
        { name: 'date', header: 'date', type: 'date' },
        { name: 'store', header: 'Store', type: 'string' },
        { name: 'target_usd', header: 'target_usd', type: 'number' },
      ]),
    ).toEqual([
      'What is the total target usd by month in my sales targets file?',
      'What is the total target usd by store in my sales targets file?',
    ]);
  });

  it('skips ids, codes and free text; counts a file without amounts by a text column', () => {
    expect(
      fileQuestions('contacts.json', [
        { name: 'customer_id', type: 'number' },
        { name: 'email', type: 'string' },
        { name: 'city', type: 'string' },
      ]),
    ).toEqual(['How many contacts are there by city in my contacts file?']);
  });

  it('averages an amount that has nothing to group by, and asks nothing of a file with nothing to ask', () => {
    expect(fileQuestions('scores.csv', [{ name: 'score', type: 'number' }])).toEqual([
      'What is the average score in my scores file?',
    ]);
    expect(fileQuestions('flags.csv', [{ name: 'active', type: 'boolean' }])).toEqual([]);
    expect(fileQuestions('.csv', [{ name: 'amount', type: 'number' }])).toEqual([]);
  });

  it('says headers as words', () => {
    expect(spoken('churnRate')).toBe('churn rate');
    expect(spoken('Montant_TTC (€)')).toBe('montant ttc');
    expect(spoken('Café')).toBe('cafe');
  });
});
