// The widget bundle's route as a fresh clone meets it: without dist/widget the server still starts, logs how to build
// the bundle, and /widget/parley-widget.js answers a 404 that says the same; with a bundle it serves the file.
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { WIDGET_NOT_BUILT } from '../server/http/widget-not-built.ts';
import { makeTempDir } from './support/demo-db.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const servers: TestServer[] = [];
const dir = makeTempDir('parley-widget-route');
afterAll(async () => {
  for (const s of servers) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('GET /widget/parley-widget.js', () => {
  it('without a built bundle: a 404 saying how to build it, and the same in the start log', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    const server = await startTestServer({ widgetDir: path.join(dir, 'empty'), logger });
    servers.push(server);
    const res = await fetch(`${server.url}/widget/parley-widget.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'widget_not_built', message: WIDGET_NOT_BUILT } });
    expect(WIDGET_NOT_BUILT).toContain('npm run build:widget');
    expect(logged.join('\n')).toContain(`/widget/parley-widget.js answers 404: ${WIDGET_NOT_BUILT}`);
    // the widget API next to it is not affected
    expect((await fetch(`${server.url}/widget/v1/config`)).status).not.toBe(404);
  });

  it('with a bundle: serves it as JavaScript to any origin', async () => {
    const built = path.join(dir, 'built');
    fs.mkdirSync(built, { recursive: true });
    fs.writeFileSync(path.join(built, 'parley-widget.js'), 'export const parley = 1;\n');
    const server = await startTestServer({ widgetDir: built });
    servers.push(server);
    const res = await fetch(`${server.url}/widget/parley-widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.text()).toBe('export const parley = 1;\n');
  });
});
