// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config file's interpolation syntax, not a mistaken template
// The JSON Schema of parley.config.yaml, generated from the zod schema, for editors (yaml-language-server).
import { z } from 'zod';
import { DateRange, Filter } from '../query/plan.ts';
import { Agent, Connection, ParleyConfig, Table } from './schema.ts';

export const SCHEMA_FILE = 'docs/parley.config.schema.json';

const EDITOR_HINT =
  'Validation and completion for parley.config.yaml. Editors with yaml-language-server (VS Code YAML, ' +
  'Neovim, JetBrains) pick it up from a first line `# yaml-language-server: $schema=./docs/parley.config.schema.json`. ' +
  'String values may use ${VAR} and ${VAR:-default}. Parley also checks what JSON Schema cannot express: ' +
  'references between agents and connections, time zones; `parley check` checks the models.';

// Descriptions shown on hover; keyed by the zod schema of the property (each shape entry is its own instance).
const DESCRIPTIONS = new Map<unknown, string>([
  [ParleyConfig.shape.store, 'Where conversations and datasets are kept; PARLEY_STORE_URL overrides it.'],
  [ParleyConfig.shape.connections, 'The databases agents query.'],
  [ParleyConfig.shape.agents, 'The assistants: each has a semantic model and queries one connection.'],
  [
    Connection.shape.url,
    'sqlite:///absolute/file.sqlite, sqlite://./relative.sqlite (relative to this file) or mysql://user:pass@host:3306/db',
  ],
  [Connection.shape.shareable, 'A shareable connection can be linked to agents other than its owner.'],
  [Connection.shape.owner, 'The agent that owns this connection; it alone may use it unless shareable.'],
  [Agent.shape.connection, 'The connection this agent queries (parley connection link/unlink edit it).'],
  [Agent.shape.timeZone, 'IANA time zone for calendar units (today, last month, ...).'],
  [
    Agent.shape.multiTenant,
    'true (the default) when one database holds many tenants, each scoped by contextFilters.',
  ],
  [Agent.shape.userContext, 'The fields a session token carries about the user, with their types.'],
  [Agent.shape.model, 'The semantic model inline (or use modelFile).'],
  [Agent.shape.modelFile, 'A YAML file holding the semantic model, relative to this file (or use model).'],
  [
    Table.shape.contextFilters,
    'Tenant scoping: the column must equal (eq) or be one of (in) a userContext field.',
  ],
  [Table.shape.visibleWhen, 'The table is visible only when this boolean userContext field is true.'],
]);

/** JSON Schema (draft-07, the dialect editors support best) describing what may be written in the file. */
export function configJsonSchema(): Record<string, unknown> {
  // named definitions instead of __schema0 for the recursive Filter and what it refers to
  const metadata = z.registry<{ id?: string; description?: string }>();
  metadata.add(Filter, { id: 'Filter' });
  metadata.add(DateRange, { id: 'DateRange' });
  const generated = z.toJSONSchema(ParleyConfig, {
    io: 'input',
    target: 'draft-07',
    metadata,
    override: ({ zodSchema, jsonSchema }) => {
      const description = DESCRIPTIONS.get(zodSchema);
      if (description !== undefined) jsonSchema.description = description;
      // the refine that zod cannot express: exactly one of model and modelFile
      if (zodSchema === (Agent as unknown))
        jsonSchema.oneOf = [{ required: ['model'] }, { required: ['modelFile'] }];
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, title: 'parley.config.yaml', description: EDITOR_HINT, ...rest };
}

/** The exact text of docs/parley.config.schema.json. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
