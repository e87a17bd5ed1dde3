// A victim user's latency while another user floods every socket message type (ping, response.cancel, sync,
// invalid text, message.send past its limits) from 10 sockets and reopens each one the server closes, against idle.
// Goal: the victim's p99 under flood within 2x of idle (issue 11). The flooder runs in its own thread.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { startTestServer } from '../support/server.ts';
import { wsUrl } from '../support/websocket-client.ts';

const SAMPLES = 400;
const GOAL_RATIO = 2;

function p(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function victimLatencies(url: string, token: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    const res = await fetch(`${url}/widget/v1/conversations`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`victim request failed: ${res.status}`);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

export async function runFloodBench(): Promise<boolean> {
  const server = await startTestServer();
  try {
    const victim = server.token('victim', 1);
    await victimLatencies(server.url, victim); // warm-up
    const idle = await victimLatencies(server.url, victim);

    const worker = new Worker(new URL('./flood-worker.mjs', import.meta.url), {
      workerData: { url: wsUrl(server.url), token: server.token('flooder', 2) },
    });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let the flood start
    const flooded = await victimLatencies(server.url, victim);
    const stats = await new Promise<Record<string, number>>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage('stop');
    });
    await worker.terminate();

    const ratio = p(flooded, 0.99) / p(idle, 0.99);
    const row = (name: string, t: number[]) =>
      `${name.padEnd(8)} p50 ${p(t, 0.5).toFixed(2).padStart(7)} ms   p99 ${p(t, 0.99).toFixed(2).padStart(7)} ms`;
    console.log(`victim: ${SAMPLES} sequential GET /widget/v1/conversations`);
    console.log(row('idle', idle));
    console.log(row('flooded', flooded));
    console.log(
      `p99 ratio flooded/idle: ${ratio.toFixed(2)}x (goal <= ${GOAL_RATIO}x) ${ratio <= GOAL_RATIO ? 'MET' : 'MISSED'}`,
    );
    console.log(
      `flooder: ${stats.sent} messages sent, ${stats.opened} sockets opened, ${stats.closed4029} closed with 4029, ` +
        `${stats.refused} handshakes refused (429 while blocked), ${stats.otherCloses} other closes`,
    );
    return ratio <= GOAL_RATIO;
  } finally {
    await server.close();
  }
}
