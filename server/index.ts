// The server package's public entry: what a host backend or an embedding program imports.

export type { Answer, AnswerChoice } from './answers/answer.ts';
export { createAnswerEngine } from './answers/engine.ts';
export { createApp } from './app.ts';
export { mintSessionToken } from './auth/session-token.ts';
export { loadConfig, parseConfig } from './config/load.ts';
export { type AppDeps, type AppServices, createAppDeps } from './deps.ts';
export { startServer } from './main.ts';
export { compileQueryPlan } from './query/compile.ts';
export type { QueryPlan } from './query/plan.ts';
