// The datapath's defaults and limits (VXLAN port, placeholder MACs, headroom, slot and batch sizes)
// are defined once, in bindings/defaults.ts. This test reads every .ts under bindings/, src/, bench/
// and fuzz/ (comments stripped, so prose may still quote a value) and fails when one of them defines
// or spells out such a value again; and it checks that resolveConfig() fills in exactly those values.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_BATCH_SIZE, DEFAULT_HEADROOM, DEFAULT_LOCAL_MAC, DEFAULT_PEER_MAC, DEFAULT_SLOT_SIZE, MAX_SLOT_SIZE, MIN_SLOT_SIZE,
  SLOT_ALIGN, VXLAN_PORT, Datapath, formatMac, resolveConfig, slotSizeForFrame,
} from '../bindings/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOME = 'bindings/defaults.ts';

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const p = join(root, dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(relative(root, p)));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(root, p));
  }
  return out;
}

const stripComments = (s: string): string => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

/** What must not appear outside bindings/defaults.ts, and what to use instead. */
const COPIES: readonly { what: string; re: RegExp }[] = [
  { what: 'the VXLAN port (use VXLAN_PORT)', re: /\b4789\b/ },
  { what: 'a default MAC (use DEFAULT_LOCAL_MAC / DEFAULT_PEER_MAC)', re: /['"`]02:00:00:00:00:0[12]['"`]/ },
  { what: 'a headroom literal (use DEFAULT_HEADROOM)', re: /\b(?:HEADROOM|headroom)\s*[:=]\s*[1-9]/ },
  { what: 'a slot-size literal (use DEFAULT_SLOT_SIZE, MIN_SLOT_SIZE, MAX_SLOT_SIZE or slotSizeForFrame())', re: /\b(?:SLOT|slotSize)\s*[:=]\s*[1-9]|\b65536\s*\+\s*128\b/ },
  { what: 'a batch-size literal (use DEFAULT_BATCH_SIZE)', re: /\b(?:BATCH|batchSize)\s*[:=]\s*[1-9]|\bbatchSize\s*\?\?\s*256\b/ },
];

/** Every line of the scanned trees that matches a pattern, as `file:line: what`. */
function copiesIn(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const f of files) {
    if (f === HOME) continue;
    stripComments(readFileSync(join(root, f), 'utf8')).split('\n').forEach((line, i) => {
      for (const c of COPIES) if (c.re.test(line)) found.push(`${f}:${i + 1}: ${c.what}: ${line.trim()}`);
    });
  }
  return found;
}

const scanned = ['bindings', 'src', 'bench', 'fuzz'].flatMap(tsFiles);

t.test('the patterns catch a copy', async (t) => {
  for (const line of ["const HEADROOM = 64;", "vxlanPort: 4789,", "mac: '02:00:00:00:00:02'", "slotSize: 2048,", "const SLOT = 2048;",
    "Math.min(65536 + 128, x)", "batchSize: 256,", "const BATCH = 256;", "cfg.batchSize ?? 256"]) {
    t.ok(COPIES.some((c) => c.re.test(stripComments(line))), line);
  }
  for (const line of ['// default 4789', '/** Default 02:00:00:00:00:01. */', 'export const REPLAY_SLOT = 16384;', "headroom: DEFAULT_HEADROOM,", 'slotSize: 0 };']) {
    t.notOk(COPIES.some((c) => c.re.test(stripComments(line))), line);
  }
});

t.test('no literal copy of a bindings/defaults.ts constant in bindings/, src/, bench/ or fuzz/', async (t) => {
  t.ok(scanned.length > 100, `${scanned.length} files scanned`);
  t.ok(scanned.includes('src/cli/encap.ts') && scanned.includes('bench/fastpath.ts'), 'the CLI and the benches are scanned');
  t.same(copiesIn(scanned), []);
});

t.test('resolveConfig() fills in the constants', async (t) => {
  const c = resolveConfig({ localIp: '10.0.0.1' });
  t.equal(c.vxlanPort, VXLAN_PORT);
  t.equal(formatMac(c.localMac), DEFAULT_LOCAL_MAC);
  t.equal(c.headroom, DEFAULT_HEADROOM);
  t.equal(c.slotSize, DEFAULT_SLOT_SIZE);
  t.equal(c.batchSize, DEFAULT_BATCH_SIZE);
  t.equal(resolveConfig({ localIp: '10.0.0.1', slotSize: MAX_SLOT_SIZE }).slotSize, MAX_SLOT_SIZE);
  t.equal(resolveConfig({ localIp: '10.0.0.1', slotSize: MIN_SLOT_SIZE }).slotSize, MIN_SLOT_SIZE);
  t.throws(() => resolveConfig({ localIp: '10.0.0.1', slotSize: MAX_SLOT_SIZE + SLOT_ALIGN }), RangeError);
  t.throws(() => resolveConfig({ localIp: '10.0.0.1', slotSize: MIN_SLOT_SIZE - SLOT_ALIGN }), RangeError);
  t.throws(() => resolveConfig({ localIp: '10.0.0.1', slotSize: DEFAULT_SLOT_SIZE + SLOT_ALIGN / 2 }), RangeError);
  // The outer Ethernet header of an encapsulated frame carries both default MACs.
  const dp = Datapath.create({ localIp: '10.0.0.1', maxPeers: 1 });
  dp.setPeer(0, { remoteIp: '10.0.0.2', vni: 1 });
  const b = dp.batch();
  b.push(new Uint8Array(60).fill(0xaa), 0);
  dp.encap(b);
  t.equal(b.status(0), 0, 'encapsulated');
  t.equal(formatMac(b.output(0).subarray(0, 6)), DEFAULT_PEER_MAC, 'outer destination MAC');
  t.equal(formatMac(b.output(0).subarray(6, 12)), DEFAULT_LOCAL_MAC, 'outer source MAC');
});

t.test('slotSizeForFrame() gives the smallest valid slot', async (t) => {
  t.equal(slotSizeForFrame(0), MIN_SLOT_SIZE, 'never below the smallest slot');
  t.equal(slotSizeForFrame(1514), 1600, '1514 + 64 rounded up to 64');
  t.equal(slotSizeForFrame(1536), 1600, 'exactly 1600 stays');
  t.equal(slotSizeForFrame(1514, 128), 1664, 'another headroom');
  t.equal(slotSizeForFrame(1 << 20), MAX_SLOT_SIZE, 'never above the largest slot');
  for (const n of [0, 1, 63, 64, 1500, 9000, 65535]) {
    const s = slotSizeForFrame(n);
    t.ok(resolveConfig({ localIp: '10.0.0.1', slotSize: s }).slotSize === s, `${n}: ${s} is a valid slot size`);
    t.ok(s >= MAX_SLOT_SIZE || s - DEFAULT_HEADROOM >= n, `${n}: the frame fits after the headroom`);
    t.ok(s === MIN_SLOT_SIZE || s - SLOT_ALIGN - DEFAULT_HEADROOM < n, `${n}: no smaller slot would hold it`);
  }
});
