// The data summary of an agent: what its semantic model lets people ask about — tables, columns, measures,
// segments — as text (Inconvo's `dataSummary`) and as structure. Only the model, never a value from the database
// (not even a column's configured enum values). Tables the model hides are left out: access off, and on a
// multi-tenant agent any table without a context filter (the engine never exposes those either).
import type { Router } from 'express';
import type { z } from 'zod';
import type { ResolvedAgent } from '../../config/load.ts';
import { type ApiDeps, agentFor } from './context.ts';
import type { DataSummary, DataSummaryTable } from './schemas.ts';

type SummaryTable = z.infer<typeof DataSummaryTable>;

export function dataSummaryRoutes(router: Router, deps: ApiDeps): void {
  router.get('/agents/:agentId/data-summary', (req, res) => {
    const agent = agentFor(deps, req);
    res.json(dataSummary(agent));
  });
}

export function dataSummary(agent: ResolvedAgent): z.infer<typeof DataSummary> {
  const { config, model } = agent;
  const visible = Object.entries(model.tables).filter(
    ([, t]) => t.access !== 'off' && !(config.multiTenant && t.contextFilters.length === 0),
  );
  const visibleNames = new Set(visible.map(([name]) => name));
  const tables: SummaryTable[] = visible.map(([name, t]) => ({
    name,
    ...(t.prompt ? { description: t.prompt.trim() } : {}),
    synonyms: t.synonyms,
    access: t.access === 'joinable' ? 'joinable' : 'queryable',
    ...(t.visibleWhen ? { visibleWhen: t.visibleWhen } : {}),
    columns: [
      ...Object.entries(t.columns).map(([col, c]) => ({
        name: col,
        type: c.type,
        ...(c.description ? { description: c.description } : {}),
        ...(c.unit ? { unit: c.unit } : {}),
        synonyms: c.synonyms,
      })),
      ...Object.entries(t.computed).map(([col, c]) => ({
        name: col,
        type: c.type,
        ...(c.description ? { description: c.description } : {}),
        ...(c.unit ? { unit: c.unit } : {}),
        synonyms: c.synonyms,
        computed: true,
      })),
    ],
    measures: Object.entries(t.measures).map(([m, d]) => ({
      name: m,
      aggregate: d.aggregate,
      ...(d.column ? { column: d.column } : {}),
      ...(d.description ? { description: d.description } : {}),
      ...(d.unit ? { unit: d.unit } : {}),
      synonyms: d.synonyms,
    })),
    segments: Object.entries(t.segments).map(([s, d]) => ({
      name: s,
      ...(d.description ? { description: d.description } : {}),
      synonyms: d.synonyms,
    })),
    relations: Object.entries(t.relations)
      .filter(([, r]) => visibleNames.has(r.table))
      .map(([r, d]) => ({ name: r, table: d.table, kind: d.kind })),
  }));

  return {
    dataSummary: summaryText(agent, tables),
    agent: { id: config.id, ...(config.name ? { name: config.name } : {}) },
    userContext: { ...config.userContext },
    starterQuestions: config.starterQuestions,
    tables,
  };
}

function summaryText(agent: ResolvedAgent, tables: SummaryTable[]): string {
  const { config } = agent;
  const lines: string[] = [];
  lines.push(`${config.name ?? config.id}: ${tables.length} table${tables.length === 1 ? '' : 's'} of data.`);
  const fields = Object.entries(config.userContext);
  if (config.multiTenant && fields.length > 0) {
    lines.push(
      `Every answer is limited to the asking tenant (by ${fields.map(([f, type]) => `${f} (${type})`).join(', ')}).`,
    );
  }
  for (const t of tables) {
    lines.push('');
    const also = t.synonyms.length ? ` (also: ${t.synonyms.join(', ')})` : '';
    lines.push(`${t.name}${also}${t.access === 'joinable' ? ' [reached through other tables]' : ''}`);
    if (t.description) lines.push(`  ${t.description}`);
    if (t.columns.length) {
      const cols = t.columns.map((c) => `${c.name} (${c.type}${c.unit ? `, ${c.unit}` : ''})`);
      lines.push(`  Columns: ${cols.join(', ')}`);
    }
    for (const m of t.measures)
      lines.push(`  Measure ${m.name}: ${m.description ?? `${m.aggregate} of ${m.column ?? 'rows'}`}`);
    for (const s of t.segments) lines.push(`  Segment ${s.name}: ${s.description ?? s.name}`);
  }
  if (config.starterQuestions.length) {
    lines.push('', 'Example questions:');
    for (const q of config.starterQuestions) lines.push(`- ${q}`);
  }
  return lines.join('\n');
}
