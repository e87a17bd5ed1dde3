// "Revenue for organisation 2", "orders for user id 5000": a question that names a tenant other than the caller's,
// or an id the plan does not filter by, is still answered inside the caller's scope (the compiler adds the tenant's
// filters whatever the planner did), but the answer must say so instead of silently answering another question.
// Read from the question text, the agent's declared context fields and table words, the VERIFIED userContext and
// the plan; it never changes the plan, only adds a notice.
import type { AgentConfig } from '../config/schema.ts';
import type { QueryPlan } from '../query/plan.ts';
import type { UserContext } from '../semantic/user-context.ts';

export interface ScopeNotice {
  code: 'outside_scope' | 'filter_not_applied';
  message: string;
}

interface Input {
  question: string;
  agent: Pick<AgentConfig, 'userContext'> & { model?: { tables?: Record<string, TableWords> } };
  userContext: UserContext;
  plan?: QueryPlan;
  /** the caller's tenant as people name it ("Acme Corp"), when the model can say */
  tenantName?: string;
}

interface TableWords {
  synonyms?: string[];
  contextFilters?: Array<{ column: string; field: string }>;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `organisationId` -> ['organisation']; `tenant_id` -> ['tenant'] */
function fieldWords(field: string): string[] {
  const spaced = field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .replace(/\b(id|key|code|number)\b/g, '')
    .trim();
  return spaced === '' ? [] : [spaced];
}

/** The words a question may name a context field's entity by: the field's own words and its table's synonyms. */
function entityWords(field: string, tables: Record<string, TableWords>): string[] {
  const words = new Set(fieldWords(field));
  for (const [name, table] of Object.entries(tables)) {
    if (!table.contextFilters?.some((f) => f.field === field && f.column === 'id')) continue;
    words.add(name.toLowerCase());
    for (const s of table.synonyms ?? []) words.add(s.toLowerCase());
  }
  for (const w of [...words]) {
    if (w.endsWith('s')) words.add(w.slice(0, -1));
    if (w === 'organisation' || w === 'organization')
      for (const x of ['organisation', 'organization', 'org']) words.add(x);
  }
  return [...words].filter((w) => w.length >= 2).sort((a, b) => b.length - a.length);
}

/** "organisation 2", "org id 2", "organisationId=2", "company #2", "tenant no. 2" */
function mentionPattern(words: string[]): RegExp {
  const names = words.map((w) => escapeRegExp(w).replace(/ /g, '[\\s_-]?')).join('|');
  return new RegExp(
    `\\b(?:${names})s?(?:[\\s_-]*(?:id|number|no\\.?))?\\s*(?:[:=#]|is)?\\s*#?\\s*(-?\\d+)\\b`,
    'giu',
  );
}

/** The mention pattern of a context field, made once per model's tables (a model's tables do not change). */
const patterns = new WeakMap<object, Map<string, RegExp>>();
function mentionsOf(field: string, tables: Record<string, TableWords>): RegExp {
  let byField = patterns.get(tables);
  if (!byField) {
    byField = new Map();
    patterns.set(tables, byField);
  }
  let pattern = byField.get(field);
  if (!pattern) {
    pattern = mentionPattern(entityWords(field, tables));
    byField.set(field, pattern);
  }
  return pattern;
}

const ID_MENTION = /\b([a-z][a-z_]{1,30})\s*(?:id|#|number|no\.)\s*[:=]?\s*#?\s*(\d{1,18})\b/giu;

function planMentions(plan: QueryPlan | undefined, value: string): boolean {
  if (!plan) return false;
  return new RegExp(`(?<![\\w.])${escapeRegExp(value)}(?![\\w.])`).test(
    JSON.stringify({ ...plan, limit: undefined }),
  );
}

export function scopeNotice(input: Input): ScopeNotice | undefined {
  const tables = input.agent.model?.tables ?? {};
  const whose = input.tenantName ?? 'your organisation';
  for (const [field, type] of Object.entries(input.agent.userContext)) {
    if (type !== 'integer' && type !== 'string') continue;
    const own = input.userContext[field];
    for (const m of input.question.matchAll(mentionsOf(field, tables))) {
      const value = Number(m[1]);
      // "company 2025 revenue" names a year, not company 2025 (unless it says "id")
      const qualified = /id|#|number|no/i.test(m[0].replace(/\d+$/, '').slice(-12));
      if (!qualified && value >= 1900 && value <= 2100) continue;
      if (String(m[1]) !== String(own)) {
        return {
          code: 'outside_scope',
          message: `I can only see ${whose}'s data, not "${m[0].trim()}": this answer covers ${whose} only.`,
        };
      }
    }
  }
  for (const m of input.question.matchAll(ID_MENTION)) {
    const value = m[2] ?? '';
    if (!planMentions(input.plan, value)) {
      return {
        code: 'filter_not_applied',
        message: `I could not narrow this to "${m[0].trim()}": this answer covers everything I can see for ${whose}.`,
      };
    }
  }
  return undefined;
}

/** The table whose `id` is the context field and which names its rows (organisations.name), for "Acme Corp". */
export function tenantLabelField(agent: {
  userContext: Record<string, string>;
  model?: { tables?: Record<string, TableWords & { labelColumn?: string }> };
}): string | undefined {
  for (const [name, table] of Object.entries(agent.model?.tables ?? {})) {
    if (
      table.labelColumn &&
      table.contextFilters?.some((f) => f.column === 'id' && f.field in agent.userContext)
    )
      return `${name}.${table.labelColumn}`;
  }
  return undefined;
}
