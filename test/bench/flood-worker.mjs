// The flooding user of the flood bench, in its own thread (plain JS: workers do not get the tsx loader): keeps its 10 sockets sending every client message type
// as fast as the socket takes them, and reopens any socket the server closes. Reports what happened when told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { url, token } = workerData;
const stats = { sent: 0, opened: 0, closed4029: 0, refused: 0, otherCloses: 0 };
let stopping = false;

const MESSAGES = [
  JSON.stringify({ type: 'ping' }),
  JSON.stringify({ type: 'response.cancel', responseId: 'nothing' }),
  JSON.stringify({ type: 'sync', since: new Date(0).toISOString() }),
  '{not json',
  JSON.stringify({ type: 'message.send', clientId: 'x', text: 'How many orders did we have last month?' }),
];

function open() {
  if (stopping) return;
  const ws = new WebSocket(url, ['parley.v1', `parley.token.${token}`]);
  ws.on('open', () => {
    stats.opened += 1;
    const pump = () => {
      if (ws.readyState !== WebSocket.OPEN || stopping) return;
      // a burst, then yield when the socket's buffer fills, so the flood is as fast as the connection allows
      for (let i = 0; i < 200 && ws.bufferedAmount < 1 << 20; i++) {
        ws.send(MESSAGES[stats.sent % MESSAGES.length]);
        stats.sent += 1;
      }
      setImmediate(pump);
    };
    pump();
  });
  ws.on('unexpected-response', (_req, res) => {
    stats.refused += 1;
    res.resume();
    setTimeout(open, 20);
  });
  ws.on('close', (code) => {
    if (code === 4029) stats.closed4029 += 1;
    else stats.otherCloses += 1;
    setTimeout(open, 20);
  });
  ws.on('error', () => undefined);
}

for (let i = 0; i < 10; i++) open();
parentPort?.on('message', () => {
  stopping = true;
  parentPort?.postMessage(stats);
});
