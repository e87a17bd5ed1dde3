// `npm run bench`: prints figures and ratios against the goals; speed never lives in timed unit tests.
import { runDatasetsBench } from './datasets.ts';
import { runPlanningBench } from './planning.ts';

console.log('# planning (embedded planner)');
await runPlanningBench();
console.log('\n# datasets (uploads, stalls, leaks)');
const met = await runDatasetsBench();
if (!met) process.exitCode = 1;
