// The agent's metrics: the Vtep's snapshot and the process's CPU as Prometheus text exposition
// (format 0.0.4), served on /metrics.
import { formatIPv4 } from '../../bindings/index.js';
import type { VtepMetrics } from '../control/index.js';
import type { IoStats } from '../capture/index.js';

/** What /metrics shows: the Vtep's snapshot, the agent process's CPU share of one core and its interfaces' I/O. */
export interface MetricsSnapshot extends VtepMetrics {
  cpu: number;
  /** Packet I/O counters of the live interfaces (absent for injected ports). */
  io?: { vm?: IoStats; underlay?: IoStats };
}

const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Render the exposition text. */
export function renderMetrics(m: MetricsSnapshot): string {
  const out: string[] = [];
  const fam = (name: string, type: 'gauge' | 'counter', help: string, rows: [string, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of rows) out.push(`${name}${labels} ${Number.isFinite(v) ? v : 0}`);
  };
  const peer = (ip: number, extra = ''): string => `{peer="${formatIPv4(ip)}"${extra}}`;

  fam('zooroute_peer_healthy_ports', 'gauge', 'Candidate ports of the peer that are usable (good or not yet probed, and not waiting to restore).',
    m.peers.map((p) => [peer(p.ip), p.ports.filter((v) => v.state !== 'bad' && !v.restoring).length]));
  fam('zooroute_peer_restoring_ports', 'gauge', 'Good ports of the peer that came back intermittently and wait to restore before taking flows.',
    m.peers.map((p) => [peer(p.ip), p.ports.filter((v) => v.restoring).length]));
  const states = ['good', 'bad', 'unknown'] as const;
  fam('zooroute_peer_ports', 'gauge', 'Candidate ports of the peer by health state.',
    m.peers.flatMap((p) => states.map((s): [string, number] => [peer(p.ip, `,state="${s}"`), p.ports.filter((v) => v.state === s).length])));
  fam('zooroute_peer_probed_ports', 'gauge', 'Candidate ports of the peer being probed now.',
    m.peers.map((p) => [peer(p.ip), p.ports.filter((v) => v.probed).length]));
  fam('zooroute_probe_interval_seconds', 'gauge', 'Current probe interval towards the peer (after CPU and CTL backoff).',
    m.peers.map((p) => [peer(p.ip), p.intervalMs / 1000]));
  fam('zooroute_probes_sent_total', 'counter', 'Probe requests sent to the peer.', m.peers.map((p) => [peer(p.ip), p.probe.sent]));
  fam('zooroute_probe_replies_sent_to_peer_total', 'counter', 'Replies this VTEP sent to the peer\'s probe requests.', m.peers.map((p) => [peer(p.ip), p.probe.repliesSent]));
  fam('zooroute_probe_replies_total', 'counter', 'Authentic probe replies from the peer that matched an outstanding probe.',
    m.peers.map((p) => [peer(p.ip), p.probe.answered]));
  fam('zooroute_probe_loss_ratio', 'gauge', 'Share of probes to the peer unanswered over the last ~10 s.', m.peers.map((p) => [peer(p.ip), p.probe.recentLoss()]));
  fam('zooroute_probe_rtt_seconds', 'gauge', 'Round-trip time of the latest answered probe.', m.peers.map((p) => [peer(p.ip), p.probe.rttLastMs / 1000]));
  fam('zooroute_probe_rtt_seconds_sum', 'counter', 'Sum of probe round-trip times (divide by replies for the mean).', m.peers.map((p) => [peer(p.ip), p.probe.rttSumMs / 1000]));

  const c = m.control;
  fam('zooroute_probes_lost_total', 'counter', 'Probes unanswered within the timeout.', [['', c.probesLost]]);
  fam('zooroute_probe_replies_sent_total', 'counter', 'Probe requests this VTEP answered.', [['', c.repliesSent]]);
  fam('zooroute_probe_rejected_total', 'counter', 'Probes that changed nothing, by reason.', [
    ['{reason="bad_tag"}', c.badTags], ['{reason="malformed"}', c.malformed], ['{reason="stale"}', c.stale], ['{reason="throttled"}', c.throttled]]);
  fam('zooroute_port_down_total', 'counter', 'Ports that turned bad.', [['', c.portsDown]]);
  fam('zooroute_port_up_total', 'counter', 'Bad ports that turned good again.', [['', c.portsUp]]);
  fam('zooroute_switches_total', 'counter', 'Port failures that moved flows (the port was in use).', [['', c.switches]]);
  fam('zooroute_flow_switches_total', 'counter', 'Flows whose outer source port changed.', [['', m.counters.flowSwitches]]);
  fam('zooroute_cpu_backoff_level', 'gauge', 'Probe-rate backoff exponent from CPU load.', [['', c.cpuBackoff]]);
  fam('zooroute_active_peers', 'gauge', 'Peers with recent tenant traffic.', [['', m.activePeers]]);

  const d = m.counters;
  fam('zooroute_packets_total', 'counter', 'Datapath packets.', [
    ['{direction="vm_in"}', d.tenantFrames], ['{direction="encap"}', d.encapPackets], ['{direction="underlay_in"}', d.underlayFrames],
    ['{direction="decap"}', d.decapPackets], ['{direction="probe_in"}', d.probeFrames]]);
  fam('zooroute_bytes_total', 'counter', 'Datapath bytes (encap: outer frames sent; decap: inner frames delivered).', [
    ['{direction="encap"}', d.encapBytes], ['{direction="decap"}', d.decapBytes]]);
  const r = m.rates.rates;
  fam('zooroute_packets_per_second', 'gauge', 'Datapath packet rate over the last second.', [['{direction="encap"}', r[0]], ['{direction="decap"}', r[2]]]);
  fam('zooroute_bytes_per_second', 'gauge', 'Datapath byte rate over the last second.', [['{direction="encap"}', r[1]], ['{direction="decap"}', r[3]]]);
  fam('zooroute_drops_total', 'counter', 'Frames not forwarded, by reason.', [...d.drops].map(([k, v]) => [`{reason="${esc(k)}"}`, v]));
  const ios = Object.entries(m.io ?? {}).filter((e): e is [string, IoStats] => e[1] !== undefined);
  if (ios.length > 0) {
    const lbl = (side: string, extra: string): string => `{iface="${side}",io="${ios.find((e) => e[0] === side)![1].kind}"${extra}}`;
    fam('zooroute_io_frames_total', 'counter', 'Frames the packet I/O handed over (rx) or the kernel accepted for sending (tx), by interface.',
      ios.flatMap(([side, s]): [string, number][] => [[lbl(side, ',direction="rx"'), s.received], [lbl(side, ',direction="tx"'), s.sent]]));
    fam('zooroute_io_send_calls_total', 'counter', 'System calls made to send (one sendmmsg per batch with mmap, one per frame with cap).',
      ios.map(([side, s]): [string, number] => [lbl(side, ''), s.sendCalls]));
    // ring drops: frames the kernel could not put in the full receive ring (tp_drops; not known with cap, so not shown).
    const reasons: [string, (d: IoStats['drops']) => number | undefined][] = [
      ['ring', (d) => d.ring], ['oversize', (d) => d.oversize], ['backlog', (d) => d.backlog], ['tx_ring_full', (d) => d.txRingFull],
      ['tx_oversize', (d) => d.txOversize], ['tx_bad_desc', (d) => d.txBadDesc], ['tx_error', (d) => d.txError]];
    fam('zooroute_io_drops_total', 'counter', 'Frames lost in the packet I/O, by interface and reason (ring: the kernel receive ring was full).',
      ios.flatMap(([side, s]) => reasons.flatMap(([r, f]): [string, number][] => { const v = f(s.drops); return v === undefined ? [] : [[lbl(side, `,reason="${r}"`), v]]; })));
  }
  fam('zooroute_cpu_ratio', 'gauge', 'CPU used by the agent process, share of one core, over the last second.', [['', m.cpu]]);
  return out.join('\n') + '\n';
}
