// Reference twin of decapBatch (assembly/vxlan.ts): every validation in the same order, the inner
// frame handed back in place.
import { Status } from '../../bindings/layout.js';
import type { RefBatch } from './batch.js';
import { clearOutputs, frameFits, type RefDescriptor } from './descriptor.js';
import { be16, be32 } from './bytes.js';
import { ipv4ChecksumValid } from './checksum.js';
import type { RefConfig, RefState } from './state.js';

const isVlan = (et: number): boolean => et === 0x8100 || et === 0x88a8;

/** Validate the VXLAN frame f (at slot offset off); on success fill d's outputs. Returns a status. */
function decapOne(d: RefDescriptor, f: Uint8Array, off: number, c: RefConfig): number {
  const len = f.length;
  let et = be16(f, 12);
  let ip = 14;
  if (isVlan(et) && len >= 18) {
    et = be16(f, 16); ip = 18;
    if (isVlan(et) && len >= 22) { et = be16(f, 20); ip = 22; }
  }
  if (et !== 0x0800) return Status.NOT_IPV4;
  if (ip + 20 > len) return Status.BAD_IP_HEADER;
  const vihl = f[ip];
  const ihl = (vihl & 15) << 2;
  if (vihl >> 4 !== 4 || ihl < 20 || ip + ihl > len) return Status.BAD_IP_HEADER;
  if (!ipv4ChecksumValid(f, ip, ihl)) return Status.BAD_IP_CHECKSUM;
  const total = be16(f, ip + 2);
  if (total < ihl || ip + total > len) return Status.BAD_IP_LENGTH;
  if ((be16(f, ip + 6) & 0x3fff) !== 0) return Status.IP_FRAGMENT;
  if (f[ip + 9] !== 17) return Status.NOT_UDP;
  if (total - ihl < 8) return Status.BAD_UDP_LENGTH;
  const udp = ip + ihl;
  const udpLen = be16(f, udp + 4);
  if (udpLen < 8 || udpLen > total - ihl) return Status.BAD_UDP_LENGTH;
  if (be16(f, udp + 2) !== c.vxlanPort) return Status.NOT_VXLAN_PORT;
  if (udpLen < 16) return Status.VXLAN_TRUNCATED;
  if ((f[udp + 8] & 0x08) === 0) return Status.BAD_VXLAN_FLAGS;
  const vni = be32(f, udp + 12) >>> 8;
  if (c.decapVni !== undefined && vni !== c.decapVni) return Status.VNI_FILTERED;
  const inner = udpLen - 16;
  if (inner < 14) return Status.INNER_RUNT;
  d.outOff = off + udp + 16;
  d.outLen = inner;
  d.vni = vni;
  d.outerSrc = be32(f, ip + 12);
  d.outerDst = be32(f, ip + 16);
  d.sport = be16(f, udp);
  return Status.OK;
}

/** Decapsulate every frame; returns the number decapsulated. */
export function decapBatchRef(b: RefBatch, s: RefState): number {
  const c = s.config;
  let ok = 0;
  b.desc.forEach((d, i) => {
    const off = d.dataOff, len = d.dataLen;
    if (!frameFits(off, len, b.slotSize, 0)) { clearOutputs(d, Status.BAD_DESC); return; }
    if (len < 14) { clearOutputs(d, Status.RUNT); return; }
    clearOutputs(d, Status.OK);
    const base = i * b.slotSize + off;
    const st = decapOne(d, b.arena.subarray(base, base + len), off, c);
    if (st !== Status.OK) { clearOutputs(d, st); return; }
    ok++;
  });
  return ok;
}
