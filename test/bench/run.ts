// `npm run bench`: prints figures and ratios against the goals; speed never lives in timed unit tests.
import { runPlanningBench } from './planning.ts';

console.log('# planning (embedded planner)');
await runPlanningBench();
