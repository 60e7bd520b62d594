// Shared by the table tests (tables-wasm, tables-redirect): a batch of 200 UDP frames to peers
// 0..peers-2 encapsulated through the datapath's mirrored table, each port checked against the TS twin.
import { Status, type Datapath } from '../../bindings/index.js';
import type { FastTable, SlowPathTable } from '../../src/tables/index.js';
import { ethernet, ipv4, udp } from '../../src/reference/index.js';

/** Frame i: a distinct UDP flow (addresses and ports derived from i). */
export function tableFrame(i: number): Uint8Array {
  const mac = (b: number) => Uint8Array.of(2, 0, 0, 0, 0, b);
  const payload = udp(1024 + (i * 7919) % 60000, 80 + (i % 13), new Uint8Array(18));
  return ethernet(mac(1), mac(2), 0x0800, ipv4({ src: 0x0a000001 + i, dst: 0x0a100001 + (i >> 3), proto: 17 }, payload));
}

/**
 * Encapsulate 200 frames through `dp` and throw unless every packet left on the twin's choice
 * (candidate and port) and on a healthy port whenever its peer has one. `each` adds checks per packet.
 */
export function encapThroughTable(
  dp: Datapath, slow: SlowPathTable, table: FastTable, peers: number, label: string,
  each?: (peer: number, i: number) => void,
): void {
  const b = dp.batch();
  b.clear();
  for (let i = 0; i < 200; i++) b.push(tableFrame(i), i % (peers - 1));
  if (dp.encap(b) !== 200) throw new Error(`${label}: encap dropped packets`);
  for (let i = 0; i < 200; i++) {
    const p = i % (peers - 1);
    const cands = dp.peer(p)!.candidates;
    const c = table.select(p, b.hash(i));
    if (b.status(i) !== Status.OK) throw new Error(`${label}: status ${b.status(i)}`);
    if (b.candidate(i) !== c || b.sport(i) !== cands[c]) throw new Error(`${label}: packet ${i} sport ${b.sport(i)} cand ${b.candidate(i)}, twin ${cands[c]} cand ${c}`);
    const states = slow.ports(p);
    if (states.some((s) => s.healthy) && !states[c]!.healthy) throw new Error(`${label}: bad port used`);
    each?.(p, i);
  }
}
