// `npm run bench [-- part ...]`: prints figures and ratios against the goals; speed never lives in timed unit tests.
// Parts: planning, datasets, flood, server (= answers, answer, upload, start, sockets, and mysql when PARLEY_TEST_MYSQL_URL is set),
// or any of answers, answer, upload, start, mysql alone. No part named: all of them. `--seconds N` per load run.
import { runDatasetsBench } from './dataset-uploads.ts';
import { runFloodBench } from './flood.ts';
import { runPlanningBench } from './planning.ts';
import { runServerBench } from './server.ts';

const args = process.argv.slice(2);
const secondsAt = args.indexOf('--seconds');
const seconds = secondsAt >= 0 ? Number(args.splice(secondsAt, 2)[1]) : undefined;
const mysqlUrl = process.env.PARLEY_TEST_MYSQL_URL;
const SERVER_PARTS = ['answers', 'answer', 'upload', 'start', 'sockets', ...(mysqlUrl ? ['mysql'] : [])];
const KNOWN = new Set([
  'planning',
  'datasets',
  'flood',
  'server',
  'answers',
  'answer',
  'upload',
  'start',
  'sockets',
  'mysql',
]);
for (const a of args)
  if (!KNOWN.has(a)) throw new Error(`unknown bench part "${a}" (known: ${[...KNOWN].join(', ')})`);
const wanted = new Set(args.length > 0 ? args : ['planning', 'datasets', 'flood', 'server']);
const serverParts = new Set(
  wanted.has('server') ? SERVER_PARTS : [...wanted].filter((a) => SERVER_PARTS.includes(a) || a === 'mysql'),
);

let met = true;
if (wanted.has('planning')) {
  console.log('# planning (embedded planner)');
  await runPlanningBench();
}
if (wanted.has('datasets')) {
  console.log('\n# datasets (uploads, stalls, leaks)');
  met = (await runDatasetsBench()) && met;
}
if (wanted.has('flood')) {
  console.log('\n# socket flood (a victim user while another floods every message type)');
  met = (await runFloodBench()) && met;
}
if (serverParts.size > 0) {
  console.log('\n# server against its ceilings (Parley / ceiling / ratio, measured side by side)');
  met = (await runServerBench({ parts: serverParts, seconds, mysqlUrl })) && met;
}
if (!met) process.exitCode = 1;
