// `npm run bench`: prints figures and ratios against the goals; speed never lives in timed unit tests.
import { runDatasetsBench } from './datasets.ts';
import { runFloodBench } from './flood.ts';
import { runPlanningBench } from './planning.ts';

console.log('# planning (embedded planner)');
await runPlanningBench();
console.log('\n# datasets (uploads, stalls, leaks)');
const met = await runDatasetsBench();
console.log('\n# socket flood (a victim user while another floods every message type)');
const floodMet = await runFloodBench();
if (!met || !floodMet) process.exitCode = 1;
