// Benchmark: planning time of the embedded planner (no database: tenant values are pre-loaded, as the
// engine's cache holds them). Goals: under 2 ms median on the demo model, under 10 ms on a 200-table model.
import fs from 'node:fs';
import { parseConfig } from '../../server/config/load.ts';
import type { SemanticModel, Table } from '../../server/config/schema.ts';
import { emptyDatasetContext } from '../../server/planner/rules/dataset-questions.ts';
import { RulesPlanner } from '../../server/planner/rules/rules-planner.ts';
import type { PlannerInput, ValueLookup } from '../../server/planner/types.ts';
import { CATEGORIES, COUNTRIES } from '../../server/seed/demo-data.ts';
import { ModelView } from '../../server/semantic/model-view.ts';
import { DEMO_CONFIG_FILE } from '../support/demo-db.ts';

const NOW = new Date('2026-11-25T12:00:00Z');

export const DEMO_QUESTIONS = [
  'How many orders did we have last month?',
  'How many customers do we have?',
  'What was our revenue by month this year?',
  'Who are our top 5 customers by revenue?',
  'Which product categories sold the most units last quarter?',
  'average order value in 2025',
  'orders from Germany last week',
  'revenue this month vs last month',
  'show the 10 most recent orders',
  'how many refunded orders in Q3 2025',
  'units sold per category since March',
  'what is our profit margin?',
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
}

/** Values the way the engine hands them over: one cached array per column. */
function fixedValues(columns: Record<string, string[]>): ValueLookup {
  return { values: async (field) => columns[field] ?? [] };
}

async function measure(
  name: string,
  planner: RulesPlanner,
  base: Omit<PlannerInput, 'question'>,
  questions: string[],
  rounds: number,
) {
  const kinds: Record<string, number> = {};
  for (const question of questions) {
    const out = await planner.plan({ ...base, question }); // also warms caches and the JIT
    kinds[out.kind] = (kinds[out.kind] ?? 0) + 1;
  }
  const times: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    for (const question of questions) {
      const t0 = performance.now();
      await planner.plan({ ...base, question });
      times.push(performance.now() - t0);
    }
  }
  const outcomes = Object.entries(kinds)
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
  return {
    name,
    plans: times.length,
    outcomes,
    median: median(times),
    p95: percentile(times, 0.95),
    max: Math.max(...times),
  };
}

function demoValues(): Record<string, string[]> {
  const names = Array.from({ length: 4000 }, (_, i) => `Person ${i} Example`);
  return {
    'users.name': names,
    'users.email': names.map((n) => `${n.replace(/ /g, '.').toLowerCase()}@acme.test`),
    'users.country': [...COUNTRIES],
    'products.name': Array.from({ length: 144 }, (_, i) => `Acme Gadget ${i}`),
    'products.category': [...CATEGORIES],
  };
}

/** A wide model: 200 tables in a chain of relations, each with columns, a measure and synonyms. */
export function generatedModel(tables = 200): SemanticModel {
  const out: Record<string, Table> = {};
  for (let i = 0; i < tables; i += 1) {
    const name = `entity_${i}`;
    const relations: Table['relations'] = {};
    if (i > 0)
      relations[`entity_${i - 1}`] = {
        table: `entity_${i - 1}`,
        kind: 'many-to-one',
        on: { [`entity_${i - 1}_id`]: 'id' },
      };
    if (i < tables - 1)
      relations[`entity_${i + 1}`] = {
        table: `entity_${i + 1}`,
        kind: 'one-to-many',
        on: { id: `entity_${i}_id` },
      };
    out[name] = {
      access: 'queryable',
      synonyms: [`thing ${i}`],
      primaryKey: 'id',
      labelColumn: 'name',
      timeColumn: 'created_at',
      contextFilters: [{ column: 'organisation_id', field: 'organisationId', op: 'eq' }],
      columns: {
        id: { type: 'integer', synonyms: [] },
        name: { type: 'string', synonyms: [`label ${i}`] },
        status: { type: 'string', synonyms: [], values: ['open', 'closed', `state_${i}`] },
        region: { type: 'string', synonyms: [`area ${i}`] },
        amount: { type: 'number', unit: 'USD', synonyms: [`value ${i}`] },
        quantity: { type: 'integer', synonyms: [] },
        created_at: { type: 'datetime', synonyms: [] },
      },
      computed: {},
      relations,
      measures: { [`total_${i}`]: { aggregate: 'sum', column: 'amount', synonyms: [`takings ${i}`] } },
      segments: {},
    } as Table;
  }
  return { tables: out };
}

export async function runPlanningBench(): Promise<Array<{ name: string; median: number; goal: number }>> {
  const loaded = parseConfig(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'), DEMO_CONFIG_FILE, {});
  const demo = loaded.agents.get('demo');
  if (!demo) throw new Error('no demo agent');
  const userContext = { organisationId: 1 };
  const demoBase = {
    view: new ModelView(demo.config, demo.model, userContext),
    history: [],
    now: NOW,
    values: fixedValues(demoValues()),
  };
  // with uploads on, the engine plans every question of a user who has no files with an empty file context
  const noFiles = emptyDatasetContext('UTC');
  const wide = generatedModel();
  const wideAgent = {
    id: 'wide',
    multiTenant: true,
    timeZone: 'UTC',
    userContext: { organisationId: 'integer' as const },
  };
  const wideBase = {
    view: new ModelView(wideAgent, wide, userContext),
    history: [],
    now: NOW,
    values: fixedValues({}),
  };
  const wideQuestions = [
    'how many entity 150 last month',
    'total 42 by region this year',
    'takings 199 by status in 2025',
    'top 5 entity 10 by value 10',
    'average amount of entity 77 since March',
  ];
  const results = [
    {
      ...(await measure('demo model (5 tables)', new RulesPlanner(), demoBase, DEMO_QUESTIONS, 40)),
      goal: 2,
    },
    {
      ...(await measure(
        'demo model, uploads on, no file',
        new RulesPlanner(),
        { ...demoBase, datasets: noFiles },
        DEMO_QUESTIONS,
        40,
      )),
      goal: 2,
    },
    {
      ...(await measure('generated model (200 tables)', new RulesPlanner(), wideBase, wideQuestions, 40)),
      goal: 10,
    },
  ];
  for (const r of results) {
    const ratio = r.median / r.goal;
    console.log(
      `${r.name.padEnd(30)} plans=${String(r.plans).padStart(5)} (${r.outcomes})  median=${r.median.toFixed(3)} ms  p95=${r.p95.toFixed(3)} ms  max=${r.max.toFixed(2)} ms  goal<${r.goal} ms  ratio=${ratio.toFixed(2)} ${ratio < 1 ? 'OK' : 'OVER'}`,
    );
  }
  return results;
}
