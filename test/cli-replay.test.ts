// `zooroute replay` on the bundled example: JSON as simulate's plus frames and flows, OUT readable by
// tshark as VXLAN with the source ports the datapath wrote, the HTML report, and one-line errors
// (file, offset, exit 2) for bad scenarios, captures and map files.
import t from 'tap';
import { runInProcess as capture } from './fixtures/cli.js';
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPackets } from '../src/pcap/index.js';
import { needTshark } from './helpers/needs.js';

const dir = mkdtempSync(join(tmpdir(), 'zr-cli-replay-'));
const PCAP = 'examples/tenant.pcap';
const SCENARIO = 'examples/tenant-replay.scenario.json';
const MAP = 'examples/replay-tenant-map.json';
const out = join(dir, 'out.pcap');
const html = join(dir, 'report.html');

t.test('replay the example: JSON, OUT, report', async (t) => {
  const { code, out: stdout, err } = await capture(['replay', PCAP, '--scenario', SCENARIO, '--map', MAP, '-o', out, '--report', html, '--json']);
  t.equal(code, 0, err);
  t.equal(err, '', 'quiet with --json');
  const j = JSON.parse(stdout);
  // simulate's keys ...
  for (const k of ['scenario', 'seed', 'durationMs', 'vteps', 'flows', 'modes', 'outageCutVsStatic', 'probes', 'underlay', 'middlebox']) t.ok(k in j, k);
  for (const m of ['zooroute', 'static', 'opportunistic']) {
    for (const k of ['outageSeconds', 'lostPackets', 'sentPackets', 'maskedFailures', 'failures']) t.type(j.modes[m][k], 'number', `modes.${m}.${k}`);
    t.type(j.recovery[m].maxMs, 'number');
  }
  // ... plus frames and flows, both counts.
  t.equal(j.frames, 952, 'every frame of tenant.pcap');
  t.type(j.flows, 'number');
  t.ok(j.flows >= 8, `${j.flows} flows`);
  t.equal(j.perFlow.length, j.flows);
  t.equal(j.frameCounts.encapsulated, 952);
  t.equal(j.hashedAddresses, 0, 'the map file places the IPv6 VMs');
  t.equal(j.modes.static.maskedFailures, 0, 'the spine black hole is not masked in static mode');
  t.equal(j.modes.zooroute.maskedFailures, 1, 'zooroute masks it');
  t.ok(j.modes.zooroute.outageSeconds < j.modes.static.outageSeconds);
  t.equal(j.modes.zooroute.sentPackets, 952);

  const sports: number[] = [];
  for await (const r of readPackets(out)) sports.push((r.data[34] << 8) | r.data[35]);
  t.equal(sports.length, 952);

  const page = readFileSync(html, 'utf8');
  t.match(page, /<svg/);
  t.match(page, /spine2 black hole/);
  t.match(page, /recover max ms/);

  const skip = needTshark();
  t.test('tshark reads OUT as VXLAN with those ports', { skip }, async (t) => {
    const lines = execFileSync('tshark', ['-r', out, '-T', 'fields', '-E', 'occurrence=f', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'vxlan.vni', '-e', 'ip.checksum.status',
      '-o', 'ip.check_checksum:TRUE'], { encoding: 'utf8' }).trim().split('\n');
    t.equal(lines.length, 952);
    lines.forEach((l, i) => {
      const [sp, dp, vni, ck] = l.split('\t');
      if (Number(sp) !== sports[i] || dp !== '4789' || vni !== '1' || ck !== '1') t.fail(`frame ${i + 1}: ${l}`);
    });
    t.pass('every frame: VXLAN VNI 1 to 4789, valid outer checksum, the source port written');
  });
});

t.test('human summary', async (t) => {
  const { code, out: stdout } = await capture(['replay', PCAP, '--scenario', SCENARIO, '--map', MAP]);
  t.equal(code, 0);
  t.match(stdout, /^replay examples\/tenant\.pcap: 952 frames/);
  t.match(stdout, /failure spine2 black hole: masked zooroute yes \/ static no/);
  t.match(stdout, /time to recover/);
});

t.test('errors: one line, exit 2', async (t) => {
  const f = (name: string, body: string | Uint8Array): string => { const p = join(dir, name); writeFileSync(p, body); return p; };
  const scenario = JSON.parse(readFileSync(SCENARIO, 'utf8'));
  const truncated = readFileSync(PCAP).subarray(0, 24 + 16 + 30);
  const cases: [string[], RegExp][] = [
    [['replay', PCAP, '--scenario', f('bad.json', JSON.stringify({ ...scenario, failures: [{ type: 'switch-down', atMs: 1, durationMs: 1, switch: 'spine9' }] }))], /bad\.json: failures\[0\]\.switch: no node named spine9/],
    [['replay', PCAP, '--scenario', f('unknown.json', JSON.stringify({ ...scenario, extra: 1 }))], /unknown\.json: scenario\.extra: unknown field/],
    [['replay', f('garbage.pcap', 'this is not a capture at all'), '--scenario', SCENARIO], /garbage\.pcap: .* at byte offset \d+/],
    [['replay', f('truncated.pcap', truncated), '--scenario', SCENARIO], /truncated\.pcap: .* at byte offset \d+/],
    [['replay', PCAP, '--scenario', SCENARIO, '--map', f('map.json', '{"inner": {"192.168.10.11": "nobody"}}')], /map\.json: inner\.192\.168\.10\.11: "nobody" is not a VTEP/],
    [['replay', PCAP, '--scenario', SCENARIO, '-o', PCAP], /would overwrite the input/],
    [['replay', PCAP, '--scenario', SCENARIO, '--vni', 'x'], /--vni: expected an integer/],
    [['replay', PCAP, '--scenario', 'examples/switch-card-failure.json'],
      /^zooroute: examples\/switch-card-failure\.json: a simulation scenario \("kind": "simulation"\), not a replay one: run it with zooroute simulate --scenario examples\/switch-card-failure\.json\n$/],
    [['replay', PCAP, '--scenario', f('old-sim.json', JSON.stringify({ ...scenario, kind: undefined, traffic: { generator: {} } }))], /old-sim\.json: a simulation scenario \(no "kind", and traffic of its own\)/],
    [['replay', PCAP, '--scenario', f('flows.json', JSON.stringify({ ...scenario, traffic: { flows: [] } }))], /flows\.json: traffic: a replay scenario takes its traffic from the capture/],
  ];
  for (const [argv, re] of cases) {
    const { code, err } = await capture(argv);
    t.equal(code, 2, argv.join(' '));
    t.match(err, re);
    t.equal(err.trim().split('\n').length, 1, 'one line');
  }
});

t.test('the case-study scenarios replay the example; across regions frames go to the gateway', async (t) => {
  for (const name of ['long-haul-jitter', 'switch-card-failure', 'border-routers-down']) {
    const o = join(dir, `${name}.pcap`);
    const { code, out: stdout, err } = await capture(['replay', PCAP, '--scenario', `examples/${name}.scenario.json`, '--map', MAP, '-o', o, '--json']);
    t.equal(code, 0, `${name}: ${err}`);
    const j = JSON.parse(stdout);
    t.equal(j.frames, 952, name);
    t.equal(j.modes.zooroute.failures, 1, name);
    t.ok(j.modes.zooroute.lostPackets <= j.modes.static.lostPackets, `${name}: zooroute loses no more than static`);
    const dsts = new Set<string>();
    for await (const r of readPackets(o)) dsts.add([...r.data.subarray(30, 34)].join('.'));
    if (name !== 'switch-card-failure') t.same([...dsts].filter((d) => !/^10\.[01]\.255\./.test(d)), [], `${name}: every outer destination is a gateway`);
    else t.ok([...dsts].every((d) => /^10\.[01]\.0\./.test(d)), 'clos pods: host to host');
  }
});

t.test('progress bar: only for long inputs, one per pass', async (t) => {
  const { progressBar, PROGRESS_MIN_BYTES } = await import('../src/replay/progress.js');
  const sink = new PassThrough();
  const tty = Object.assign(sink, { isTTY: true, columns: 120 }) as unknown as NodeJS.WriteStream;
  let text = '';
  sink.on('data', (c: Buffer) => { text += c.toString(); });
  t.equal(progressBar(PCAP, tty), undefined, 'the small example gets no bar');
  const big = join(dir, 'big.bin');
  writeFileSync(big, Buffer.alloc(PROGRESS_MIN_BYTES + 1));
  const bar = progressBar(big, tty)!;
  t.ok(bar);
  bar.update('scan', PROGRESS_MIN_BYTES / 2);
  bar.update('encap', PROGRESS_MIN_BYTES);
  bar.stop();
  t.match(text, /replay scan/);
  t.match(text, /replay encap/);
});
