import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Starts `server serve` (built by `cargo leptos build --split`) on a free port with a new demo
// database, and hands its address to the tests in BASE_URL. Returns the teardown.
// With E2E_POSTGRES_URL (an empty PostgreSQL database) the demo is seeded there instead
// (`seed-demo`: serve never seeds PostgreSQL) and the server runs on it.
export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = resolve(__dirname, '..');
  const dataDir = mkdtempSync(join(tmpdir(), 'activity-log-e2e-'));
  // The committed settings, but the rolling audit walks the whole hash chain every 2 s (not
  // daily), so the integrity test sees the badge notice an edit to an old event at once;
  // and log streaming may send to this machine, where the streaming test's receiver runs.
  const settings = readFileSync(join(root, 'Leptos.toml'), 'utf8')
    .replace(/audit_period_seconds = \d+/, 'audit_period_seconds = 2')
    .replace('allow_private_networks = false', 'allow_private_networks = true');
  if (!settings.includes('audit_period_seconds = 2')) throw new Error('Leptos.toml has no audit_period_seconds');
  if (!settings.includes('allow_private_networks = true')) throw new Error('Leptos.toml has no allow_private_networks');
  const config = join(dataDir, 'settings.toml');
  writeFileSync(config, settings);
  // E2E_SERVER_BIN=target/release/server runs the suite on the release build (bench/run's).
  const binary = process.env.E2E_SERVER_BIN ?? join(root, 'target', 'debug', 'server');
  const postgres = process.env.E2E_POSTGRES_URL;
  const database = postgres ?? join(dataDir, 'demo.sqlite');
  const common = ['--config', config, '--database-url', database, '--signing-key', join(dataDir, 'signing.key')];
  if (postgres) {
    const seeded = spawnSync(binary, [...common, 'seed-demo'], { cwd: root, encoding: 'utf8' });
    if (seeded.status !== 0) throw new Error(`seed-demo on PostgreSQL failed:\n${seeded.stdout}${seeded.stderr}`);
  }
  const server = spawn(
    binary,
    [...common, 'serve', ...(postgres ? [] : ['--demo']), '--create-key', '--addr', '127.0.0.1:0'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } },
  );
  let output = '';
  const baseUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/listening on (http:\/\/[\d.:]+)/);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  process.env.BASE_URL = baseUrl;
  // The integrity tests edit the database file directly, as an attacker would.
  if (!postgres) process.env.E2E_DATABASE = join(dataDir, 'demo.sqlite');
  return async () => {
    server.kill('SIGTERM');
    await new Promise((done) => server.once('exit', done));
    rmSync(dataDir, { recursive: true, force: true });
  };
}
