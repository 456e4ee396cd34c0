// A log streaming receiver for the tests (server/tests/http/streaming.rs): HTTPS on one port
// for the server's deliveries, plain HTTP on another for the test to steer and read it.
// Every webhook is verified with the `standardwebhooks` package (not our code), under the
// secret the test set for its path (a path with none is refused; "unverified" takes all, for
// the benchmark). Usage: node streaming/receiver.mjs CERT.pem KEY.pem
//
// Control (HTTP): POST /mode {"mode": "ok" | "500" | "hang" | "close"},
// POST /secret {"path": "/hook", "secret": "whsec_…"} (path "*": every path without one),
// POST /clear, GET /received (what arrived, in order, each with its arrival time `at`),
// GET /counts (events taken per path, without the log's own streaming records: cheap
// enough to poll while a benchmark runs).
import { readFileSync } from 'node:fs';
import { createServer as createHttps } from 'node:https';
import { createServer as createHttp } from 'node:http';
import { Webhook } from 'standardwebhooks';

const [cert, key] = process.argv.slice(2);
let mode = 'ok';
const secrets = {};
// What a delivery to a path the test has not given a secret yet is refused with (the server
// retries it; the test does not count it as a bad signature).
const NO_SECRET = 'no secret for this path yet';
// Each delivery the receiver took or refused: {path, ok, error, id, type, test, events, text}.
const received = [];
const counts = {};

function body(request) {
  return new Promise((done) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
  });
}

const deliveries = createHttps({ cert: readFileSync(cert), key: readFileSync(key) }, async (request, response) => {
  const payload = await body(request);
  if (mode === 'hang') return; // never answers; the sender must give up by itself
  if (mode === 'close') { request.socket.destroy(); return; }
  if (mode === '500') { response.writeHead(500).end('receiver failing on purpose'); return; }
  const entry = { path: request.url, id: request.headers['webhook-id'] ?? null, at: Date.now() };
  const secret = secrets[request.url] ?? secrets['*'];
  try {
    if (secret === undefined) throw new Error(NO_SECRET);
    if (secret !== 'unverified') new Webhook(secret).verify(payload, request.headers);
    entry.ok = true;
  } catch (error) {
    entry.ok = false;
    entry.error = String(error.message ?? error);
  }
  const json = JSON.parse(payload);
  if (json.text !== undefined) {
    entry.text = json.text;
  } else {
    entry.type = json.type;
    entry.test = json.data.test;
    entry.events = json.data.events.map((event) => ({ id: event.id, position: event.chain_position, action: event.action }));
  }
  received.push(entry);
  // The log's own records of streaming changes are not what a benchmark stored.
  const taken = entry.events?.filter((event) => event.action !== 'changed_log_streaming').length ?? 1;
  if (entry.ok) counts[request.url] = (counts[request.url] ?? 0) + taken;
  response.writeHead(entry.ok ? 204 : 401).end();
});

const control = createHttp(async (request, response) => {
  if (request.method === 'GET' && request.url === '/received') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
    return;
  }
  if (request.method === 'GET' && request.url === '/counts') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
    return;
  }
  const asked = JSON.parse((await body(request)) || '{}');
  if (request.url === '/mode') mode = asked.mode;
  else if (request.url === '/secret') secrets[asked.path] = asked.secret;
  else if (request.url === '/clear') {
    received.length = 0;
    for (const path of Object.keys(counts)) delete counts[path];
  }
  response.writeHead(204).end();
});

deliveries.listen(0, '127.0.0.1', () => {
  control.listen(0, '127.0.0.1', () => {
    console.log(`LISTENING ${deliveries.address().port} ${control.address().port}`);
  });
});
