import { readFileSync } from 'node:fs';
import { compile as compileVegaLite } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.ts';
import { type AgentModel, compileQueryPlan } from '../query/compile.ts';
import type { CellValue } from '../query/execute.ts';
import type { QueryPlanInput } from '../query/plan.ts';
import { specProblems } from './chart.ts';
import { composeAnswer } from './compose.ts';
import { markPartialPeriods, nextBucketDay, PARTIAL_FIELD, type PartialPeriods } from './periods.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const config = parseConfig(
  readFileSync(new URL('../../parley.config.yaml', import.meta.url), 'utf8'),
  'parley.config.yaml',
  {},
);
const demo = config.agents.get('demo');
if (!demo) throw new Error('the demo agent is missing from parley.config.yaml');
const agent: AgentModel = { ...demo.config, model: demo.model };

function compose(plan: QueryPlanInput, rows: CellValue[][], now = NOW, timeZone = 'UTC') {
  const compiled = compileQueryPlan(
    plan,
    { ...agent, timeZone },
    { organisationId: 1 },
    { dialect: 'sqlite', now },
  );
  return composeAnswer({
    compiled,
    result: { columns: compiled.columns, rows, truncated: false, durationMs: 1 },
    presentation: 'auto',
    question: 'revenue by month this year',
    timeZone,
  });
}

const revenueByMonth = (range: QueryPlanInput['time']): QueryPlanInput => ({
  version: 1,
  table: 'orders',
  measures: [{ kind: 'named', name: 'revenue' }],
  time: range,
});

describe('unfinished periods', () => {
  it('never calls the running month the lowest, says it is partial and marks it in the chart', () => {
    const answer = compose(
      revenueByMonth({
        field: 'orders.created_at',
        range: { kind: 'current', unit: 'year' },
        grain: 'month',
      }),
      [
        ['2026-08-01', 900],
        ['2026-09-01', 1200],
        ['2026-10-01', 1000],
        ['2026-11-01', 150],
      ],
    );
    expect(answer.message).toContain('lowest in Aug 2026');
    expect(answer.message).toContain('highest in Sep 2026');
    expect(answer.message).not.toMatch(/(lowest|highest) in Nov 2026/);
    expect(answer.message).toContain('Nov 2026 is partial: 1 Nov 2026 – 25 Nov 2026 only (25 of 30 days).');
    expect(answer.partialPeriods).toEqual([
      expect.objectContaining({ value: '2026-11-01', label: 'Nov 2026', days: 25, of: 30 }),
    ]);
    const spec = answer.spec as Record<string, unknown>;
    expect(specProblems(spec)).toEqual([]);
    const layers = spec.layer as Array<{ mark: { strokeDash?: number[] }; transform: unknown[] }>;
    expect(layers).toHaveLength(2);
    expect(layers[1]?.mark.strokeDash).toEqual([5, 4]);
    const values = (spec.data as { values: Array<Record<string, unknown>> }).values;
    expect(values.filter((v) => v[PARTIAL_FIELD]).map((v) => v.month)).toEqual(['2026-11-01']);
    expect((spec.title as { text: string }).text).toContain('Nov 2026 is partial');
    // Vega-Lite itself accepts the layered spec
    expect(() => compileVegaLite(spec as never)).not.toThrow();
  });

  it('marks buckets the range only partly covers, at both ends', () => {
    const answer = compose(
      revenueByMonth({
        field: 'orders.created_at',
        range: { kind: 'last', unit: 'day', n: 30 },
        grain: 'month',
      }),
      [
        ['2026-10-01', 300],
        ['2026-11-01', 900],
      ],
    );
    expect(answer.partialPeriods?.map((p) => [p.label, p.days, p.of])).toEqual([
      ['Oct 2026', 6, 31],
      ['Nov 2026', 24, 30],
    ]);
    // with every bucket partial, no bucket is ranked
    expect(answer.message).not.toMatch(/highest|lowest/);
  });

  it('leaves whole periods alone', () => {
    const answer = compose(
      revenueByMonth({
        field: 'orders.created_at',
        range: { kind: 'last', unit: 'month', n: 3 },
        grain: 'month',
      }),
      [
        ['2026-08-01', 900],
        ['2026-09-01', 1200],
        ['2026-10-01', 1000],
      ],
    );
    expect(answer.partialPeriods).toBeUndefined();
    expect(answer.message).toContain('lowest in Aug 2026');
    expect(answer.message).not.toContain('partial');
    expect((answer.spec as Record<string, unknown>).layer).toBeUndefined();
  });

  it('finds the one running day of a daily series across a change of clocks', () => {
    // New York leaves summer time on 1 Nov 2026 (a day of 25 hours); at 10:00 there on 3 Nov only 3 Nov is running
    const days = ['2026-10-29', '2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02', '2026-11-03'];
    const answer = compose(
      revenueByMonth({ field: 'orders.created_at', grain: 'day' }),
      days.map((d, i) => [d, 100 + i]),
      new Date('2026-11-03T15:00:00Z'),
      'America/New_York',
    );
    expect(answer.partialPeriods?.map((p) => [p.value, p.days, p.of])).toEqual([['2026-11-03', 1, 1]]);
    const since = compose(
      revenueByMonth({
        field: 'orders.created_at',
        range: { kind: 'between', from: '2026-10-30', to: '2026-11-02' },
        grain: 'week',
      }),
      [
        ['2026-10-26', 5],
        ['2026-11-02', 7],
      ],
      new Date('2026-11-03T15:00:00Z'),
      'America/New_York',
    );
    // the range cuts both weeks: 30 Oct - 1 Nov of the first, 2 Nov of the second
    expect(since.partialPeriods?.map((p) => [p.value, p.days, p.of])).toEqual([
      ['2026-10-26', 3, 7],
      ['2026-11-02', 1, 7],
    ]);
  });

  it('steps to the next bucket by the calendar', () => {
    expect(nextBucketDay('2026-12-31', 'day')).toBe('2027-01-01');
    expect(nextBucketDay('2024-02-26', 'week')).toBe('2024-03-04');
    expect(nextBucketDay('2026-12-01', 'month')).toBe('2027-01-01');
    expect(nextBucketDay('2026-10-01', 'quarter')).toBe('2027-01-01');
    expect(nextBucketDay('2024-01-01', 'year')).toBe('2025-01-01');
    // not a bucket's first day, or not a day: the caller works it out the long way
    expect(nextBucketDay('2026-01-31', 'month')).toBeUndefined();
    expect(nextBucketDay('2026-11', 'day')).toBeUndefined();
    expect(nextBucketDay('0099-01-01', 'year')).toBeUndefined();
  });

  it('a running bucket with no range is still partial (revenue by year, all time)', () => {
    const answer = compose(revenueByMonth({ field: 'orders.created_at', grain: 'year' }), [
      ['2025-01-01', 9000],
      ['2026-01-01', 8000],
    ]);
    expect(answer.partialPeriods?.map((p) => [p.label, p.days, p.of])).toEqual([['2026', 329, 365]]);
    expect(answer.message).not.toMatch(/lowest in 2026/);
  });

  it('draws partial bars lighter with a dashed outline', () => {
    const partial: PartialPeriods = {
      column: 0,
      grain: 'month',
      rows: new Set([1]),
      periods: [
        {
          value: '2026-11-01',
          label: 'Nov 2026',
          days: 6,
          of: 30,
          from: '1 Nov 2026',
          through: '6 Nov 2026',
        },
      ],
    };
    const spec = markPartialPeriods(
      {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        data: {
          values: [
            { month: '2026-10-01', n: 3 },
            { month: '2026-11-01', n: 1 },
          ],
        },
        mark: { type: 'bar' },
        encoding: { x: { field: 'month', type: 'ordinal' }, y: { field: 'n', type: 'quantitative' } },
      },
      partial,
      'month',
    );
    const enc = spec.encoding as Record<string, { condition?: { test: string } }>;
    expect(enc.fillOpacity?.condition?.test).toBe(`datum.${PARTIAL_FIELD}`);
    expect(enc.strokeDash?.condition?.test).toBe(`datum.${PARTIAL_FIELD}`);
    expect(() => compileVegaLite(spec as never)).not.toThrow();
  });
});
