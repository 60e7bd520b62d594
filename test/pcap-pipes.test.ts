// `-` is standard input or output for every capture argument, so zooroute sits in a shell pipeline
// between capture tools: `tshark -w - | zooroute encap - -o - | zooroute decap - -o - | tshark -r -`
// gives back every frame tshark wrote, with its timestamp; `zooroute replay -` reads a pipe (it copies
// it to a temporary file, as it reads its input twice) and writes OUT to a pipe with the report on
// stderr. tshark is the independent reader at both ends.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapture } from '../src/pcap/index.js';
import { root, zooroute } from './fixtures/cli.js';
import { needTshark } from './helpers/needs.js';

const skipTshark = needTshark();
const dir = mkdtempSync(join(tmpdir(), 'zooroute-pipes-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const tenant = join(root, 'examples/tenant.pcap');
const SCENARIO = join(root, 'examples/tenant-replay.scenario.json');
const MAP = join(root, 'examples/replay-tenant-map.json');
const ZR = `'${process.execPath}' '${join(root, 'bin/zooroute.js')}'`;
const ENCAP = '--vni 42 --local 10.0.0.1 --remote 10.0.0.2';
const hex = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');

interface Piped { code: number | null; stdout: Buffer; stderr: string }
/** Run a bash pipeline; pipefail makes any stage's failure the pipeline's. */
function pipeline(script: string): Piped {
  const r = spawnSync('bash', ['-c', `set -eo pipefail\n${script}`], { cwd: dir, maxBuffer: 256 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** Timestamp and bytes of every record, in order. */
function records(bytes: Uint8Array): string[] {
  return decodeCapture(bytes).records.map((r) => `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')} ${r.origLen} ${hex(r.data)}`);
}

// What tshark itself says of each frame: time, length, addresses, ports and protocols as it dissects them.
const FIELDS = ['frame.time_epoch', 'frame.len', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'udp.srcport', 'frame.protocols'];
const fieldArgs = FIELDS.map((f) => `-e ${f}`).join(' ');

t.test('zooroute alone: cat | encap - -o - | decap - -o - gives the capture back byte for byte', async (tt) => {
  const r = pipeline(`cat '${tenant}' | ${ZR} encap - -o - ${ENCAP} | ${ZR} decap - -o - > back.pcap`);
  tt.equal(r.code, 0, r.stderr);
  tt.ok(readFileSync(join(dir, 'back.pcap')).equals(readFileSync(tenant)), 'cmp-identical to examples/tenant.pcap');
  tt.match(r.stderr, /zooroute encap: 952 frames, 952 encapsulated, 0 dropped -> -\n/);
  tt.match(r.stderr, /zooroute decap: 952 frames, 952 decapsulated, 0 dropped -> -\n/);
});

t.test('tshark -w - | zooroute encap - -o - | zooroute decap - -o - | tshark -r -', { skip: skipTshark ?? false }, async (tt) => {
  for (const fmt of ['pcapng', 'pcap']) {
    // tshark writes the example to the pipe (pcapng is its default), zooroute encapsulates and
    // decapsulates on pipes, tshark reads the result from its stdin and writes it out.
    const r = pipeline(`tshark -r '${tenant}' -F ${fmt} -w - | ${ZR} encap - -o - ${ENCAP} | ${ZR} decap - -o - | tshark -r - -F ${fmt} -w back-${fmt}`);
    tt.equal(r.code, 0, r.stderr);
    const orig = pipeline(`tshark -r '${tenant}' -F ${fmt} -w orig-${fmt}`);
    tt.equal(orig.code, 0, orig.stderr);
    const want = records(readFileSync(join(dir, `orig-${fmt}`)));
    tt.equal(want.length, 952, `${fmt}: tshark wrote every frame of the example`);
    tt.same(records(readFileSync(join(dir, `back-${fmt}`))), want, `${fmt}: every frame back, same bytes, same timestamps`);
    // And tshark's dissection at the end of the pipe reads the same as of the original.
    const dissect = pipeline(`tshark -r '${tenant}' -F ${fmt} -w - | ${ZR} encap - -o - ${ENCAP} | ${ZR} decap - -o - | tshark -r - -T fields ${fieldArgs}`);
    tt.equal(dissect.code, 0, dissect.stderr);
    const direct = pipeline(`tshark -r '${tenant}' -T fields ${fieldArgs}`);
    tt.equal(dissect.stdout.toString(), direct.stdout.toString(), `${fmt}: tshark -r - dissects what it dissects in the original`);
  }
  // The encapsulated stream itself, read by tshark from the pipe: VXLAN with our VNI on every frame.
  const vx = pipeline(`tshark -r '${tenant}' -w - | ${ZR} encap - -o - ${ENCAP} | tshark -r - -T fields -E occurrence=f -e vxlan.vni -e ip.dst`);
  tt.equal(vx.code, 0, vx.stderr);
  const lines = vx.stdout.toString().trim().split('\n');
  tt.equal(lines.length, 952);
  tt.same([...new Set(lines)], ['42\t10.0.0.2'], 'every frame VXLAN VNI 42 to the remote VTEP (outer destination)');
});

t.test('zooroute replay - reads a pipe and writes OUT to one', { skip: skipTshark ?? false }, async (tt) => {
  const replay = `replay --scenario '${SCENARIO}' --map '${MAP}'`;
  const file = zooroute(...`replay ${tenant} --scenario ${SCENARIO} --map ${MAP} -o ${join(dir, 'replay-file.pcap')} --json`.split(' '));
  tt.equal(file.code, 0, file.stderr);
  // From a pipe, report as JSON on stdout: the same report as from the file, but for its input's name.
  const j = pipeline(`cat '${tenant}' | ${ZR} ${replay} - --json`);
  tt.equal(j.code, 0, j.stderr);
  const fromPipe = JSON.parse(j.stdout.toString()) as Record<string, unknown>;
  const fromFile = JSON.parse(file.stdout) as Record<string, unknown>;
  tt.equal(fromPipe.input, '-');
  tt.same({ ...fromPipe, input: 'x' }, { ...fromFile, input: 'x' }, 'the same report as for the file');
  // tshark -> replay -> tshark: OUT on stdout, the text report on stderr.
  const p = pipeline(`cat '${tenant}' | ${ZR} ${replay} - -o - | tshark -r - -F pcap -w replay-pipe.pcap`);
  tt.equal(p.code, 0, p.stderr);
  tt.match(p.stderr, /^replay -: 952 frames \(952 replayed, 0 local, 0 skipped\)/m, 'the report went to stderr');
  tt.same(records(readFileSync(join(dir, 'replay-pipe.pcap'))), records(readFileSync(join(dir, 'replay-file.pcap'))),
    'OUT through the pipe holds the frames OUT written to a file holds');
  const fromTshark = pipeline(`tshark -r '${tenant}' -w - | ${ZR} ${replay} - -o - | tshark -r - -T fields -e frame.time_epoch -e udp.srcport -e vxlan.vni`);
  tt.equal(fromTshark.code, 0, fromTshark.stderr);
  const direct = pipeline(`tshark -r replay-file.pcap -T fields -e frame.time_epoch -e udp.srcport -e vxlan.vni`);
  tt.equal(fromTshark.stdout.toString(), direct.stdout.toString(), 'tshark -w - | replay - -o - | tshark -r -: the same frames, ports and VNIs');
  tt.same(readdirSync(tmpdir()).filter((f) => f.startsWith('zooroute-spool-')).length, 0, 'the temporary copy of stdin is gone');
});

t.test('errors on pipes name `-`, one line, exit 2', async (tt) => {
  const junk = pipeline(`echo 'not a capture at all' | ${ZR} encap - -o /dev/null ${ENCAP}`);
  tt.equal(junk.code, 2);
  tt.equal(junk.stderr, 'zooroute: -: bad magic 0x6e6f7420 (neither pcap nor pcapng) at byte offset 0\n');
  const rj = pipeline(`echo 'not a capture at all' | ${ZR} replay - --scenario '${SCENARIO}'`);
  tt.equal(rj.code, 2);
  tt.equal(rj.stderr, 'zooroute: -: bad magic 0x6e6f7420 (neither pcap nor pcapng) at byte offset 0\n', 'replay names -, not its temporary copy');
  const both = pipeline(`cat '${tenant}' | ${ZR} replay - --scenario '${SCENARIO}' -o - --json`);
  tt.equal(both.code, 2);
  tt.equal(both.stderr, 'zooroute: --json: standard output carries the capture (-o -); drop --json or name an output file\n');
});
