// runCapture's checks that come before any interface is opened (no root needed), and its helpers.
import t from 'tap';
import { runCapture, slotSizeFor, wallClock, interfaceMtu } from '../src/capture/session.js';
import { UsageError } from '../src/cli/errors.js';
import { main } from '../src/cli/main.js';

const base = { iface: 'eth-none', output: { kind: 'pcap' as const, path: '/dev/null' }, vni: 1, localIp: '10.0.0.1', remoteIp: '10.0.0.2' };

t.test('bad settings are usage errors before anything is opened', async (t) => {
  await t.rejects(runCapture({ ...base, count: 0 }), new UsageError('--count must be a positive integer, got 0'));
  await t.rejects(runCapture({ ...base, durationS: 3e6 }), { name: 'UsageError', message: /--duration must be/ });
  await t.rejects(runCapture({ ...base, durationS: -1 }), { name: 'UsageError', message: /--duration must be/ });
  await t.rejects(runCapture({ ...base, output: { kind: 'iface', iface: 'eth-none' } }), { name: 'UsageError', message: /--out-iface must differ/ });
  await t.rejects(runCapture({ ...base, remoteIp: '10.0.0.256' }), { name: 'UsageError', message: /not an IPv4 address/ });
  await t.rejects(runCapture({ ...base, srcMac: 'zz' }), { name: 'UsageError', message: /not a MAC address/ });
  await t.rejects(runCapture({ ...base, vni: 1 << 24 }), { name: 'UsageError', message: /vni/ });
  await t.rejects(runCapture({ ...base, candidates: 65 }), { name: 'UsageError', message: /candidates/ });
  await t.rejects(runCapture({ ...base, filter: 'tcp', io: 'mmap' }), new UsageError('--filter needs --io cap: the AF_PACKET ring takes no pcap-filter expression'));
});

t.test('the command line: exit 2 with one line for what cannot run', async (t) => {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string | Uint8Array): boolean => { lines.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    const common = ['node', 'zooroute', 'capture', '-i', 'eth-none', '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2'];
    t.equal(await main(common), 2, 'no output given');
    t.equal(await main([...common, '-o', '/dev/null', '--out-iface', 'x']), 2, 'both outputs given');
    t.equal(await main([...common, '-o', '/dev/null', '--count', 'many']), 2, 'count not a number');
    t.equal(await main([...common, '-o', '/dev/null', '--sport-range', '9-3']), 2, 'bad port range');
    t.equal(await main([...common, '-o', '/dev/null', '--flush-ms', '-1']), 2, 'bad flush timer');
  } finally {
    process.stderr.write = write;
  }
  t.equal(lines.length, 5, lines.join(''));
  t.ok(lines.every((l) => /^(zooroute: |error: ).*\n$/.test(l) && l.indexOf('\n') === l.length - 1), 'each one line');
  t.match(lines[0], /exactly one of -o, --output FILE or --out-iface/);
});

t.test('slots hold an MTU-sized frame with two VLAN tags and the headroom', async (t) => {
  t.equal(slotSizeFor(undefined), 2048);
  t.equal(slotSizeFor(1500), 2048);
  t.equal(slotSizeFor(9000), 9088, '64 + 9000 + 22 rounded up to 64');
  t.equal(slotSizeFor(65536), 65536 + 128, 'capped at the largest slot the datapath takes');
  t.equal(interfaceMtu('../../etc'), undefined, 'not a path');
  t.equal(interfaceMtu('no-such-if0'), undefined);
});

t.test('the wall clock fills seconds and nanoseconds', async (t) => {
  const ts = { sec: 0, nsec: 0 };
  const before = Date.now();
  wallClock(ts);
  const ms = ts.sec * 1000 + ts.nsec / 1e6;
  t.ok(Number.isInteger(ts.sec) && Number.isInteger(ts.nsec) && ts.nsec >= 0 && ts.nsec < 1e9);
  t.ok(Math.abs(ms - before) < 1000, `${ms} is close to ${before}`);
});
