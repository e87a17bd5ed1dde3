// The agent guide (agent-guide.ts) as plain text, for `parley model show`.
import { type AgentGuide, type CheckedQuestion, guideSummary } from './agent-guide.ts';

const mark = (q: CheckedQuestion) => (q.pass ? 'pass' : 'FAIL');
/** what the check found: the planner's or the answer's reason for a FAIL, the answer's shape for a pass that ran */
const detail = (q: CheckedQuestion) =>
  q.why
    ? `: ${q.why}`
    : q.ran
      ? ` -> ${q.ran.type}${q.ran.rows !== undefined ? `, ${q.ran.rows} ${q.ran.rows === 1 ? 'row' : 'rows'}` : ''}`
      : '';
const also = (synonyms: readonly string[]) => (synonyms.length > 0 ? ` (also: ${synonyms.join(', ')})` : '');

export function agentGuideText(guide: AgentGuide): string {
  const lines: string[] = [];
  const fields = Object.entries(guide.userContext).map(([k, t]) => `${k}: ${t}`);
  lines.push(`${guide.id}${guide.name ? `: ${guide.name}` : ''}`);
  lines.push(
    `  ${guide.multiTenant ? `multi-tenant, userContext { ${fields.join(', ')} }` : 'single tenant'}; connection ${guide.connection ?? '(not linked)'}`,
  );
  lines.push('', 'Tables');
  for (const t of guide.tables) {
    lines.push(`  ${t.name} [${t.access}]${also(t.synonyms)}`);
    if (t.prompt) lines.push(`    ${t.prompt}`);
    for (const c of t.columns) {
      lines.push(`    - ${c.name}: ${c.type}${c.description ? `, ${c.description}` : ''}${also(c.synonyms)}`);
    }
  }
  for (const [title, entries] of [
    ['Measures', guide.measures],
    ['Segments', guide.segments],
  ] as const) {
    lines.push('', title);
    if (entries.length === 0) lines.push('  (none)');
    for (const e of entries) {
      lines.push(`  ${e.ref}${e.description ? `: ${e.description}` : ''}${also(e.synonyms)}`);
      lines.push(`    [${mark(e.example)}] "${e.example.question}"${detail(e.example)}`);
    }
  }
  lines.push('', 'Starter questions');
  if (guide.starterQuestions.length === 0) lines.push('  (none)');
  for (const q of guide.starterQuestions) lines.push(`  [${mark(q)}] "${q.question}"${detail(q)}`);
  lines.push('', guideSummary(guide, 'give --context key=value'));
  return `${lines.join('\n')}\n`;
}
