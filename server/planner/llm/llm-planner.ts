// The optional LLM planner: an OpenAI-compatible model turns a question into a QueryPlan (never SQL).
// Its answer is trusted no further than its schema: the plan is parsed with zod and dry-compiled against the
// user's ModelView before it is returned; one retry carries the error back to the model, and anything else
// (a second bad plan, an HTTP error, a timeout) hands the question to the fallback planner.
// Tenant scoping does not depend on any of this: the compiler adds the context filters to every query.
import type { z } from 'zod';
import type { LlmConfig } from '../../config/schema.ts';
import { compileQueryPlan, PlanError } from '../../query/compile.ts';
import { QueryPlan } from '../../query/plan.ts';
import { ModelError, type ModelView } from '../../semantic/model-view.ts';
import type { PlannedTurn, Planner, PlannerInput, PlannerOutcome } from '../types.ts';
import {
  buildSystemPrompt,
  RESPONSE_SCHEMA_NAME,
  ResponseEnvelope,
  readingsOf,
  responseJsonSchema,
} from './model-prompt.ts';
import { type ChatMessage, LlmError, OpenAIClient } from './openai-client.ts';

/** An agent's `llm:` settings; timeoutMs defaults to 30 s. */
export type LlmSettings = z.input<typeof LlmConfig>;

/** pino-compatible */
export interface PlannerLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface LlmPlannerOptions {
  config: LlmSettings;
  /** answers when the model cannot: HTTP errors, timeouts, a plan rejected twice */
  fallback: Planner;
  /** defaults to the global fetch */
  fetch?: typeof fetch;
  log?: PlannerLog;
  /**
   * Checks a schema-valid plan beyond its shape; throw PlanError (or ModelError) to reject it.
   * Defaults to `dryCompile`: compiling it for this user's view, exactly as the answer engine will.
   */
  validate?: (plan: QueryPlan, input: PlannerInput) => void;
  /** how many previous turns of the conversation the model sees (default 6) */
  maxHistory?: number;
}

/**
 * Compiles a plan against the tables of a view, with the view's userContext, and throws PlanError when the
 * compiler refuses it (unknown or hidden table/column, type mismatch, fan-out, ...). The SQL is discarded.
 */
export function dryCompile(plan: QueryPlan, view: ModelView, now: Date, datasets?: ModelView): void {
  const compileFor = (p: QueryPlan, v: ModelView): void => {
    const { id, multiTenant, timeZone, userContext } = v.agent;
    const agentModel = {
      id,
      multiTenant,
      timeZone,
      userContext,
      model: { tables: Object.fromEntries(v.tables) },
    };
    compileQueryPlan(p, agentModel, v.userContext, { dialect: 'sqlite', now });
  };
  const sideView = (p: { source: string }): ModelView => {
    if (p.source !== 'datasets') return view;
    if (!datasets) throw new PlanError('the plan reads uploaded datasets, but this user has none');
    return datasets;
  };
  const { blend, ...own } = plan;
  compileFor(own as QueryPlan, sideView(plan));
  if (blend) compileFor(blend.plan as QueryPlan, sideView(blend.plan));
}

const JSON_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Pulls the text of the `"narrative"` string out of a JSON document while it streams in, so it can be shown
 * as it is written. Feed it every chunk; it returns the newly decoded narrative text (often '').
 */
export class NarrativeStream {
  private buffer = '';
  private pos = -1;
  private finished = false;
  private highSurrogate = '';

  get done(): boolean {
    return this.finished;
  }

  push(chunk: string): string {
    if (this.finished) return '';
    this.buffer += chunk;
    if (this.pos < 0) {
      const start = /"narrative"\s*:\s*"/.exec(this.buffer);
      if (!start) return '';
      this.pos = start.index + start[0].length;
    }
    let out = '';
    const buf = this.buffer;
    while (this.pos < buf.length) {
      const ch = buf[this.pos] as string;
      if (ch === '"') {
        this.finished = true;
        break;
      }
      if (ch !== '\\') {
        out += ch;
        this.pos += 1;
        continue;
      }
      const next = buf[this.pos + 1];
      if (next === undefined) break; // the escape continues in the next chunk
      if (next === 'u') {
        const hex = buf.slice(this.pos + 2, this.pos + 6);
        if (hex.length < 4) break;
        this.pos += 6;
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) continue;
        out += String.fromCharCode(Number.parseInt(hex, 16));
        continue;
      }
      out += JSON_ESCAPES[next] ?? next;
      this.pos += 2;
    }
    // never hand out half of a surrogate pair: keep a trailing high surrogate until its partner arrives
    out = this.highSurrogate + out;
    this.highSurrogate = '';
    const last = out.charCodeAt(out.length - 1);
    if (!this.finished && last >= 0xd800 && last <= 0xdbff) {
      this.highSurrogate = out.slice(-1);
      out = out.slice(0, -1);
    }
    return out;
  }
}

/** The JSON object in a model's output: bare, in a ```json fence, or surrounded by chatter. */
export function extractJsonObject(raw: string): Record<string, unknown> | undefined {
  const candidates: string[] = [];
  const text = raw.trim();
  candidates.push(text);
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fence?.[1]) candidates.push(fence[1].trim());
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  for (const candidate of candidates) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // try the next reading
    }
  }
  return undefined;
}

type Checked = { ok: true; outcome: PlannerOutcome } | { ok: false; error: string };

const MAX_ECHO = 4000;

export class LlmPlanner implements Planner {
  readonly name = 'llm';
  private readonly client: OpenAIClient;
  private readonly fallback: Planner;
  private readonly log?: PlannerLog;
  private readonly validate: (plan: QueryPlan, input: PlannerInput) => void;
  private readonly maxHistory: number;
  private readonly model: string;

  constructor(options: LlmPlannerOptions) {
    const { config } = options;
    this.client = new OpenAIClient(
      {
        baseUrl: config.baseUrl,
        model: config.model,
        apiKey: config.apiKey,
        timeoutMs: config.timeoutMs ?? 30_000,
      },
      options.fetch,
    );
    this.model = config.model;
    this.fallback = options.fallback;
    this.log = options.log;
    this.validate =
      options.validate ?? ((plan, input) => dryCompile(plan, input.view, input.now, input.datasets?.view));
    this.maxHistory = options.maxHistory ?? 6;
  }

  /** the model reads no value lists; the fallback planner, which answers when the model fails, does */
  prepare(input: Pick<PlannerInput, 'view' | 'values'>): Promise<void> {
    return this.fallback.prepare?.(input) ?? Promise.resolve();
  }

  async plan(input: PlannerInput): Promise<PlannerOutcome> {
    const messages = this.messages(input);
    let streamed = false;
    let lastError = '';
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      // the narrative is shown once: a retry streams only if the first attempt showed nothing
      const mayStream = input.onDelta !== undefined && !streamed;
      const narrative = new NarrativeStream();
      let raw: string;
      try {
        raw = await this.client.complete({
          messages,
          schema: responseJsonSchema(),
          schemaName: RESPONSE_SCHEMA_NAME,
          signal: input.signal,
          onContent: mayStream
            ? (chunk) => {
                const text = narrative.push(chunk);
                if (text !== '') {
                  streamed = true;
                  input.onDelta?.(text);
                }
              }
            : undefined,
        });
      } catch (err) {
        if (input.signal?.aborted) throw err;
        const reason =
          err instanceof LlmError && err.kind === 'timeout'
            ? 'the language model did not answer in time'
            : err instanceof LlmError && err.upstreamStatus !== undefined
              ? `the language model service failed (HTTP ${err.upstreamStatus})`
              : 'the language model service could not be reached';
        return this.useFallback(input, reason, err instanceof Error ? err.message : String(err));
      }
      const checked = this.check(raw, input);
      if (checked.ok) return checked.outcome;
      lastError = checked.error;
      this.log?.warn(
        { planner: this.name, model: this.model, attempt, error: checked.error },
        'LLM plan rejected',
      );
      if (attempt === 1) {
        messages.push(
          { role: 'assistant', content: raw.slice(0, MAX_ECHO) },
          {
            role: 'user',
            content:
              `That answer was rejected: ${checked.error}\n` +
              'Answer the same question again with one corrected JSON object that follows the rules and uses only the data model.',
          },
        );
      }
    }
    return this.useFallback(input, 'the language model gave no valid plan', lastError);
  }

  private messages(input: PlannerInput): ChatMessage[] {
    const messages: ChatMessage[] = [
      { role: 'system', content: buildSystemPrompt(input.view, input.now, input.datasets) },
    ];
    const history = this.maxHistory > 0 ? input.history.slice(-this.maxHistory) : [];
    for (const turn of history) messages.push({ role: 'user', content: turn.question }, this.turnReply(turn));
    messages.push({ role: 'user', content: input.question });
    return messages;
  }

  /** A previous turn as the model would have answered it, so follow-ups can build on its plan. */
  private turnReply(turn: PlannedTurn): ChatMessage {
    const reply = turn.plan
      ? {
          narrative: 'Planned as below.',
          outcome: 'plan',
          plan: turn.plan,
          presentation: turn.presentation ?? 'auto',
        }
      : { narrative: 'No query was run for this question.', outcome: 'clarify' };
    return { role: 'assistant', content: JSON.stringify(reply) };
  }

  /** Parses and checks one answer; an error message is what the model is told on its retry. */
  private check(raw: string, input: PlannerInput): Checked {
    const json = extractJsonObject(raw);
    if (!json)
      return { ok: false, error: 'the answer is not a JSON object (write a QueryPlan in JSON, never SQL)' };
    const envelope = ResponseEnvelope.safeParse(json);
    if (!envelope.success) {
      const issue = envelope.error.issues[0];
      return {
        ok: false,
        error: `invalid answer at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      };
    }
    const answer = envelope.data;
    const narrative = answer.narrative?.trim() ?? '';
    const message = answer.message?.trim() || narrative;
    if (answer.outcome === 'clarify') {
      return {
        ok: true,
        outcome: {
          kind: 'clarify',
          message: message || 'Could you say a little more precisely what you would like to know?',
          // labelled choices; plain-string options are what older prompts (and some models) still send
          choices: readingsOf(answer.choices?.length ? answer.choices : answer.options),
        },
      };
    }
    if (answer.outcome === 'unanswerable') {
      return {
        ok: true,
        outcome: {
          kind: 'unanswerable',
          message: message || 'This question cannot be answered from the available data.',
          suggestions: readingsOf(answer.options).map((o) => o.question),
        },
      };
    }
    if (answer.plan === undefined) return { ok: false, error: 'outcome "plan" needs a "plan"' };
    const parsed = QueryPlan.safeParse(answer.plan);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        error: `invalid query plan at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      };
    }
    try {
      this.validate(parsed.data, input);
    } catch (err) {
      if (err instanceof PlanError || err instanceof ModelError) return { ok: false, error: err.message };
      throw err;
    }
    return {
      ok: true,
      outcome: {
        kind: 'plan',
        plan: parsed.data,
        presentation: answer.presentation ?? 'auto',
        notes: narrative === '' ? [] : [narrative],
      },
    };
  }

  private async useFallback(input: PlannerInput, reason: string, detail: string): Promise<PlannerOutcome> {
    this.log?.warn(
      { planner: this.name, model: this.model, fallback: this.fallback.name, reason, detail },
      'LLM planner failed; using the fallback planner',
    );
    const outcome = await this.fallback.plan(input);
    if (outcome.kind !== 'plan') return outcome;
    return {
      ...outcome,
      notes: [
        ...outcome.notes,
        `${capitalise(reason)}, so the built-in ${this.fallback.name} planner answered instead.`,
      ],
    };
  }
}

/**
 * The planner for an agent: an LlmPlanner over `fallback` when the agent has an `llm:` section, else `fallback`.
 * e.g. `createAnswerEngine({ config, planner: (agent) => plannerForAgent(agent, new RulesPlanner()) })`
 */
export function plannerForAgent(
  agent: { config: { llm?: LlmSettings } },
  fallback: Planner,
  options: Omit<LlmPlannerOptions, 'config' | 'fallback'> = {},
): Planner {
  const llm = agent.config.llm;
  return llm ? new LlmPlanner({ ...options, config: llm, fallback }) : fallback;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
