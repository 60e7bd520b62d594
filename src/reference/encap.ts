// Reference twin of encapBatch (assembly/vxlan.ts): the same checks in the same order, the same
// descriptor outputs, and the outer header built from scratch in the headroom in front of the frame.
import { OUTER_LEN, Status } from '../../bindings/layout.js';
import type { RefBatch } from './batch.js';
import { clearOutputs, frameFits } from './descriptor.js';
import { flowKey } from './flow-hash.js';
import { writeOuterHeader } from './outer-header.js';
import { selectPort } from './select.js';
import type { RefState } from './state.js';

/** Bytes the outer IPv4 packet adds to the inner frame: IPv4 20 + UDP 8 + VXLAN 8. */
const IP_OVERHEAD = 36;

/** Encapsulate every frame towards its peer; returns the number encapsulated. */
export function encapBatchRef(b: RefBatch, s: RefState): number {
  const c = s.config;
  let ok = 0;
  b.desc.forEach((d, i) => {
    const off = d.dataOff, len = d.dataLen;
    if (!frameFits(off, len, b.slotSize, OUTER_LEN)) { clearOutputs(d, Status.BAD_DESC); return; }
    if (len < 14) { clearOutputs(d, Status.RUNT); return; }
    const peer = s.peers[d.peer];
    if (peer === undefined) { clearOutputs(d, Status.NO_PEER); return; }
    // The underlay MTU when set, and in any case IPv4's own limit on the total length.
    const outerTotal = len + IP_OVERHEAD;
    if ((c.mtu !== 0 && outerTotal > c.mtu) || outerTotal > 0xffff) { clearOutputs(d, Status.MTU); return; }
    const base = i * b.slotSize + off;
    const k = flowKey(b.arena.subarray(base, base + len), c.seed);
    const choice = d.force !== 0 ? { port: d.force, cand: 0xffff } : selectPort(peer, k.hash);
    writeOuterHeader(b.arena, base - OUTER_LEN, {
      dstMac: peer.mac, srcMac: c.localMac, tos: c.tos, ttl: c.ttl, id: s.ipId, srcIp: c.localIp,
      dstIp: peer.remoteIp, sport: choice.port, dport: c.vxlanPort, vni: peer.vni, innerLen: len,
    });
    s.ipId = (s.ipId + 1) & 0xffff;
    d.outOff = off - OUTER_LEN; d.outLen = len + OUTER_LEN;
    d.hash = k.hash; d.vni = 0; d.outerSrc = 0; d.outerDst = 0;
    d.sport = choice.port; d.status = Status.OK; d.key = k.key; d.l3 = k.l3; d.l4 = k.l4;
    d.cand = choice.cand;
    ok++;
  });
  return ok;
}
