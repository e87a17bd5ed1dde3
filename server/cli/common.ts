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
