// The dataset worker thread (see pool.ts): builds tables off the main thread. Plain JS that registers tsx itself,
// since workers do not inherit the tsx loader; refusals cross back as plain { error } objects.
import { register } from 'tsx/esm/api';

register();
const { buildDataset, combineDatasets, toWire } = await import('./build.ts');

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
