import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config/load.ts';
import { allowDemoHostPort } from './host-origins.ts';

const CONFIG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'parley.config.yaml');
const origins = (loaded: ReturnType<typeof loadConfig>, id: string): string[] =>
  loaded.agents.get(id)?.config.allowedOrigins ?? [];

describe('the demo host on another port', () => {
  it('is allowed for the agents that allow the demo host on its default port, and only for those', () => {
    const loaded = loadConfig(CONFIG);
    const before = new Map([...loaded.agents.keys()].map((id) => [id, [...origins(loaded, id)]]));
    const widened = allowDemoHostPort(loaded, 3300);
    expect(widened).toContain('demo');
    for (const [id, was] of before) {
      if (widened.includes(id))
        expect(origins(loaded, id)).toEqual([...was, 'http://localhost:3300', 'http://127.0.0.1:3300']);
      else expect(origins(loaded, id)).toEqual(was);
    }
  });

  it('changes nothing on the default port', () => {
    const loaded = loadConfig(CONFIG);
    const before = [...origins(loaded, 'demo')];
    expect(allowDemoHostPort(loaded, 3000)).toEqual([]);
    expect(origins(loaded, 'demo')).toEqual(before);
  });
});
