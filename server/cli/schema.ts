// `parley schema`: prints the JSON Schema of parley.config.yaml (the source of docs/parley.config.schema.json).
// The command layer of config/schema.ts (the config schema itself), hence the same name.
import type { Command } from 'commander';
import { withConfigOption } from './common.ts';

export function registerSchemaCommand(
  program: Command,
  stdout: (text: string) => void = (text) => void process.stdout.write(text),
): Command {
  return withConfigOption(
    program
      .command('schema')
      .description('print the JSON Schema of parley.config.yaml (for editors; --config is ignored)')
      .addHelpText(
        'after',
        '\nEditors with yaml-language-server use it when the config starts with the line\n' +
          '  # yaml-language-server: $schema=./docs/parley.config.schema.json\n' +
          'Regenerate the checked-in copy with: npm run schema',
      ),
  ).action(async () => {
    // loaded when the command runs: `parley --help` and the other commands need none of it
    const { configJsonSchemaText } = await import('../config/json-schema.ts');
    stdout(configJsonSchemaText());
  });
}
