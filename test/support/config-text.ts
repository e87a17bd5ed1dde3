// Edits of the repository's parley.config.yaml for tests, done on the YAML document (never by string splicing).
import { parseDocument } from 'yaml';

/** The config text with `allowedOrigins` of one agent replaced (comments and layout kept). */
export function withAllowedOrigins(text: string, origins: string[], agentId = 'demo'): string {
  const doc = parseDocument(text);
  const agents = doc.toJS().agents as Array<{ id: string }>;
  const index = agents.findIndex((a) => a.id === agentId);
  if (index < 0) throw new Error(`the config has no agent "${agentId}"`);
  doc.setIn(['agents', index, 'allowedOrigins'], doc.createNode(origins, { flow: true }));
  return doc.toString();
}

/** The config text with a `datasets:` section and extra host-backend API keys. */
export function withDatasetsConfig(
  text: string,
  datasets: Record<string, unknown> = {},
  apiKeys: Array<{
    key: string;
    agents?: string[];
    name?: string;
    userContext?: Record<string, unknown>;
  }> = [],
): string {
  const doc = parseDocument(text);
  if (Object.keys(datasets).length > 0) doc.set('datasets', doc.createNode(datasets));
  for (const entry of apiKeys) {
    const existing = (doc.getIn(['auth', 'apiKeys']) as unknown) ?? null;
    if (existing === null) doc.setIn(['auth', 'apiKeys'], doc.createNode([]));
    doc.addIn(['auth', 'apiKeys'], doc.createNode(entry));
  }
  return doc.toString();
}

/**
 * The config text with "sales" also a synonym of the demo agent's `product_revenue` (it already names `revenue`):
 * "what were our sales last month" then has two readings, and the embedded planner asks which one is meant.
 */
export function withAmbiguousSales(text: string, agentId = 'demo'): string {
  const doc = parseDocument(text);
  const agents = doc.toJS().agents as Array<{ id: string }>;
  const index = agents.findIndex((a) => a.id === agentId);
  if (index < 0) throw new Error(`the config has no agent "${agentId}"`);
  const path = ['agents', index, 'model', 'tables', 'order_items', 'measures', 'product_revenue', 'synonyms'];
  if (!doc.hasIn(path)) throw new Error(`agent "${agentId}" has no order_items.product_revenue synonyms`);
  doc.addIn(path, 'sales');
  return doc.toString();
}

/** The config text with a top-level section (e.g. `limits`, `server`) merged in (its other keys kept). */
export function withSection(text: string, key: string, value: Record<string, unknown>): string {
  const doc = parseDocument(text);
  for (const [k, v] of Object.entries(value)) doc.setIn([key, k], doc.createNode(v));
  return doc.toString();
}
