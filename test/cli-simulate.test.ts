// `zooroute simulate`: the JSON report's shape on a small scenario, the human summary, and one-line
// errors with exit code 2 for bad scenarios and options.
import t from 'tap';
import { runInProcess as capture } from './fixtures/cli.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'zr-sim-'));
const small = {
  kind: 'simulation', name: 'small', seed: 9, durationMs: 6000,
  topology: { kind: 'leaf-spine', leaves: 2, spines: 2 },
  vteps: [
    { name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
    { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' },
    { name: 'c', ip: '10.0.0.3', inner: ['192.168.2.0/24'], attach: 'leaf1' },
  ],
  traffic: { flows: Array.from({ length: 8 }, (_, i) => ({ src: '192.168.0.1', dst: i % 2 ? '192.168.1.1' : '192.168.2.1', sport: 1000 + i })) },
  failures: [{ name: 'spine0 black hole', type: 'switch-down', atMs: 2000, durationMs: 3000, switch: 'spine0' }],
};
const file = (name: string, body: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
  return f;
};

t.test('--json has the documented keys', async (t) => {
  const { code, out, err } = await capture(['simulate', '--scenario', file('small.json', small), '--json']);
  t.equal(code, 0, err);
  const j = JSON.parse(out);
  for (const m of ['zooroute', 'static', 'opportunistic']) {
    for (const k of ['outageSeconds', 'lostPackets', 'maskedFailures', 'failures']) t.type(j.modes[m][k], 'number', `modes.${m}.${k}`);
    t.equal(j.modes[m].failures, 1, `${m}: one failure`);
    t.ok(j.modes[m].maskedFailures <= j.modes[m].failures);
  }
  t.type(j.modes.opportunistic.retriesMean, 'number');
  t.type(j.modes.opportunistic.retriesMax, 'number');
  for (const k of ['onDemand', 'fullMesh']) {
    t.type(j.probes[k].packets, 'number', `probes.${k}.packets`);
    t.type(j.probes[k].bytes, 'number', `probes.${k}.bytes`);
  }
  t.ok(j.probes.onDemand.packets > 0, 'zooroute probed');
  t.ok(j.probes.onDemand.bytes < j.probes.fullMesh.bytes, 'on-demand costs less than full mesh');
  t.ok(j.modes.static.outageSeconds > 0, 'the black hole hurts static flows');
  t.ok(j.modes.zooroute.outageSeconds < j.modes.static.outageSeconds, 'zooroute cuts the outage');
  t.equal(j.seed, 9);
  const again = await capture(['simulate', '--scenario', file('small.json', small), '--json', '--seed', '9']);
  t.equal(again.out, out, 'the scenario seed given explicitly gives the same report');
});

t.test('a file without "kind" that has traffic is a simulation scenario', async (t) => {
  const { code, err } = await capture(['simulate', '--scenario', file('old.json', { ...small, kind: undefined }), '--json']);
  t.equal(code, 0, err);
});

t.test('human summary', async (t) => {
  const { code, out } = await capture(['simulate', '--scenario', file('small.json', small)]);
  t.equal(code, 0);
  t.match(out, /^scenario small: seed 9/);
  t.match(out, /zooroute\s+[\d.]+/);
  t.match(out, /outage cut vs static: zooroute/);
  t.match(out, /probes: on-demand \d+ pkts/);
});

t.test('errors: one line, exit 2', async (t) => {
  const bad = { ...small, failures: [{ type: 'link-down', atMs: 10, durationMs: 10, links: [['leaf0', 'nowhere']] }] };
  const cases: [string[], RegExp][] = [
    [['simulate', '--scenario', file('bad.json', bad)], /bad\.json: failures\[0\]\.links\[0\]: no node named nowhere/],
    [['simulate', '--scenario', file('nojson.json', '{ nope')], /nojson\.json: not JSON/],
    [['simulate', '--scenario', file('kind.json', { ...small, topology: { kind: 'torus' } })], /topology\.kind: expected/],
    [['simulate', '--scenario', join(dir, 'missing.json')], /missing\.json/],
    [['simulate', '--scenario', file('small.json', small), '--seed', 'x'], /--seed must be an integer/],
    [['simulate', '--scenario', file('ctl.json', { ...small, control: { probeIntervalMs: -5 } })], /control\.probeIntervalMs: must be/],
    [['simulate', '--scenario', file('k.json', { ...small, kind: 'simulate' })], /k\.json: kind: expected "simulation" or "replay", got "simulate"/],
    // The other kind, declared or (no `kind`, no traffic) inferred: refused naming the command that runs it.
    [['simulate', '--scenario', 'examples/tenant-replay.scenario.json'],
      /^zooroute: examples\/tenant-replay\.scenario\.json: a replay scenario \("kind": "replay"\), not a simulation one: run it with zooroute replay CAPTURE --scenario examples\/tenant-replay\.scenario\.json\n$/],
    [['simulate', '--scenario', file('old-replay.json', { ...small, kind: undefined, traffic: {} })], /old-replay\.json: a replay scenario \(no "kind" and no traffic of its own\).*zooroute replay CAPTURE --scenario/],
    [['simulate', '--scenario', 'examples/replay-tenant-map.json'], /replay-tenant-map\.json: a VTEP map, not a scenario: give it to zooroute replay as --map/],
    [['simulate', '--scenario', 'examples/agent-a.json'], /agent-a\.json: an agent configuration, not a scenario: run it with zooroute agent -c/],
  ];
  for (const [argv, re] of cases) {
    const { code, err } = await capture(argv);
    t.equal(code, 2, argv.join(' '));
    t.match(err, re);
    t.equal(err.trim().split('\n').length, 1, 'one line');
  }
});

t.test('--seeds: per-seed reports as single runs give them, the same whatever --jobs', async (t) => {
  const f = file('small.json', small);
  const one = await capture(['simulate', '--scenario', f, '--seeds', '1-3', '--jobs', '1', '--json']);
  t.equal(one.code, 0, one.err);
  const two = await capture(['simulate', '--scenario', f, '--seeds', '1..3', '--jobs', '2', '--json']);
  t.equal(two.code, 0, two.err);
  t.equal(two.out, one.out, 'jobs 2 (worker threads) gives the same figures as jobs 1');
  const j = JSON.parse(one.out);
  t.same(j.summary.seeds, [1, 2, 3]);
  t.same(j.runs.map((r: { seed: number }) => r.seed), [1, 2, 3]);
  const single = JSON.parse((await capture(['simulate', '--scenario', f, '--seed', '2', '--json'])).out);
  t.same(j.runs[1], single, 'seed 2 of the study is the single run at --seed 2');
  for (const m of ['zooroute', 'static', 'opportunistic', 'prr']) {
    const s = j.summary.modes[m];
    const outages = j.runs.map((r: { modes: Record<string, { outageSeconds: number }> }) => r.modes[m].outageSeconds).sort((a: number, b: number) => a - b);
    t.equal(s.outageSeconds.median, outages[1], `${m}: median of 3 is the middle one`);
    t.equal(s.outageSeconds.min, outages[0]);
    t.equal(s.outageSeconds.max, outages[2]);
    t.ok(s.outageSeconds.p10 >= outages[0] && s.outageSeconds.p10 <= outages[1], `${m}: p10 between min and median`);
    const masked = j.runs.reduce((n: number, r: { modes: Record<string, { maskedFailures: number }> }) => n + r.modes[m].maskedFailures, 0);
    t.equal(s.maskedFailures, masked);
    t.equal(s.failures, 3);
    t.equal(s.maskedShare, Math.round((masked / 3) * 1e4) / 1e4);
  }
  t.type(j.summary.modes.zooroute.detectMeanMs.median, 'number');
  t.type(j.summary.modes.prr.retriesMean.median, 'number');
  t.equal(j.summary.modes.static.cutVsStatic, null);
  const human = await capture(['simulate', '--scenario', f, '--seeds', '1,2,3', '--jobs', '2']);
  t.equal(human.code, 0, human.err);
  t.match(human.out, /^scenario small: 3 seeds \(1,2,3\)/);
  t.match(human.out, /\nzooroute\s+[\d.]+ \[[\d.]+-[\d.]+\]/);
  t.match(human.out, /\nprr \(TCP RTO, IPv6 label\)\s+[\d.]+ \[/);
});

t.test('--trace: one flow\'s timeline, its out time matching the ledger', async (t) => {
  const f = file('small.json', small);
  const r = await capture(['simulate', '--scenario', f, '--trace', 'worst', '--failure', '0', '--json']);
  t.equal(r.code, 0, r.err);
  const tr = JSON.parse(r.out);
  t.equal(tr.mode, 'zooroute');
  t.equal(tr.failure, 'spine0 black hole');
  t.equal(tr.fromMs, 1000);
  t.ok(tr.bins.length > 0 && tr.bins.every((b: { atMs: number }) => b.atMs >= tr.fromMs && b.atMs < tr.toMs), 'bins inside the window');
  const lossy = tr.bins.filter((b: { out: boolean; sent: number; lost: number }) => b.out && b.lost * 2 > b.sent).length;
  const byCause = Object.values(tr.causes as Record<string, number>).reduce((a, b) => a + b, 0);
  t.equal(Math.round(byCause * 10), lossy, 'every lossy out bin has one cause');
  t.ok(tr.outSeconds >= lossy / 10, 'out time covers the lossy bins');
  t.ok(tr.events.some((e: { type: string }) => e.type === 'port-down'), 'zooroute saw a port go down');
  const prr = await capture(['simulate', '--scenario', f, '--trace', 'worst', '--mode', 'prr']);
  t.equal(prr.code, 0, prr.err);
  t.match(prr.out, /^trace prr, seed 9, flow \d \(TCP ipv4/);
  t.match(prr.out, /rto after \d+ ms, same hash/);
  for (const [argv, re] of [
    [['--trace', '99'], /--trace must be a flow index 0\.\.7 or "worst"/],
    [['--trace', '0', '--mode', 'nope'], /--mode must be one of/],
    [['--trace', '0', '--failure', 'nope'], /--failure must be a failure index/],
    [['--seeds', '1-3', '--trace', '0'], /--trace follows one seed/],
    [['--seeds', '3-1'], /runs backwards/],
    [['--seeds', 'x'], /--seeds must be integers/],
    [['--seeds', '1-3', '--jobs', '0'], /--jobs must be an integer/],
    [['--jobs', '2'], /--jobs needs --seeds/],
    [['--seed', '1', '--seeds', '1-2'], /--seed and --seeds/],
  ] as [string[], RegExp][]) {
    const e = await capture(['simulate', '--scenario', f, ...argv]);
    t.equal(e.code, 2, argv.join(' '));
    t.match(e.err, re);
    t.equal(e.err.trim().split('\n').length, 1, 'one line');
  }
});
