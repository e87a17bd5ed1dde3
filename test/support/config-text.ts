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
