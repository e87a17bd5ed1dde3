// `parley ask`: one question, or a JSONL batch, answered as a tenant on the command line.
import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import type { Answer } from '../answers/answer.ts';
import type { AnswerEngine } from '../answers/engine.ts';
import { USER_IDENTIFIER, USER_IDENTIFIER_RULE } from '../auth/claims.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { DatasetService } from '../datasets/service.ts';
import { userContextFromStrings } from '../semantic/user-context.ts';
import { collectContext, configPathOf, nowFrom, withConfigOption } from './common.ts';
import { formatRows } from './format-rows.ts';

interface AskOptions {
  agent: string;
  user?: string;
  context: Record<string, string>;
  now?: string;
  json?: boolean;
  batch?: string;
}

export function registerAskCommand(program: Command): void {
  withConfigOption(
    program
      .command('ask')
      .description('answer a question (or a JSONL batch) as one user of one tenant')
      .argument('[question]', 'the question, in plain English')
      .requiredOption('--agent <id>', 'agent id')
      .option('--user <userIdentifier>', 'the asking user')
      .option('--context <key=value>', 'userContext field (repeatable)', collectContext, {})
      .option('--now <iso>', 'pin the clock (default: PARLEY_NOW or now)')
      .option('--json', 'print the answer object as JSON')
      .option(
        '--batch <file>',
        'JSONL file of {"id","question","userIdentifier","userContext"}; one answer a line out',
      ),
  ).action(async (question: string | undefined, opts: AskOptions, cmd: Command) => {
    // loaded when the command runs: `parley --help` and the other commands need none of it
    const [{ loadConfig }, { createAnswerEngine }] = await Promise.all([
      import('../config/load.ts'),
      import('../answers/engine.ts'),
    ]);
    const loaded = loadConfig(configPathOf(cmd));
    const agent = loaded.agents.get(opts.agent);
    if (!agent)
      throw new Error(`unknown agent "${opts.agent}" (agents: ${[...loaded.agents.keys()].join(', ')})`);
    const now = nowFrom(opts.now);
    const stored = await openStoreDatasets(loaded);
    const engine = createAnswerEngine({ config: loaded, now: () => now, datasets: stored?.datasets });
    try {
      if (opts.batch) {
        await runBatch(engine, opts.agent, opts.batch, now);
        return;
      }
      if (!question) throw new Error('give a question, or --batch FILE');
      if (!opts.user || !USER_IDENTIFIER.test(opts.user)) {
        throw new Error(`--user is required: ${USER_IDENTIFIER_RULE}`);
      }
      const userContext = userContextFromStrings(agent.config.userContext, opts.context);
      const answer = await engine.ask({
        agentId: opts.agent,
        userContext,
        userIdentifier: opts.user,
        question,
        now,
      });
      process.stdout.write(opts.json ? `${JSON.stringify(answer, null, 2)}\n` : renderAnswer(answer));
      if (answer.type === 'error') process.exitCode = 2;
    } finally {
      await engine.close();
      await stored?.close();
    }
  });
}

/**
 * The uploaded datasets of the configured store (PARLEY_STORE_URL or store.url), so `parley ask` answers as the
 * server would ("the targets in my uploaded file"); undefined when no store is configured (the default store is
 * not created just to ask).
 */
async function openStoreDatasets(
  loaded: LoadedConfig,
): Promise<{ datasets: DatasetService; close(): Promise<void> } | undefined> {
  if (!process.env.PARLEY_STORE_URL && !loaded.config.store?.url) return undefined;
  const [{ ConversationStore }, { createDatasetService, datasetAgentsFromConfig }] = await Promise.all([
    import('../conversations/store.ts'),
    import('../datasets/service.ts'),
  ]);
  const store = await ConversationStore.open(loaded.storeUrl);
  const datasets = createDatasetService({
    db: store.db,
    agents: datasetAgentsFromConfig(loaded),
    settings: loaded.config.datasets,
  });
  return {
    datasets,
    async close() {
      await datasets.close();
      await store.close();
    },
  };
}

async function runBatch(engine: AnswerEngine, agentId: string, file: string, now: Date): Promise<void> {
  if (file !== '-') {
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const input = file === '-' ? process.stdin : fs.createReadStream(file);
  const lines = readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // a batch line may continue an earlier line's conversation by naming the same conversationId
  const conversations = new Map<string, string>();
  let lineNo = 0;
  for await (const line of lines) {
    lineNo += 1;
    if (line.trim() === '') continue;
    let item: {
      id?: unknown;
      question?: unknown;
      userIdentifier?: unknown;
      userContext?: unknown;
      conversationId?: unknown;
    };
    const id = (): string =>
      typeof item?.id === 'string' || typeof item?.id === 'number' ? String(item.id) : `line-${lineNo}`;
    try {
      item = JSON.parse(line);
    } catch {
      item = {};
      process.stdout.write(`${JSON.stringify(errorLine(id(), `line ${lineNo} is not valid JSON`))}\n`);
      continue;
    }
    try {
      if (typeof item.question !== 'string' || item.question.trim() === '')
        throw new Error('"question" must be a non-empty string');
      if (typeof item.userIdentifier !== 'string' || !USER_IDENTIFIER.test(item.userIdentifier)) {
        throw new Error(`"userIdentifier": ${USER_IDENTIFIER_RULE}`);
      }
      const key =
        typeof item.conversationId === 'string' ? `${item.userIdentifier}|${item.conversationId}` : undefined;
      const answer = await engine.ask({
        agentId,
        userContext: item.userContext ?? {},
        userIdentifier: item.userIdentifier,
        question: item.question,
        conversationId: key ? conversations.get(key) : undefined,
        now,
      });
      if (key) conversations.set(key, answer.conversationId);
      process.stdout.write(`${JSON.stringify({ ...answer, id: id() })}\n`);
    } catch (err) {
      process.stdout.write(
        `${JSON.stringify(errorLine(id(), err instanceof Error ? err.message : String(err)))}\n`,
      );
    }
  }
}

function errorLine(id: string, message: string): Answer {
  return { id, conversationId: '', type: 'error', code: 'bad_request', message };
}

export function renderAnswer(answer: Answer): string {
  const parts = [answer.message, ''];
  // a clarification: the readings, numbered, each with the question to ask for it
  if (answer.choices?.length) {
    answer.choices.forEach((c, i) => {
      parts.push(`${i + 1}) ${c.label}`, `   ask: ${c.question}`);
    });
    parts.push('');
  }
  if (answer.table && answer.table.body.length > 1)
    parts.push(formatRows(answer.table.head, answer.table.body));
  if (answer.explanation) parts.push(answer.explanation, '');
  return `${parts.join('\n').trimEnd()}\n`;
}
