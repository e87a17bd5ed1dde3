// The yaml package, for what js-yaml does not do: where in the file a config mistake is, and model files written
// with their layout. Required when first needed, not imported: most starts read a config without a mistake, and the
// built server would otherwise read and compile its 160 KB before `parley serve` listens (scripts/bundle-server.mjs).
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

export function yamlLibrary(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}
