// Helpers shared by the CLI commands: the --config option and config loading with readable errors.
import type { Command } from 'commander';

/** Every command takes --config (the contract); commander keeps it per command so it works after the verb. */
export function withConfigOption(cmd: Command): Command {
  return cmd.option('--config <path>', 'path to parley.config.yaml', './parley.config.yaml');
}

/** Parses repeated `--context key=value` options into a raw object (values stay strings; the agent's types decide). */
export function collectContext(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`--context expects key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** --config given after the verb wins, then one given before it (`parley --config x check`), then the default. */
export function configPathOf(cmd: Command): string {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const source = c.getOptionValueSource('config');
    if (source !== undefined && source !== 'default') return String(c.getOptionValue('config'));
  }
  return String(cmd.getOptionValue('config') ?? './parley.config.yaml');
}

/** --now, else PARLEY_NOW, else the real clock; a value that is not an ISO time is refused. */
export function nowFrom(option: string | undefined, env: NodeJS.ProcessEnv = process.env): Date {
  const text = option ?? env.PARLEY_NOW;
  if (text === undefined || text === '') return new Date();
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new Error(`"${text}" is not an ISO time (e.g. 2026-11-25T12:00:00Z)`);
  return date;
}
