// The packet I/O's counters in the agent's /metrics (renderMetrics with the io snapshot): frames and
// send calls per interface, drops per interface and reason; the ring's drops only where the I/O can
// read them (cap cannot: no row rather than a made-up 0). No root: a snapshot built by hand.
import t from 'tap';
import { renderMetrics, type MetricsSnapshot } from '../src/agent/index.js';
import { Vtep, VirtualClock } from '../src/control/index.js';
import type { IoStats } from '../src/io/index.js';

const vtep = new Vtep({
  clock: new VirtualClock(0), localIp: '10.0.0.1', localMac: '02:00:00:00:00:01', gatewayMac: '02:00:00:00:00:02', vni: 42,
  secret: new Uint8Array(16), sendUnderlay: () => undefined, deliverTenant: () => undefined,
});
const stats = (kind: 'cap' | 'mmap', ring: number | undefined): IoStats => ({
  kind, received: 1000, receivedBytes: 64000, sent: 900, sentBytes: 90000, sendCalls: kind === 'mmap' ? 4 : 900,
  drops: { ring, oversize: 2, backlog: 0, txRingFull: 7, txOversize: 1, txBadDesc: 0, txError: 0 },
});

t.test('io counters by interface and reason', async (t) => {
  const m: MetricsSnapshot = { ...vtep.metrics(), cpu: 0.01, io: { vm: stats('mmap', 12), underlay: stats('cap', undefined) } };
  const text = renderMetrics(m);
  const value = (line: string): number | undefined => {
    const row = text.split('\n').find((l) => l.startsWith(line + ' '));
    return row === undefined ? undefined : Number(row.slice(line.length + 1));
  };
  t.equal(value('zooroute_io_frames_total{iface="vm",io="mmap",direction="rx"}'), 1000);
  t.equal(value('zooroute_io_frames_total{iface="underlay",io="cap",direction="tx"}'), 900);
  t.equal(value('zooroute_io_send_calls_total{iface="vm",io="mmap"}'), 4, 'one sendmmsg per batch shows as few calls');
  t.equal(value('zooroute_io_drops_total{iface="vm",io="mmap",reason="ring"}'), 12, 'ring drops (tp_drops)');
  t.equal(value('zooroute_io_drops_total{iface="underlay",io="cap",reason="ring"}'), undefined, 'cap cannot read ring drops: no row');
  t.equal(value('zooroute_io_drops_total{iface="vm",io="mmap",reason="tx_ring_full"}'), 7);
  t.equal(value('zooroute_io_drops_total{iface="underlay",io="cap",reason="oversize"}'), 2);
  t.match(text, /# TYPE zooroute_io_drops_total counter/);
});

t.test('no io families for injected ports', async (t) => {
  const text = renderMetrics({ ...vtep.metrics(), cpu: 0 });
  t.notMatch(text, /zooroute_io_/);
});
