// Log streaming's benchmark (bench/run step 5e), against the release server started with
// `[streaming] allow_private_networks = true` and the test receiver (end2end/streaming/
// receiver.mjs, verifying every signature with the standardwebhooks package):
//   1. throughput: EVENTS stored while the destination is paused, then resumed: events/s
//      until the receiver holds them all (batches of 1,000);
//   2. lag: 1,000 events/s stored for 30 s; stored (the ingest request answered) -> received;
//   3. memory: 100 destinations, 50 of them down (a closed port), while 2 goes on: the
//      server's resident memory before and after; and ingest's pace (20,000 events) alone,
//      beside all 100, beside the 50 down only (the others paused), and alone again.
// Usage: node bench/streaming.mjs SERVER_URL SERVER_PID DB CERT KEY CA [EVENTS]
// Prints one JSON object.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [url, pid, db, cert, key, caPath, eventsArg] = process.argv.slice(2);
const EVENTS = Number(eventsArg ?? 200000);
const ca = readFileSync(caPath, 'utf8');

const receiver = spawn('node', ['end2end/streaming/receiver.mjs', cert, key], { stdio: ['ignore', 'pipe', 'inherit'] });
const [https, control] = await new Promise((done) => {
  createInterface({ input: receiver.stdout }).once('line', (line) => {
    const [, deliveries, steer] = line.split(' ');
    done([`https://127.0.0.1:${deliveries}`, `http://127.0.0.1:${steer}`]);
  });
});
const steer = (path, body) => fetch(`${control}${path}`, { method: 'POST', body: JSON.stringify(body) });
const received = () => fetch(`${control}/received`).then((answer) => answer.json());
const counts = () => fetch(`${control}/counts`).then((answer) => answer.json());

const signIn = await fetch(`${url}/api/sign_in`, {
  method: 'POST', redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: 'email=global.admin%40contoso.example&password=demo-password-1',
});
const cookie = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
const call = async (endpoint, fields) => {
  const answer = await fetch(`${url}/api/${endpoint}`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${endpoint}: ${answer.status} ${text}`);
  return text ? JSON.parse(text) : null;
};
const token = (await call('create_api_token', { name: 'Streaming bench', send_events: 'on' })).secret;

let next = 0;
async function store(count) {
  const events = Array.from({ length: count }, () => {
    const n = next++;
    return {
      id: `bench-${n}`, occurred_at: '2026-11-20T10:00:00Z', partner_user: 'helpdesk.agent@contoso.example',
      action: 'reset_user_password', details: { type: 'password_reset', user_principal_name: `u${n}@adatum.example` },
    };
  });
  const answer = await fetch(`${url}/api/v1/events`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  if (!answer.ok) throw new Error(`ingest: ${answer.status} ${await answer.text()}`);
  return Date.now();
}
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const memory = () => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))[1]);
  return { rss_mib: Math.round(kib('VmRSS') / 1024), peak_mib: Math.round(kib('VmHWM') / 1024) };
};
// CPU seconds a process has used (user + system; the kernel counts in 1/100 s).
const cpuSeconds = (processId) => {
  const fields = readFileSync(`/proc/${processId}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const countOn = (entries, path) => entries
  .filter((entry) => entry.path === path && entry.events)
  .reduce((sum, entry) => sum + entry.events.filter((event) => event.id.startsWith('bench-')).length, 0);

// 1. Throughput.
const made = await call('create_stream_destination', { name: 'Throughput', kind: 'webhook', target: `${https}/throughput`, ca_pem: ca });
await steer('/secret', { path: '/throughput', secret: made.secret });
await call('set_stream_destination_enabled', { id: made.destination.id, enabled: 'false' });
for (let stored = 0; stored < EVENTS; stored += 1000) await store(Math.min(1000, EVENTS - stored));
const cpuBefore = [cpuSeconds(pid), cpuSeconds(receiver.pid)];
await call('set_stream_destination_enabled', { id: made.destination.id, enabled: 'true' });
const resumed = Date.now();
let delivered = 0;
while (delivered < EVENTS && Date.now() - resumed < 600000) {
  await sleep(100);
  delivered = (await counts())['/throughput'] ?? 0;
}
const throughputSeconds = (Date.now() - resumed) / 1000;
const [serverCpu, receiverCpu] = [cpuSeconds(pid) - cpuBefore[0], cpuSeconds(receiver.pid) - cpuBefore[1]];
const throughputArrived = countOn(await received(), '/throughput');
await call('set_stream_destination_enabled', { id: made.destination.id, enabled: 'false' });
await steer('/clear', {});

// Ingest's own pace, before any destination is down: 20,000 events, 1,000 a request.
const timeStoring = async () => {
  const began = Date.now();
  for (let n = 0; n < 20; n++) await store(1000);
  return (Date.now() - began) / 1000;
};
const ingestAlone = await timeStoring();

// 2 and 3. 1,000 events/s for 30 s to one more destination, beside 99 others of which 50
// are down (inserted straight into the database: a partner may make 20 through the page).
const before = memory();
const lag = await call('create_stream_destination', { name: 'Lag', kind: 'webhook', target: `${https}/lag`, ca_pem: ca });
await steer('/secret', { path: '/lag', secret: lag.secret });
await steer('/secret', { path: '*', secret: 'unverified' });
const rows = [];
for (let n = 0; n < 99; n++) {
  const target = n < 50 ? 'https://127.0.0.1:1/down' : `${https}/up-${n}`;
  rows.push(`(1, 'Bench ${n}', 'webhook', '${target}', '${ca.replaceAll("'", "''")}', 'en', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', (SELECT COALESCE(MAX(chain_seq), 0) FROM activity_events WHERE partner_id = 1), '2026-12-05T00:00:00Z', 1)`);
}
// On standard input: 99 rows with a certificate each are longer than one argument may be.
execFileSync('sqlite3', [db], {
  input: `.timeout 10000
INSERT INTO stream_destinations (partner_id, name, kind, target, ca_pem, language, secret, delivered_position, created_at, created_by) VALUES ${rows.join(',')};`,
});
const storedAt = new Map();
const started = Date.now();
const SECONDS = 30;
for (let tick = 0; tick < SECONDS * 10; tick++) {
  const first = next;
  const at = await store(100);
  for (let n = first; n < next; n++) storedAt.set(`bench-${n}`, at);
  const due = started + (tick + 1) * 100;
  if (due > Date.now()) await sleep(due - Date.now());
}
await sleep(5000);
const arrivals = [];
const seen = new Set();
for (const entry of await received()) {
  if (entry.path !== '/lag' || !entry.events) continue;
  for (const event of entry.events) {
    if (!storedAt.has(event.id) || seen.has(event.id)) continue;
    seen.add(event.id);
    arrivals.push(Math.max(0, entry.at - storedAt.get(event.id)) / 1000);
  }
}
arrivals.sort((a, b) => a - b);
const quantile = (q) => arrivals[Math.min(arrivals.length - 1, Math.floor(q * arrivals.length))];
const ingestBesideAll = await timeStoring();
// Ingest beside the 50 down only, the others paused: a receiver that works costs CPU that
// this machine's two cores share with ingest, which is not what is asked here.
execFileSync('sqlite3', [db], {
  input: `.timeout 10000
UPDATE stream_destinations SET enabled = 0 WHERE name = 'Lag' OR (name LIKE 'Bench %' AND target NOT LIKE '%/down');`,
});
await sleep(3000);
const ingestBesideDown = await timeStoring();
const ingestAloneAgain = await (async () => {
  execFileSync('sqlite3', [db], { input: `.timeout 10000
UPDATE stream_destinations SET enabled = 0;` });
  await sleep(3000);
  return timeStoring();
})();
const after = memory();
const upDelivered = countOn(await received(), '/up-50');
receiver.kill();
console.log(JSON.stringify({
  throughput_events: EVENTS,
  throughput_seconds: throughputSeconds,
  throughput_arrived: throughputArrived,
  throughput_events_per_second: Math.round(EVENTS / throughputSeconds),
  throughput_server_cpu_s: serverCpu,
  throughput_receiver_cpu_s: receiverCpu,
  lag_events: storedAt.size,
  lag_arrived: arrivals.length,
  lag_median_s: quantile(0.5),
  lag_p99_s: quantile(0.99),
  lag_max_s: arrivals[arrivals.length - 1],
  destinations: 100,
  down: 50,
  an_up_destination_received: upDelivered,
  ingest_20k_seconds_alone: ingestAlone,
  ingest_20k_seconds_with_50_down: ingestBesideDown,
  ingest_20k_seconds_with_all_100: ingestBesideAll,
  ingest_20k_seconds_alone_after: ingestAloneAgain,
  memory_before: before,
  memory_after: after,
}));
