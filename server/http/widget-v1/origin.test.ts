// The origin decision: only the agents' allowedOrigins and an explicitly configured public URL; a refused origin is
// logged once, not per attempt.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { withAllowedOrigins, withSection } from '../../../test/support/config-text.ts';
import { parseConfig } from '../../config/load.ts';
import { logRefusedOrigin, originAllowedForAgent, originAllowedForAnyAgent } from './origin.ts';

const FILE = fileURLToPath(new URL('../../../parley.config.yaml', import.meta.url));
const config = (publicUrl?: string) => {
  let text = withAllowedOrigins(fs.readFileSync(FILE, 'utf8'), ['https://shop.example.com']);
  if (publicUrl) text = withSection(text, 'server', { publicUrl });
  return parseConfig(text, FILE, { DATABASE_URL: 'sqlite:///tmp/none.sqlite' });
};

describe('origins', () => {
  it('allows the agent’s origins (any case, trailing slash) and requests without Origin; nothing else', () => {
    const deps = { config: config() };
    expect(originAllowedForAgent(deps, 'demo', 'https://Shop.example.com/')).toBe(true);
    expect(originAllowedForAgent(deps, 'demo', undefined)).toBe(true);
    expect(originAllowedForAgent(deps, 'demo', 'https://parley.example.com')).toBe(false);
    expect(originAllowedForAnyAgent(deps, 'https://shop.example.com.evil.com')).toBe(false);
    expect(originAllowedForAgent(deps, 'nope', 'https://shop.example.com')).toBe(false);
  });

  it('allows the configured public URL’s origin for every agent, only when configured', () => {
    const deps = { config: config('https://app.example.com/parley/') };
    expect(originAllowedForAgent(deps, 'demo', 'https://app.example.com')).toBe(true);
    expect(originAllowedForAgent(deps, 'initech', 'https://app.example.com')).toBe(true);
    expect(originAllowedForAnyAgent(deps, 'https://app.example.com')).toBe(true);
    expect(originAllowedForAgent(deps, 'demo', 'http://app.example.com')).toBe(false);
  });

  it('logs a refused origin once per server, at warn, naming the fix', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const deps = { config: config(), logger };
    for (let i = 0; i < 5; i++) logRefusedOrigin(deps, 'https://evil.example', 'demo');
    logRefusedOrigin(deps, 'https://evil.example', undefined);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 40,
      origin: 'https://evil.example',
      msg: expect.stringContaining('allowedOrigins'),
    });
  });
});
