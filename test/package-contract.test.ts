// The package as a consumer gets it: `npm pack` (of the built dist/), installed into an empty
// TypeScript project, type-checks with --strict against every public subpath; every ```ts block of
// README.md and docs/embedding.md compiles there as a module of its own; deep imports are refused;
// and the public API surface (the .d.ts files reachable from the entry points) matches the
// snapshot in etc/zooroute.api.d.ts, so any change to it shows as a diff.
// Update the snapshot after a deliberate API change: `npm run api:update`.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SNAPSHOT = join(root, 'etc', 'zooroute.api.d.ts');
const ENTRIES = ['bindings/index', 'src/control/index', 'src/tables/index', 'src/pcap/index', 'src/sim/index', 'src/replay/index', 'src/capture/index'];
const SUBPATHS = ['zooroute', 'zooroute/control', 'zooroute/tables', 'zooroute/pcap', 'zooroute/sim', 'zooroute/replay', 'zooroute/capture'];

/** The ```ts blocks of a Markdown file, with the line each starts on. */
function tsBlocks(md: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i])) continue;
    const start = i + 1;
    while (++i < lines.length && !/^```\s*$/.test(lines[i]));
    out.push({ line: start + 1, code: lines.slice(start, i).join('\n') + '\n' });
  }
  return out;
}

/** The .d.ts files reachable from the entry points by relative imports, concatenated in path order. */
function apiSurface(pkgDir: string): string {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      walk(join(dirname(file), m[1].replace(/\.js$/, '.d.ts')));
    }
  };
  for (const e of ENTRIES) walk(join(pkgDir, 'dist', `${e}.d.ts`));
  return [...seen].sort().map((f) => `// ==== ${relative(pkgDir, f)}\n${readFileSync(f, 'utf8').trimEnd()}\n`).join('\n');
}

const built = existsSync(join(root, 'dist', 'bindings', 'index.d.ts')) && existsSync(join(root, 'build', 'zooroute.wasm'));

t.test('npm pack, installed into an empty TypeScript project', { skip: built ? false : 'dist/ is not built: run `npm run build` first' }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'zooroute-contract-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // dist/ is already built (pretest): pack it as is, without running prepare's full build again.
  const tgz = npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', work], root).trim().split('\n').pop()!;
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  const typesNode = `@types/node@${lock.packages['node_modules/@types/node'].version}`;
  // The tarball and its dependencies from the npm cache (npm ci fills it); the registry only when the cache lacks one.
  const install = ['install', '--ignore-scripts', '--omit=optional', '--no-audit', '--no-fund', '--no-package-lock', join(work, tgz), typesNode];
  try {
    npm([...install, '--offline'], app);
  } catch {
    t.comment('the npm cache lacks a dependency: installing with --prefer-offline');
    npm([...install, '--prefer-offline'], app);
  }
  const pkgDir = join(app, 'node_modules', 'zooroute');
  t.ok(existsSync(join(pkgDir, 'dist', 'bindings', 'index.d.ts')), 'the package ships declarations');

  // Every subpath at run time; nothing else.
  const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const m = await import('zooroute');
    const dp = m.Datapath.create({ localIp: '10.0.0.1', batchSize: 4 });
    for (const s of ${JSON.stringify(SUBPATHS.slice(1))}) await import(s);
    let deep = 'imported';
    try { await import('zooroute/dist/src/control/vtep.js'); } catch (e) { deep = e.code; }
    console.log(JSON.stringify({ capacity: dp.batch().capacity, deep }));
  `], { cwd: app, encoding: 'utf8' });
  t.equal(probe.status, 0, probe.stderr);
  t.same(JSON.parse(probe.stdout), { capacity: 4, deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED' }, 'the Wasm core loads from the installed package; a deep import is refused');

  // One --strict compilation: a consumer of every subpath, every documentation block, and a deep
  // import that must be the only error.
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: ['node'], skipLibCheck: false },
    include: ['*.ts'],
  }));
  writeFileSync(join(app, 'consumer.ts'), `
import { Datapath, Status, statusName, PacketBatch, candidatePorts, parseIPv4, formatIPv4, type DatapathConfig } from 'zooroute';
import { Vtep, VirtualClock, RealClock, VtepControl, type Clock, type FrameBatch, type SentCount, type VtepEvent, type VtepOptions } from 'zooroute/control';
import { SlowPathTable, createFastTable } from 'zooroute/tables';
import { PcapReader, PcapWriter } from 'zooroute/pcap';
import { simulate, parseScenario } from 'zooroute/sim';
import { replay } from 'zooroute/replay';
const cfg: DatapathConfig = { localIp: '10.0.0.1', batchSize: 8 };
const dp = Datapath.create(cfg);
const b: PacketBatch = dp.batch();
const ok: boolean = b.length === 0 || b.status(0) === Status.OK;
const clock: Clock = new VirtualClock();
const send = (f: FrameBatch): SentCount => f.length;
const opts: VtepOptions = { clock, localIp: '10.0.0.1', localMac: '02:00:00:00:00:01', gatewayMac: '02:00:00:00:00:02', vni: 42, secret: new Uint8Array(16), sendUnderlay: send, deliverTenant: send };
const v = new Vtep(opts);
v.addPeer('10.0.0.2');
const events: VtepEvent[] = [];
const control: VtepControl = v.control;
export const used = [ok, statusName, candidatePorts, parseIPv4, formatIPv4, RealClock, SlowPathTable, createFastTable, PcapReader, PcapWriter, simulate, parseScenario, replay, events, control];
`);
  writeFileSync(join(app, 'deep.ts'), `import { VtepControl } from 'zooroute/dist/src/control/vtep.js';\nexport const x = VtepControl;\n`);
  const blocks: string[] = [];
  for (const doc of ['README.md', 'docs/embedding.md']) {
    const md = readFileSync(join(root, doc), 'utf8');
    const found = tsBlocks(md);
    t.ok(found.length > 0, `${doc} has TypeScript blocks`);
    for (const [i, blk] of found.entries()) {
      const name = `${doc.replace(/\W+/g, '-')}-block${i + 1}-line${blk.line}.ts`;
      writeFileSync(join(app, name), blk.code);
      blocks.push(name);
    }
  }
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app, '--pretty', 'false'], { cwd: app, encoding: 'utf8' });
  const errors = tsc.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  const elsewhere = errors.filter((l) => !l.startsWith('deep.ts'));
  t.same(elsewhere, [], 'the consumer and every documentation block type-check with --strict');
  t.ok(errors.some((l) => l.startsWith('deep.ts') && /TS2307/.test(l)), 'a deep import does not resolve (TS2307)');
  t.comment(`compiled consumer.ts and ${blocks.length} documentation blocks: ${blocks.join(', ')}`);

  // The API surface.
  const surface = `// The public API surface of zooroute: every .d.ts reachable from the package's entry points.\n// Generated by test/package-contract.test.ts (npm run api:update); review its diff with every API change.\n\n${apiSurface(pkgDir)}`;
  if (process.env.ZOOROUTE_UPDATE_API === '1') {
    mkdirSync(dirname(SNAPSHOT), { recursive: true });
    writeFileSync(SNAPSHOT, surface);
    t.comment(`wrote ${relative(root, SNAPSHOT)}`);
  }
  t.ok(existsSync(SNAPSHOT), `${relative(root, SNAPSHOT)} exists (npm run api:update writes it)`);
  const want = existsSync(SNAPSHOT) ? readFileSync(SNAPSHOT, 'utf8') : '';
  t.equal(surface, want, 'the public API surface matches etc/zooroute.api.d.ts (npm run api:update after a deliberate change)');
});
