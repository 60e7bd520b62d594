// The bad-input matrix (issue 15): every subcommand that reads a file, with every class of bad input a
// user can give it — missing, empty, a directory, unreadable, truncated, the wrong kind of file — and
// every output with a full disk (/dev/full), a directory, a missing directory or an input's path,
// standard output on /dev/full, and bad flags. Each case must exit 2 with exactly one stderr line
// `zooroute: ...` naming the file or flag, no "internal error", nothing on stdout, and leave its
// directory as it was: no new file (no partial output, no temporary file) and a pre-existing output
// file with its bytes unchanged.
//
// Runs the built CLI (`node bin/zooroute.js`, `npm run build` first), a few cases at a time, one temp dir
// per case. The unreadable cases as root (who reads mode-000 files) run in a child that loads the CLI and
// the Wasm core as root, then drops to nobody (uid/gid 65534) before the command: it works from any
// checkout, even one nobody could not read (as test/capture-live.test.ts does).
import t from 'tap';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root } from './fixtures/cli.js';
import { isRoot, missing, needCap, needRoot } from './helpers/needs.js';

const ex = (f: string): string => join(root, 'examples', f);
const PCAP = ex('tenant.pcap');
const REPLAY_SCENARIO = ex('tenant-replay.scenario.json');
const SIM_SCENARIO = ex('switch-card-failure.json');
const MAP = ex('replay-tenant-map.json');
const AGENT = ex('agent-a.json');
const VTEP = ['--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2'];
/** The bytes of the output file each case finds at its output path before it runs. */
const EARLIER = Buffer.from('an earlier run\'s output: must survive a failed run byte for byte\n');
const NOBODY = 65534;

const top = mkdtempSync(join(tmpdir(), 'zooroute-bad-input-'));
chmodSync(top, 0o755); // nobody must reach the case directories of the unreadable cases
t.teardown(() => rmSync(top, { recursive: true, force: true }));

/** Whether nobody can reach `dir` (every directory above it searchable by others), for the unreadable cases. */
function nobodyReaches(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}
const nobodySkip = isRoot
  ? missing(`a temporary directory nobody can reach (${top} is not)`, nobodyReaches(top), 'set TMPDIR to a directory searchable by others, such as /tmp')
  : undefined;

/** One case's directory: the out.pcap and report.html an earlier run left there, and room for bad inputs. */
interface CaseDir {
  dir: string;
  out: string;
  report: string;
  /** A file in the case dir with these contents (string or bytes), or mode 000. */
  file(name: string, body: string | Uint8Array, mode?: number): string;
}

let caseNo = 0;
function caseDir(): CaseDir {
  const dir = join(top, `case${caseNo++}`);
  mkdirSync(dir);
  const out = join(dir, 'out.pcap');
  const report = join(dir, 'report.html');
  writeFileSync(out, EARLIER);
  writeFileSync(report, EARLIER);
  return {
    dir, out, report,
    file(name, body, mode) {
      const f = join(dir, name);
      writeFileSync(f, body);
      if (mode !== undefined) chmodSync(f, mode);
      return f;
    },
  };
}

/** A file's SHA-256; for a file this process may not read (the mode-000 input, run as a user other than root), its size and mtime. */
function digest(p: string, size: number, mtimeMs: number): string {
  try {
    return createHash('sha256').update(readFileSync(p)).digest('hex');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    return `<unreadable: ${size} bytes, mtime ${mtimeMs}>`;
  }
}

/** Every entry of a directory (recursively) with a digest of its bytes, to compare before and after a run. */
function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name), r = rel ? `${rel}/${name}` : name;
      const st = statSync(p);
      if (st.isDirectory()) { m.set(r, '<dir>'); walk(p, r); } else m.set(r, digest(p, st.size, st.mtimeMs));
    }
  };
  walk(dir, '');
  return m;
}

interface Run { code: number | null; stdout: string; stderr: string }

/**
 * The built CLI as a child; `asNobody` drops to uid/gid 65534 after loading it (see the header);
 * `stdoutFull` gives it /dev/full as standard output.
 */
function run(args: string[], asNobody: boolean, stdoutFull: boolean): Promise<Run> {
  const main = JSON.stringify(join(root, 'dist/src/cli/main.js'));
  const wasm = JSON.stringify(join(root, 'dist/bindings/module.js'));
  const drop = `import { main } from ${main}; import { instantiateCore } from ${wasm};
    instantiateCore(); // the compiled Wasm module, read while still root
    process.setgroups([]); process.setgid(${NOBODY}); process.setuid(${NOBODY});
    if (process.getuid() !== ${NOBODY}) throw new Error('privileges were not dropped');
    process.exitCode = await main(['node', 'zooroute', ...process.argv.slice(1)]);`;
  // The dropped child runs in a clean environment (env -i): tap adds NODE_OPTIONS to every child it
  // sees spawned, which would make it write tap's process records, which nobody may not.
  const [cmd, argv] = asNobody
    ? ['env', ['-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, 'HOME=/tmp', process.execPath, '--input-type=module', '-e', drop, ...args]]
    : [process.execPath, ['bin/zooroute.js', ...args]];
  return new Promise((resolve, reject) => {
    const full = stdoutFull ? openSync('/dev/full', 'w') : undefined;
    const c = spawn(cmd, argv, { cwd: root, stdio: ['ignore', full ?? 'pipe', 'pipe'] });
    if (full !== undefined) closeSync(full);
    let stdout = '', stderr = '';
    c.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    c.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Case {
  name: string;
  /** Set up the case's bad input in its directory; returns the argv and what the one line must name. */
  make(c: CaseDir): { args: string[]; names: string };
  /** Run the command as nobody (the unreadable cases when this test runs as root). */
  asNobody?: boolean;
  /** Standard output is /dev/full. */
  stdoutFull?: boolean;
  skip?: string;
}

const cases: Case[] = [];

// ---- Inputs: every file-reading slot of every subcommand, with every class of bad input.

interface Slot {
  /** The subcommand and option, for the case name. */
  name: string;
  /** A good file of this slot's kind (truncated for the "truncated" case). */
  good: string;
  /** A file of another kind, which this slot must refuse. */
  other: string;
  argv(input: string, c: CaseDir): string[];
}

const slots: Slot[] = [
  { name: 'encap FILE', good: PCAP, other: MAP, argv: (i, c) => ['encap', i, '-o', c.out, ...VTEP] },
  { name: 'decap FILE', good: PCAP, other: SIM_SCENARIO, argv: (i, c) => ['decap', i, '-o', c.out] },
  { name: 'replay FILE', good: PCAP, other: REPLAY_SCENARIO, argv: (i, c) => ['replay', i, '--scenario', REPLAY_SCENARIO, '-o', c.out, '--report', c.report] },
  { name: 'replay --scenario', good: REPLAY_SCENARIO, other: SIM_SCENARIO, argv: (i, c) => ['replay', PCAP, '--scenario', i, '-o', c.out, '--report', c.report] },
  { name: 'replay --map', good: MAP, other: REPLAY_SCENARIO, argv: (i, c) => ['replay', PCAP, '--scenario', REPLAY_SCENARIO, '--map', i, '-o', c.out, '--report', c.report] },
  { name: 'simulate --scenario', good: SIM_SCENARIO, other: REPLAY_SCENARIO, argv: (i) => ['simulate', '--scenario', i] },
  { name: 'agent -c', good: AGENT, other: SIM_SCENARIO, argv: (i) => ['agent', '-c', i] },
];

/** The first part of a good file: a pcap cut inside a record, a JSON document cut in the middle. */
function truncated(good: string): Uint8Array {
  const b = readFileSync(good);
  return b.subarray(0, good.endsWith('.pcap') ? 1000 : Math.floor(b.length / 2));
}

for (const s of slots) {
  const input = (name: string, make: (c: CaseDir) => string, extra: Partial<Case> = {}): void => {
    cases.push({ name: `${s.name}: ${name}`, make: (c) => { const f = make(c); return { args: s.argv(f, c), names: f }; }, ...extra });
  };
  const ext = s.good.endsWith('.pcap') ? '.pcap' : '.json';
  input('missing', (c) => join(c.dir, `missing${ext}`));
  input('empty', (c) => c.file(`empty${ext}`, ''));
  input('a directory', (c) => { const d = join(c.dir, `dir${ext}`); mkdirSync(d); return d; });
  // Root reads a mode-000 file: as root the command runs as nobody (see runCase).
  input('unreadable (mode 000)', (c) => c.file(`unreadable${ext}`, readFileSync(s.good), 0o000), { asNobody: isRoot, skip: nobodySkip });
  input('truncated', (c) => c.file(`truncated${ext}`, truncated(s.good)));
  input('the wrong kind of file', (c) => c.file(`other${ext}`, readFileSync(s.other)));
}

// ---- Outputs: a full disk, a directory, a missing directory, an input's path.

interface OutputSlot { name: string; argv(out: string, c: CaseDir): string[]; skip?: string }
const capSkip = needCap();
const outputs: OutputSlot[] = [
  { name: 'encap -o', argv: (o) => ['encap', PCAP, '-o', o, ...VTEP] },
  { name: 'decap -o', argv: (o) => ['decap', PCAP, '-o', o] },
  { name: 'replay -o', argv: (o, c) => ['replay', PCAP, '--scenario', REPLAY_SCENARIO, '-o', o, '--report', c.report] },
  { name: 'replay --report', argv: (o, c) => ['replay', PCAP, '--scenario', REPLAY_SCENARIO, '-o', c.out, '--report', o] },
  // Opened before the interface, so no privilege is needed to see these fail.
  { name: 'capture -o', argv: (o) => ['capture', '-i', 'lo', '-o', o, ...VTEP, '-c', '1'], skip: capSkip },
];
for (const s of outputs) {
  const output = (name: string, make: (c: CaseDir) => string, names?: string): void => {
    cases.push({ name: `${s.name}: ${name}`, skip: s.skip, make: (c) => { const o = make(c); return { args: s.argv(o, c), names: names ?? o }; } });
  };
  output('a full disk (/dev/full)', () => '/dev/full');
  output('a directory', (c) => { const d = join(c.dir, 'outdir'); mkdirSync(d); return d; });
  output('in a missing directory', (c) => join(c.dir, 'no-such-dir', 'out'));
  if (s.name !== 'capture -o') output('the input\'s path', () => PCAP);
}

// ---- Standard output on a full disk (`> /dev/full`): the documents and captures printed there.
const toFull = (name: string, args: string[]): void => {
  cases.push({ name: `standard output on /dev/full: ${name}`, stdoutFull: true, make: () => ({ args, names: 'standard output' }) });
};
toFull('encap -o -', ['encap', PCAP, '-o', '-', ...VTEP]);
toFull('decap -o -', ['decap', PCAP, '-o', '-']);
toFull('simulate --json', ['simulate', '--scenario', SIM_SCENARIO, '--json']);
toFull('tables --json', ['tables', '--vteps', '100', '--json']);
toFull('tofino-updates --json', ['tofino-updates', '--updates', '1000', '--json']);

// ---- Live capture that cannot start: no file, an existing one untouched (docs/capture.md).
cases.push({
  name: 'capture -i nosuch0 -o FILE', skip: capSkip,
  make: (c) => ({ args: ['capture', '-i', 'nosuch0', '-o', c.out, ...VTEP, '-c', '1'], names: 'nosuch0' }),
});
cases.push({
  name: 'capture -i any -o FILE: a refused link type', skip: capSkip ?? needRoot(),
  make: (c) => ({ args: ['capture', '-i', 'any', '-o', c.out, ...VTEP, '-c', '1'], names: 'any' }),
});

// ---- Bad flags: a bad value, a missing required option, an unknown option or command.
const flag = (name: string, names: string, args: (c: CaseDir) => string[]): void => { cases.push({ name: `bad flag: ${name}`, make: (c) => ({ args: args(c), names }) }); };
flag('encap --vni x', '--vni', (c) => ['encap', PCAP, '-o', c.out, ...VTEP, '--vni', 'x']);
flag('encap without --remote', '--remote', (c) => ['encap', PCAP, '-o', c.out, '--vni', '1', '--local', '10.0.0.1']);
flag('encap --local 10.1', '--local', (c) => ['encap', PCAP, '-o', c.out, '--vni', '1', '--local', '10.1', '--remote', '10.0.0.2']);
flag('encap --candidates 65', '--candidates', (c) => ['encap', PCAP, '-o', c.out, ...VTEP, '--candidates', '65']);
flag('encap --format xx', '--format', (c) => ['encap', PCAP, '-o', c.out, ...VTEP, '--format', 'xx']);
flag('encap --bogus', '--bogus', (c) => ['encap', PCAP, '-o', c.out, ...VTEP, '--bogus']);
flag('decap --dstport 0', '--dstport', (c) => ['decap', PCAP, '-o', c.out, '--dstport', '0']);
flag('decap -o - --json', '--json', () => ['decap', PCAP, '-o', '-', '--json']);
flag('replay --seed -1', '--seed', (c) => ['replay', PCAP, '--scenario', REPLAY_SCENARIO, '-o', c.out, '--seed', '-1']);
flag('replay --vni x', '--vni', (c) => ['replay', PCAP, '--scenario', REPLAY_SCENARIO, '--report', c.report, '--vni', 'x']);
// replay -o - streams the capture (the report goes to stderr); with --json both would want stdout.
flag('replay -o - --json', '--json', () => ['replay', PCAP, '--scenario', REPLAY_SCENARIO, '-o', '-', '--json']);
flag('replay without --scenario', '--scenario', (c) => ['replay', PCAP, '-o', c.out]);
flag('simulate --seed x', '--seed', () => ['simulate', '--scenario', SIM_SCENARIO, '--seed', 'x']);
flag('capture with neither -o nor --out-iface', '--out-iface', () => ['capture', '-i', 'lo', ...VTEP]);
flag('capture -c 0', '--count', (c) => ['capture', '-i', 'lo', '-o', c.out, ...VTEP, '-c', '0']);
flag('tables --vteps 0', '--vteps', () => ['tables', '--vteps', '0']);
flag('tables --bogus', '--bogus', () => ['tables', '--bogus']);
flag('tofino-updates --updates x', '--updates', () => ['tofino-updates', '--updates', 'x']);
flag('tofino-updates --candidates 0', '--candidates', () => ['tofino-updates', '--candidates', '0']);
flag('agent without -c', '--config', () => ['agent']);
flag('an unknown command', 'nosuch', () => ['nosuch']);

// ---- Run them, a few at a time (each is a node process), and check each.
interface Outcome { c: Case; names: string; r: Run; before: Map<string, string>; after: Map<string, string> }

async function runCase(c: Case): Promise<Outcome> {
  const d = caseDir();
  const { args, names } = c.make(d);
  if (c.asNobody) {
    // nobody owns the case dir and what lies in it, so only the unreadable input stands in the way.
    for (const f of [d.dir, d.out, d.report]) chownSync(f, NOBODY, NOBODY);
  }
  const before = snapshot(d.dir);
  const r = await run(args, c.asNobody === true, c.stdoutFull === true);
  return { c, names, r, before, after: snapshot(d.dir) };
}

const PARALLEL = 3;
const todo = cases.filter((c) => c.skip === undefined);
const outcomes: Outcome[] = [];
for (let i = 0; i < todo.length; i += PARALLEL) outcomes.push(...await Promise.all(todo.slice(i, i + PARALLEL).map(runCase)));

t.comment(`${cases.length} cases, ${todo.length} run, ${cases.length - todo.length} skipped`);
for (const c of cases.filter((x) => x.skip !== undefined)) t.test(c.name, { skip: c.skip }, async () => {});

for (const { c, names, r, before, after } of outcomes) {
  t.test(c.name, async (t) => {
    const what = `${c.name}: ${r.stderr.trim() || '(no stderr)'}`;
    t.equal(r.code, 2, `exit 2 (${what})`);
    t.notMatch(r.stderr, /internal error/, 'not an internal error');
    t.match(r.stderr, /^zooroute: [^\n]+\n$/, 'exactly one line, "zooroute: ..."');
    t.ok(r.stderr.includes(names), `the line names ${names}`);
    t.equal(r.stdout, '', 'nothing on stdout');
    t.same([...after.keys()], [...before.keys()], 'no file left behind, none removed');
    t.same(after, before, 'every file keeps its bytes (the earlier output too)');
  });
}
