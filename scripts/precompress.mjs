// Writes X.br and X.gz beside each text or wasm file X of the built site (argument: its root),
// which the server sends as they are to a browser that takes them (server/src/files.rs):
// compressed once at the strongest levels here instead of on every request. A sibling that
// would save little is not written, and an old one is removed. The server removes siblings
// older than their file when it starts, so nothing stale is ever sent.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = process.argv[2];
if (!root) {
  console.error("usage: node scripts/precompress.mjs SITE_ROOT");
  process.exit(2);
}
const compressible = /\.(wasm|js|mjs|css|svg|html|json|txt|ftl)$/;
let before = 0;
let after = { br: 0, gz: 0 };

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (compressible.test(entry.name)) yield path;
  }
}

for (const path of files(root)) {
  const bytes = readFileSync(path);
  const siblings = {
    br: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
    gz: gzipSync(bytes, { level: 9 }),
  };
  before += bytes.length;
  for (const [suffix, packed] of Object.entries(siblings)) {
    // Below a kilobyte or a tenth saved, the plain file is as good.
    if (bytes.length >= 1024 && packed.length < bytes.length * 0.9) {
      writeFileSync(`${path}.${suffix}`, packed);
      after[suffix] += packed.length;
    } else {
      rmSync(`${path}.${suffix}`, { force: true });
      after[suffix] += bytes.length;
    }
  }
}
const kb = (n) => `${Math.round(n / 1024)} KiB`;
console.log(`precompressed ${root}: ${kb(before)} → brotli ${kb(after.br)}, gzip ${kb(after.gz)}`);
