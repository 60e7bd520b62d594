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
