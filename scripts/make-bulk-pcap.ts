// Writes a large capture of small frames for throughput and memory measurements (docs/pcap.md,
// "Performance"): N Ethernet/IPv4/UDP frames of SIZE bytes (default 4M of 64 B) over FLOWS flows
// from 192.168.0.x to 192.168.1.1, 1 us apart, microsecond classic pcap. Streamed: memory does not
// grow with N.
//
//   node --import tsx scripts/make-bulk-pcap.ts OUT.pcap [N] [SIZE] [FLOWS]
import { PcapWriter } from '../src/pcap/writer.js';

const [out, nArg = '4000000', sizeArg = '64', flowsArg = '64'] = process.argv.slice(2);
if (out === undefined) {
  process.stderr.write('usage: make-bulk-pcap.ts OUT.pcap [N] [SIZE] [FLOWS]\n');
  process.exit(2);
}
const n = Number(nArg), size = Number(sizeArg), flows = Number(flowsArg);
if (!Number.isSafeInteger(n) || n < 0 || !Number.isInteger(size) || size < 42 || size > 9000 || !Number.isInteger(flows) || flows < 1 || flows > 60000) {
  process.stderr.write('make-bulk-pcap.ts: N >= 0, SIZE in 42..9000, FLOWS in 1..60000\n');
  process.exit(2);
}

/** Frame of flow k: MACs, IPv4 (TTL 64, UDP) 192.168.0.(1 + k mod 8) -> 192.168.1.1, ports 10000+k -> 8080. */
function frameOf(k: number): Uint8Array {
  const f = new Uint8Array(size);
  const ipLen = size - 14, udpLen = size - 34;
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, ipLen >> 8, ipLen & 255, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 168, 0, 1 + (k % 8), 192, 168, 1, 1]);
  f.set([(10000 + k) >> 8, (10000 + k) & 255, 0x1f, 0x90, udpLen >> 8, udpLen & 255], 34);
  return f;
}

const frames = Array.from({ length: flows }, (_, k) => frameOf(k));
const w = await PcapWriter.open(out, { snaplen: 65535 });
const t0 = 1_700_000_000;
for (let i = 0; i < n; i++) w.write({ tsSec: t0 + Math.floor(i / 1_000_000), tsNsec: (i % 1_000_000) * 1000, data: frames[i % flows] });
await w.close();
