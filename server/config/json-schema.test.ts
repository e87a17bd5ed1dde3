import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerSchemaCommand } from '../cli/schema.ts';
import { configJsonSchema, configJsonSchemaText, SCHEMA_FILE } from './json-schema.ts';
import { ParleyConfig } from './schema.ts';

const root = path.resolve(import.meta.dirname, '../..');

type Schema = Record<string, unknown>;

const KNOWN = new Set([
  ...['$schema', 'title', 'description', 'default', 'definitions', 'format', '$ref', 'type', 'enum', 'const'],
  ...['pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  ...['minItems', 'maxItems', 'items', 'properties', 'required', 'additionalProperties', 'propertyNames'],
  ...['anyOf', 'oneOf', 'allOf', 'not'],
]);

/**
 * A small draft-07 validator for the keywords the generated schema uses. It throws on any other keyword,
 * so a schema change that it does not understand fails the test instead of passing silently.
 */
function validate(schema: Schema, value: unknown, rootSchema: Schema = schema, at = '$'): string[] {
  for (const key of Object.keys(schema))
    if (!KNOWN.has(key)) throw new Error(`validator: unknown keyword ${key}`);
  const errors: string[] = [];
  const fail = (why: string) => errors.push(`${at}: ${why}`);
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(/^#\/definitions\//, '');
    const target = (rootSchema.definitions as Record<string, Schema> | undefined)?.[name];
    if (!target) throw new Error(`validator: unresolved $ref ${schema.$ref}`);
    errors.push(...validate(target, value, rootSchema, at));
  }
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  if (schema.type !== undefined) {
    const types = ([] as unknown[]).concat(schema.type);
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
      fail(`expected ${types.join('|')}, got ${actual}`);
      return errors;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) fail(`not one of ${schema.enum.join('|')}`);
  if ('const' in schema && schema.const !== value) fail(`expected ${String(schema.const)}`);
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) fail('pattern');
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) fail('too short');
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) fail('too long');
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail('below minimum');
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail('above maximum');
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      fail('not above minimum');
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
      fail('not below maximum');
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail('too few items');
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail('too many items');
    if (schema.items) {
      for (const [i, v] of value.entries())
        errors.push(...validate(schema.items as Schema, v, rootSchema, `${at}[${i}]`));
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required as string[] | undefined) ?? [])
      if (!(key in obj)) fail(`missing ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      if (schema.propertyNames)
        errors.push(...validate(schema.propertyNames as Schema, key, rootSchema, `${at}.${key}(name)`));
      const propSchema = props[key];
      if (propSchema) errors.push(...validate(propSchema, v, rootSchema, `${at}.${key}`));
      else if (schema.additionalProperties === false) fail(`unknown key ${key}`);
      else if (typeof schema.additionalProperties === 'object') {
        errors.push(...validate(schema.additionalProperties as Schema, v, rootSchema, `${at}.${key}`));
      }
    }
  }
  const passing = (list: unknown) =>
    (list as Schema[]).filter((s) => validate(s, value, rootSchema, at).length === 0);
  if (schema.anyOf && passing(schema.anyOf).length === 0) fail('matches no anyOf branch');
  if (schema.oneOf && passing(schema.oneOf).length !== 1)
    fail(`matches ${passing(schema.oneOf).length} oneOf branches`);
  if (schema.allOf)
    for (const s of schema.allOf as Schema[]) errors.push(...validate(s, value, rootSchema, at));
  if (schema.not && validate(schema.not as Schema, value, rootSchema, at).length === 0) fail('matches not');
  return errors;
}

const HAND_WRITTEN = `# yaml-language-server: $schema=./docs/parley.config.schema.json
version: 1
server: { port: 3210 }
connections:
  - id: demo
    url: \${DATABASE_URL:-sqlite://./data/demo.sqlite}
    owner: demo
agents:
  - id: demo
    connection: demo
    userContext: { organisationId: integer }
    model:
      tables:
        orders:
          timeColumn: created_at
          contextFilters: [ { column: organisation_id, field: organisationId } ]
          columns:
            organisation_id: { type: integer }
            status: { type: string, values: [ completed, cancelled ] }
            total_amount: { type: number }
            created_at: { type: datetime }
          measures:
            revenue:
              aggregate: sum
              column: total_amount
              filter:
                op: and
                filters:
                  - { op: eq, field: orders.status, value: completed }
                  - { op: not, filter: { op: dateRange, field: orders.created_at, range: { kind: last, unit: day, n: 1 } } }
`;

describe('configJsonSchema', () => {
  it('is the checked-in docs/parley.config.schema.json (regenerate with npm run schema)', () => {
    expect(fs.readFileSync(path.join(root, SCHEMA_FILE), 'utf8')).toBe(configJsonSchemaText());
  });

  it('is a draft-07 schema titled parley.config.yaml whose $refs all resolve', () => {
    const schema = configJsonSchema();
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('parley.config.yaml');
    expect(schema.description).toContain('# yaml-language-server: $schema=./docs/parley.config.schema.json');
    const definitions = schema.definitions as Record<string, unknown>;
    const refs = [...JSON.stringify(schema).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(definitions).toHaveProperty(ref as string);
    // the recursive Filter refers to itself
    expect(JSON.stringify(definitions.Filter)).toContain('"$ref":"#/definitions/Filter"');
  });

  it('accepts a hand-written config, the repository config and the examples/ configs', () => {
    const schema = configJsonSchema();
    expect(validate(schema, parse(HAND_WRITTEN))).toEqual([]);
    const files = [
      'parley.config.yaml',
      ...['shared-multi-tenant', 'linked-connection', 'dedicated-database'].map((n) => `examples/${n}.yaml`),
    ];
    for (const name of files) {
      const doc = parse(fs.readFileSync(path.join(root, name), 'utf8'));
      expect(validate(schema, doc), name).toEqual([]);
      expect(ParleyConfig.safeParse(doc).success, name).toBe(true);
    }
  });

  it('rejects what the zod schema rejects: unknown keys, bad enums, model and modelFile together', () => {
    const schema = configJsonSchema();
    const base = parse(HAND_WRITTEN) as { agents: Array<Record<string, unknown>> };
    const variants: Array<[string, (c: typeof base) => void]> = [
      ['unknown key', (c) => Object.assign(c.agents[0] ?? {}, { colour: 'blue' })],
      [
        'bad access',
        (c) => Object.assign(c.agents[0] ?? {}, { model: { tables: { t: { access: 'x', columns: {} } } } }),
      ],
      ['both models', (c) => Object.assign(c.agents[0] ?? {}, { modelFile: 'm.yaml' })],
      ['no model', (c) => delete c.agents[0]?.model],
      [
        'bad filter op',
        (c) =>
          Object.assign(c.agents[0] ?? {}, {
            model: { tables: { t: { columns: {}, segments: { s: { filter: { op: 'like' } } } } } },
          }),
      ],
      ['no agents', (c) => Object.assign(c, { agents: [] })],
    ];
    for (const [name, change] of variants) {
      const config = parse(HAND_WRITTEN) as typeof base;
      change(config);
      expect(validate(schema, config), name).not.toEqual([]);
      expect(ParleyConfig.safeParse(config).success, name).toBe(false);
    }
  });
});

describe('parley schema', () => {
  it('prints the schema text', async () => {
    let printed = '';
    const program = new Command().exitOverride();
    registerSchemaCommand(program, (text) => {
      printed += text;
    });
    await program.parseAsync(['schema'], { from: 'user' });
    expect(printed).toBe(configJsonSchemaText());
    expect(JSON.parse(printed).title).toBe('parley.config.yaml');
  });
});
