// The answer engine: question -> planner -> compiler -> database -> composed answer, per agent and tenant.
import { randomUUID } from 'node:crypto';
import { type Owner, ownerKey } from '../auth/owner.ts';
import type { LoadedConfig, ResolvedAgent } from '../config/load.ts';
import { type DatasetRunner, rowsCalled } from '../datasets/query.ts';
import type { DatasetService } from '../datasets/service.ts';
import { parseDatabaseUrl } from '../db/connect.ts';
import { plannerForAgent } from '../planner/llm/llm-planner.ts';
import { emptyDatasetContext } from '../planner/rules/dataset-questions.ts';
import { RulesPlanner } from '../planner/rules/rules-planner.ts';
import type { DatasetPlanningContext, PlannedTurn, Planner, ValueLookup } from '../planner/types.ts';
import { blendResults, type QueryOutcome } from '../query/blend.ts';
import { type AgentModel, type CompiledQuery, compileQueryPlan, PlanError } from '../query/compile.ts';
import {
  createQueryRunner,
  QueryFailedError,
  type QueryRunner,
  QueryTimeoutError,
} from '../query/execute.ts';
import { parseFieldRef, type QueryPlan, tableOf } from '../query/plan.ts';
import { ModelView } from '../semantic/model-view.ts';
import { contextKey, type UserContext, validateUserContext } from '../semantic/user-context.ts';
import type { Answer } from './answer.ts';
import { composeAnswer, composeClarification } from './compose.ts';
import { UnknownAgentError, UnknownConversationError } from './engine-errors.ts';
import { humanise } from './format.ts';
import { likeForLikePlan } from './like-for-like.ts';
import { modelWords } from './model-words.ts';
import { attachAlternatives, type FoundAlternatives, findAlternatives } from './read-as-alternatives.ts';
import { scopeNotice, tenantLabelField } from './scope-notice.ts';
import { suggestionsAsQuestions } from './suggestions.ts';
import { ValueLists } from './value-lists.ts';
import { placeholderContext, warmUpAgent } from './warm-up.ts';

export type ProgressStage = 'planning' | 'querying' | 'composing';

export interface AskInput {
  agentId: string;
  userContext: unknown;
  /** the asking user, from a verified token or the host backend; needed to see their uploaded datasets */
  userIdentifier?: string;
  question: string;
  conversationId?: string;
  /** the caller has just started `conversationId` with this question: there are no earlier turns to read */
  newConversation?: boolean;
  now?: Date;
  signal?: AbortSignal;
  onProgress?: (stage: ProgressStage) => void;
  onDelta?: (text: string) => void;
}

/**
 * Where a conversation's earlier turns live; the BFF swaps in its database-backed store. Scoped by the tenant half of
 * the Owner (agent and tenant context): the engine may be asked without a user.
 */
export interface ConversationMemory {
  /** the turns of a conversation owned by exactly this agent and tenant, or undefined */
  turns(
    conversationId: string,
    owner: Pick<Owner, 'agentId' | 'userContext'>,
  ): Promise<PlannedTurn[] | undefined>;
  append(
    conversationId: string,
    owner: Pick<Owner, 'agentId' | 'userContext'>,
    turn: PlannedTurn,
  ): Promise<void>;
}

export { UnknownAgentError, UnknownConversationError } from './engine-errors.ts';

/** Every row of a stored answer's plan, for its full CSV export: the asker's context, the answer's clock. */
export interface ExportInput {
  agentId: string;
  userContext: unknown;
  plan: QueryPlan;
  /** the moment the answer was asked, so that "last month" selects the same rows */
  now: Date;
  /** the most rows to return; one more is read to tell that there were more */
  maxRows: number;
  signal?: AbortSignal;
}

export interface AnswerEngine {
  ask(input: AskInput): Promise<Answer>;
  /** optional so that test doubles of the engine need not implement it; the real engine always does */
  exportRows?(input: ExportInput): Promise<QueryOutcome>;
  /** resolves when every linked agent's database answers */
  ping(): Promise<void>;
  /** plans, compiles and composes a few questions of each agent's model without running them (warm-up.ts) */
  warmUp?(budgetMs: number): Promise<{ planned: number; failed: number }>;
  /**
   * Reads a tenant's value lists and has the planner index them, ahead of the tenant's first question (a socket or
   * a conversation just opened): that question then waits for neither. Never rejects.
   */
  prepare?(input: { agentId: string; userContext: unknown }): Promise<void>;
  close(): Promise<void>;
}

export interface EngineOptions {
  config: LoadedConfig;
  now?: () => Date;
  /** the planner for an agent; default: the LLM planner when configured, else the embedded rules planner */
  planner?: (agent: ResolvedAgent) => Planner;
  memory?: ConversationMemory;
  /** uploaded datasets the planners may read and blend with the database */
  datasets?: Pick<DatasetService, 'runnerFor'>;
}

/** Adds a scope notice (scope-notice.ts) to an answer, naming the caller's tenant when the model can. */
async function withScopeNotice(
  answer: Answer,
  input: Parameters<typeof scopeNotice>[0] & { values: ValueLookup },
): Promise<Answer> {
  if (!scopeNotice(input)) return answer;
  const field = tenantLabelField(input.agent as Parameters<typeof tenantLabelField>[0]);
  let tenantName: string | undefined;
  if (field) {
    // the label table may be joinable only (not queryable alone): then there is no name, and the notice says "your"
    const names = await Promise.resolve()
      .then(() => input.values.values(field, 2))
      .catch((): string[] => []);
    if (names.length === 1) tenantName = names[0];
  }
  const notice = scopeNotice({ ...input, ...(tenantName ? { tenantName } : {}) });
  if (!notice) return answer;
  // an error answer keeps its own reason after the notice's first sentence
  const message = answer.type === 'error' ? notice.message.replace(/: this answer .*$/, '.') : notice.message;
  return { ...answer, notice: { ...notice, message }, message: `${message} ${answer.message}` };
}

export function createAnswerEngine(options: EngineOptions): AnswerEngine {
  const { config } = options;
  const clock = options.now ?? (() => new Date());
  const memory = options.memory ?? new InMemoryConversations();
  const runners = new Map<string, QueryRunner>();
  const planners = new Map<string, Planner>();
  const valueLists = new ValueLists();

  const runnerFor = (agent: ResolvedAgent): QueryRunner => {
    const conn = agent.connection;
    if (!conn) throw new UnknownAgentError(`agent "${agent.config.id}" is not linked to a connection`);
    let runner = runners.get(conn.id);
    if (!runner) {
      runner = createQueryRunner(conn.url, {
        statementTimeoutMs: conn.statementTimeoutMs,
        poolMax: conn.pool?.max,
      });
      runners.set(conn.id, runner);
    }
    return runner;
  };
  const plannerFor = (agent: ResolvedAgent): Planner => {
    let planner = planners.get(agent.config.id);
    if (!planner) {
      // an agent with an `llm:` section plans with the model and falls back to the rules
      planner = options.planner?.(agent) ?? plannerForAgent(agent, new RulesPlanner());
      planners.set(agent.config.id, planner);
    }
    return planner;
  };

  /** The tenant's value lists for the planner, each read through the tenant-scoped compiler when not held. */
  const valuesOf = (agent: ResolvedAgent, userContext: UserContext, now: Date): ValueLookup => {
    const runner = runnerFor(agent);
    const agentModel: AgentModel = { ...agent.config, model: agent.model };
    const dialect = parseDatabaseUrl(agent.connection?.url ?? '').dialect;
    return valueLists.lookup(`${agent.config.id}|${contextKey(userContext)}`, async (field, limit) => {
      const plan = { version: 1, table: tableOf(field), dimensions: [{ field }], limit };
      const compiled = compileQueryPlan(plan, agentModel, userContext, { dialect, now, maxRows: limit });
      const result = await runner.run(compiled);
      return result.rows.map((row) => String(row[0] ?? '')).filter(Boolean);
    });
  };

  return {
    async ask(input) {
      const agent = config.agents.get(input.agentId);
      if (!agent) throw new UnknownAgentError(`unknown agent "${input.agentId}"`);
      const userContext = validateUserContext(agent.config.userContext, input.userContext);
      const owner: Pick<Owner, 'agentId' | 'userContext'> = { agentId: agent.config.id, userContext };
      const conversationId = input.conversationId ?? randomUUID();
      let history: PlannedTurn[] = [];
      if (input.conversationId && !input.newConversation) {
        const turns = await memory.turns(input.conversationId, owner);
        if (!turns) throw new UnknownConversationError('conversation not found');
        history = turns;
      }
      const now = input.now ?? clock();
      const runner = runnerFor(agent);
      const dialect = parseDatabaseUrl(agent.connection?.url ?? '').dialect;
      const agentModel: AgentModel = { ...agent.config, model: agent.model };
      const view = new ModelView(agent.config, agent.model, userContext);
      const values = valuesOf(agent, userContext, now);
      const id = randomUUID();
      const base = { id, conversationId };
      // the user's uploaded datasets, leased for this answer so a replaced file is never read half-way
      const lease: DatasetRunner | undefined =
        options.datasets && input.userIdentifier
          ? await options.datasets.runnerFor(
              { agentId: agent.config.id, userIdentifier: input.userIdentifier, userContext },
              { timeZone: agent.config.timeZone, reservedTables: Object.keys(agent.model.tables) },
            )
          : undefined;
      try {
        input.onProgress?.('planning');
        // with the datasets feature on, a user without files still gets a (empty) context: a question about "my
        // uploaded file" is then refused as such rather than answered from the database alone
        const planningDatasets = lease
          ? datasetContext(lease, agent.config.timeZone)
          : options.datasets && input.userIdentifier
            ? emptyDatasetContext(agent.config.timeZone)
            : undefined;
        const outcome = await plannerFor(agent).plan({
          question: input.question,
          view,
          history,
          now,
          values,
          datasets: planningDatasets,
          signal: input.signal,
          onDelta: input.onDelta,
        });
        if (outcome.kind !== 'plan') {
          await memory.append(conversationId, owner, { question: input.question });
          if (outcome.kind === 'clarify') {
            return {
              ...base,
              ...composeClarification({
                message: outcome.message,
                choices: outcome.choices,
                question: input.question,
              }),
            };
          }
          return {
            ...base,
            type: 'error',
            message: outcome.message,
            code: 'unanswerable',
            suggestions: await suggestionsAsQuestions(outcome.suggestions, plannerFor(agent), {
              view,
              now,
              values,
              datasets: planningDatasets,
              signal: input.signal,
            }),
          };
        }
        // each side is compiled against its own model: tenant-scoped database, or this user's datasets only
        const prepare = (plan: QueryPlan, countRows = false): PreparedQuery => {
          if (plan.source === 'datasets') {
            if (!lease) throw new PlanError('the plan reads uploaded datasets, but this user has none');
            const compiled = compileQueryPlan(
              plan,
              lease.agent,
              {},
              { dialect: 'sqlite', now, maxRows: agent.connection?.maxRows, countRows },
            );
            return {
              compiled,
              run: async () => ({
                compiled,
                result: await lease.runner().run(compiled, { signal: input.signal }),
              }),
            };
          }
          const compiled = compileQueryPlan(plan, agentModel, userContext, {
            dialect,
            now,
            maxRows: agent.connection?.maxRows,
            countRows,
          });
          return {
            compiled,
            run: async () => ({ compiled, result: await runner.run(compiled, { signal: input.signal }) }),
          };
        };
        let answer: Answer;
        try {
          const plan = outcome.plan;
          input.onProgress?.('querying');
          const { blend, ...own } = plan;
          const main = prepare({ ...own } as QueryPlan);
          const side = blend ? prepare(blend.plan as QueryPlan) : undefined;
          // a running period compared with whole ones: the same elapsed days too, by the same compiler
          const even = blend ? undefined : likeForLikePlan(main.compiled.plan, now, agent.config.timeZone);
          const evenQuery = even ? prepare(even.plan) : undefined;
          // an answer's statements run at once, each on a connection of its own
          const running = Promise.allSettled([main.run(), side?.run(), evenQuery?.run()]);
          const words = outcome.words;
          // each alternative is one more planning; the embedded planner's are cheap, a model's would not be. They
          // come from the plan, not its rows, so they are found while the statements run
          const alternatives =
            // (a file's plan lists only the columns it left out: its readings are not offered again)
            words && plannerFor(agent).name === 'rules' && plan.source !== 'datasets'
              ? afterStatementsStart(() =>
                  findAlternatives({
                    question: input.question,
                    plan,
                    presentation: outcome.presentation,
                    words,
                    planner: plannerFor(agent),
                    input: { view, history, now, values, datasets: planningDatasets, signal: input.signal },
                  }),
                )
              : undefined;
          const [mainRows, sideRows, evenRows] = firstFailure(await running);
          let outcomeRows = mainRows as QueryOutcome;
          if (sideRows) outcomeRows = blendResults(plan, outcomeRows, sideRows);
          const likeForLike = even && evenRows ? { info: even, ...evenRows } : undefined;
          // a listing cut at the row cap: the true total, counted under the same plan and filters
          const total =
            outcomeRows.result.truncated && !blend
              ? Number((await prepare({ ...own } as QueryPlan, true).run()).result.rows[0]?.[0] ?? 0)
              : undefined;
          input.onProgress?.('composing');
          const composed = composeAnswer({
            compiled: outcomeRows.compiled,
            result: outcomeRows.result,
            presentation: outcome.presentation,
            question: input.question,
            notes: outcome.notes,
            timeZone: agent.config.timeZone,
            // a file's fields are described by the files' model, the data's by the tenant's view
            ...modelWords(
              outcomeRows.compiled.plan.source === 'datasets' && planningDatasets
                ? planningDatasets.view
                : view,
            ),
            // a file's rows go by what its first column identifies ("51 responses", not "51 survey")
            ...(outcomeRows.compiled.plan.source === 'datasets' && lease
              ? { tableLabel: (t: string) => rowsCalled(lease.datasets, t) ?? humanise(t) }
              : {}),
            likeForLike,
            total,
          });
          answer = { ...base, ...composed };
          if (words?.unusedWords.length) answer.unusedWords = words.unusedWords;
          if (alternatives && composed.readAs) {
            // alternatives are extras: if finding them failed, the answer keeps its chips without them
            const found = await alternatives;
            if ('error' in found && input.signal?.aborted) throw found.error;
            if ('found' in found) answer.readAs = attachAlternatives(composed.readAs, plan, found.found);
          }
        } catch (err) {
          if (err instanceof PlanError) {
            answer = {
              ...base,
              type: 'error',
              code: err.code,
              message: `I couldn't answer that from this data: ${err.message}.`,
              plan: outcome.plan,
            };
          } else if (err instanceof QueryTimeoutError || err instanceof QueryFailedError) {
            answer = {
              ...base,
              type: 'error',
              code: err.code,
              message:
                err instanceof QueryTimeoutError
                  ? 'The query took too long and was stopped.'
                  : 'The query failed.',
              plan: outcome.plan,
            };
          } else throw err;
        }
        answer = await withScopeNotice(answer, {
          question: input.question,
          agent: { userContext: agent.config.userContext, model: agent.model },
          userContext,
          plan: outcome.plan,
          values,
        });
        await memory.append(conversationId, owner, {
          question: input.question,
          plan: outcome.plan,
          presentation: outcome.presentation,
        });
        return answer;
      } finally {
        lease?.release();
      }
    },
    async prepare(input) {
      try {
        const agent = config.agents.get(input.agentId);
        if (!agent?.connection) return;
        const userContext = validateUserContext(agent.config.userContext, input.userContext);
        const view = new ModelView(agent.config, agent.model, userContext);
        await plannerFor(agent).prepare?.({ view, values: valuesOf(agent, userContext, clock()) });
      } catch {
        // ahead of need only: the question itself reads what is missing, and says what failed
      }
    },
    async exportRows(input) {
      const agent = config.agents.get(input.agentId);
      if (!agent) throw new UnknownAgentError(`unknown agent "${input.agentId}"`);
      const userContext = validateUserContext(agent.config.userContext, input.userContext);
      // an uploaded file's answer or a blend is exported from the rows it showed, not re-run here
      if (input.plan.source === 'datasets' || input.plan.blend)
        throw new PlanError('only answers from the database can be exported in full');
      const compiled = compileQueryPlan(input.plan, { ...agent.config, model: agent.model }, userContext, {
        dialect: parseDatabaseUrl(agent.connection?.url ?? '').dialect,
        now: input.now,
        maxRows: input.maxRows,
      });
      return { compiled, result: await runnerFor(agent).run(compiled, { signal: input.signal }) };
    },
    async warmUp(budgetMs) {
      const deadline = performance.now() + budgetMs;
      const total = { planned: 0, failed: 0 };
      for (const agent of config.agents.values()) {
        if (!agent.connection) continue;
        const dialect = parseDatabaseUrl(agent.connection.url).dialect;
        const userContext = placeholderContext(agent.config.userContext);
        const view = new ModelView(agent.config, agent.model, userContext);
        const agentModel: AgentModel = { ...agent.config, model: agent.model };
        const now = clock();
        // a model's planner is never asked here: it is the rules planner's code that is cold, and its caches
        const own = plannerFor(agent);
        const planner = own.name === 'rules' ? own : new RulesPlanner();
        const done = await warmUpAgent({
          planner,
          view,
          now,
          deadline,
          prepare(outcome, question) {
            const compiled = compileQueryPlan(outcome.plan, agentModel, userContext, {
              dialect,
              now,
              maxRows: agent.connection?.maxRows,
            });
            composeAnswer({
              compiled,
              result: { columns: compiled.columns, rows: [], truncated: false, durationMs: 0 },
              presentation: outcome.presentation,
              question,
              notes: outcome.notes,
              timeZone: agent.config.timeZone,
              ...modelWords(view),
            });
          },
        });
        total.planned += done.planned;
        total.failed += done.failed;
      }
      return total;
    },
    async ping() {
      const linked = [...config.agents.values()].filter((a) => a.connection);
      await Promise.all(linked.map((a) => runnerFor(a).ping()));
    },
    async close() {
      await Promise.all([...runners.values()].map((r) => r.close()));
      runners.clear();
    },
  };
}

/** A compiled statement of an answer, not yet run. */
interface PreparedQuery {
  compiled: CompiledQuery;
  run(): Promise<QueryOutcome>;
}

/** The values of settled runs in order, or the error of the first that failed (the one a run in turn would meet). */
function firstFailure<T>(settled: PromiseSettledResult<T>[]): T[] {
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * `find` once the answer's statements are on their way: a macrotask runs after the microtasks that hand them to their
 * connections, so the planning done meanwhile does not hold them back. Never rejects: the error comes as a value.
 */
function afterStatementsStart(
  find: () => Promise<FoundAlternatives>,
): Promise<{ found: FoundAlternatives } | { error: unknown }> {
  return new Promise<void>((resolve) => setImmediate(resolve)).then(find).then(
    (found) => ({ found }),
    (error: unknown) => ({ error }),
  );
}

/** What planners see of the user's datasets: the model of their tables and their small value lists. */
function datasetContext(lease: DatasetRunner, timeZone: string): DatasetPlanningContext {
  const view = new ModelView(
    { id: lease.agent.id, multiTenant: false, timeZone, userContext: {} },
    lease.model,
    {},
  );
  const values: ValueLookup = {
    async values(field) {
      const { table, column } = parseFieldRef(field);
      const dataset = lease.datasets.find((d) => d.table === table);
      return dataset?.columns.find((c) => c.name === column)?.values ?? [];
    },
  };
  return {
    view,
    values,
    datasets: lease.datasets.map((d) => ({
      table: d.table,
      name: d.name,
      notes: d.notes,
      rows: d.rowCount,
      columns: d.columns.map((c) => ({
        name: c.name,
        header: c.header,
        type: c.type,
        ...(c.grain ? { grain: c.grain } : {}),
      })),
    })),
  };
}

/** Conversation turns kept in this process only (the CLI and tests); owners are checked on every read. */
export class InMemoryConversations implements ConversationMemory {
  private readonly store = new Map<string, { owner: string; turns: PlannedTurn[] }>();

  async turns(
    conversationId: string,
    owner: Pick<Owner, 'agentId' | 'userContext'>,
  ): Promise<PlannedTurn[] | undefined> {
    const entry = this.store.get(conversationId);
    if (!entry) return undefined;
    return entry.owner === ownerKey(owner) ? [...entry.turns] : undefined;
  }

  async append(
    conversationId: string,
    owner: Pick<Owner, 'agentId' | 'userContext'>,
    turn: PlannedTurn,
  ): Promise<void> {
    const key = ownerKey(owner);
    const entry = this.store.get(conversationId);
    if (entry && entry.owner !== key) throw new UnknownConversationError('conversation not found');
    if (entry) entry.turns.push(turn);
    else this.store.set(conversationId, { owner: key, turns: [turn] });
  }
}
