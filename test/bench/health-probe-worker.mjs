// A load balancer's health check during the server bench's upload, in its own thread (plain JS: workers do not get
// the tsx loader): GET /healthz one after another, 5 ms apart, until told to stop; then posts each one's ms. In the
// uploading thread, the probes also timed that thread's own stalls (building a 9 MB multipart body), not the server's.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { url } = workerData;
const times = [];
let probing = true;
parentPort.once('message', () => {
  probing = false;
});

function probe() {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/healthz`, (res) => {
      res.resume();
      res.once('end', resolve);
      res.once('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('/healthz did not answer in 10 s')));
    req.once('error', reject);
  });
}

while (probing) {
  const t0 = performance.now();
  await probe();
  times.push(performance.now() - t0);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
parentPort.postMessage(times);
