// The demo host app's origin on the port `parley demo --host-port` gives it. The committed config allows the demo
// host on its default port (http://localhost:3000); on another port its own pages would be refused by the origin
// check, so the demo allows that port too, in memory, for the agents that allow the default host. Nothing else widens.
import type { LoadedConfig } from '../server/config/load.ts';

const DEFAULT_PORT = 3000;
const DEFAULT_ORIGINS = [`http://localhost:${DEFAULT_PORT}`, `http://127.0.0.1:${DEFAULT_PORT}`];

/** Allows the demo host on `port` for the agents that allow it on the default port; returns those agents' ids. */
export function allowDemoHostPort(loaded: LoadedConfig, port: number): string[] {
  if (port === DEFAULT_PORT) return [];
  const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
  const widened: string[] = [];
  for (const [id, agent] of loaded.agents) {
    const list = agent.config.allowedOrigins;
    if (!list.some((o) => DEFAULT_ORIGINS.includes(o))) continue;
    for (const o of origins) if (!list.includes(o)) list.push(o);
    widened.push(id);
  }
  return widened;
}
