// The dataset worker thread (see pool.ts): builds tables off the main thread. Plain JS: in the built server it loads
// the compiled build.js next to it; from the TypeScript sources it registers tsx itself, since workers do not inherit
// the tsx loader. Refusals cross back as plain { error } objects.
import fs from 'node:fs';

const built = fs.existsSync(new URL('./build.js', import.meta.url));
if (!built) (await import('tsx/esm/api')).register();
const { buildDataset, combineDatasets, toWire } = await import(built ? './build.js' : './build.ts');

async function settle(run) {
  try {
    return { ok: await run() };
  } catch (err) {
    const wire = toWire(err);
    if (wire) return { error: wire };
    throw err;
  }
}

export function build(input) {
  return settle(() => buildDataset(input));
}

export function combine(input) {
  return settle(() => combineDatasets(input));
}
