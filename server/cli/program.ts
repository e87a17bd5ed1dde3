// The `parley` command line: one module per command group, registered here.
import { Command, CommanderError } from 'commander';
import { registerAskCommand } from './ask.ts';
import { registerCheckCommand } from './check.ts';
import { registerConnectionCommands } from './connection.ts';
import { registerDemoCommand } from './demo.ts';
import { registerMigrateCommand } from './migrate.ts';
import { registerModelCommands } from './model.ts';
import { registerQueryCommand } from './query-plan.ts';
import { registerSchemaCommand } from './schema.ts';
import { registerSeedCommand } from './seed.ts';
import { registerServeCommand } from './serve.ts';
import { registerTokenCommand } from './token.ts';

export function buildProgram(): Command {
  const program = new Command('parley')
    .description('Parley: tenant-safe "chat with your data" for SaaS products')
    .option('--config <path>', 'path to parley.config.yaml', './parley.config.yaml')
    .showHelpAfterError();
  registerSeedCommand(program);
  registerCheckCommand(program);
  registerQueryCommand(program);
  registerAskCommand(program);
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerDemoCommand(program);
  registerTokenCommand(program);
  registerConnectionCommands(program);
  registerModelCommands(program);
  registerSchemaCommand(program);
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`parley: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
