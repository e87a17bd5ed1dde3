// The agent guide (agent-guide.ts) as plain text, for `parley model show`.
import type { AgentGuide, CheckedQuestion } from './agent-guide.ts';
import { guideTally } from './agent-guide.ts';

const mark = (q: CheckedQuestion) => (q.pass ? 'pass' : 'FAIL');
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
      lines.push(
        `    [${mark(e.example)}] "${e.example.question}"${e.example.why ? `: ${e.example.why}` : ''}`,
      );
    }
  }
  lines.push('', 'Starter questions');
  if (guide.starterQuestions.length === 0) lines.push('  (none)');
  for (const q of guide.starterQuestions)
    lines.push(`  [${mark(q)}] "${q.question}"${q.why ? `: ${q.why}` : ''}`);
  const { passed, total } = guideTally(guide);
  lines.push(
    '',
    `Self-check: ${passed} of ${total} questions read as meant by the embedded planner (planned without tenant data).`,
  );
  return `${lines.join('\n')}\n`;
}
