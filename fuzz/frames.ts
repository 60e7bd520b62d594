// Where the fuzzer's frames come from: a corpus of real captures (the Zeek traces shipped in
// test/fixtures/zeek/ and those in ../shared/pcaps/ beside the repository, when present; the inner
// frames of their VXLAN records too) and of generated frames of every shape the parser knows, each
// then mutated in place in the batch slot (byte pokes, bit flips, edge values in header fields,
// truncation, extension, splicing), or replaced by random bytes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VXLAN_PORT } from '../bindings/defaults.js';
import { decodeCapture, LINKTYPE_ETHERNET } from '../src/pcap/index.js';
import {
  Prng, ethernet, icmp, ipv4, ipv4Checksum, ipv6, tcp, udp, writeOuterHeader, type Ipv6Ext, type VlanTag,
} from '../src/reference/index.js';

/** Folders searched for capture files, relative to the repository root. */
export const CORPUS_DIRS = ['test/fixtures/zeek', '../shared/pcaps', '../shared/pcaps/zeek'];

export interface Corpus {
  /** Ethernet frames: captured, the inner frames of captured VXLAN, and generated. */
  frames: Uint8Array[];
  /** The classic pcap files among the captures, as record streams (for the record kernels). */
  recordFiles: RecordFile[];
  /** Captured VXLAN frames (outer headers included), mutated as decap input. */
  vxlan: Uint8Array[];
  /** Capture files read, and frames taken from them. */
  files: string[];
  captured: number;
}

/** A classic pcap file's records as they are in the file (byte order and record flavour of its header). */
export interface RecordFile {
  name: string;
  bigEndian: boolean;
  nanos: boolean;
  /** 24-byte record headers (the "modified" pcap format). */
  modified: boolean;
  snaplen: number;
  /** Each whole record (header and data), a view into the file. */
  records: Uint8Array[];
}

/** The records of a classic pcap file, or undefined for anything else (pcapng, a broken header). */
export function classicRecords(name: string, file: Uint8Array): RecordFile | undefined {
  if (file.length < 24) return undefined;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magics: Record<number, { nanos: boolean; modified: boolean }> = {
    0xa1b2c3d4: { nanos: false, modified: false }, 0xa1b23c4d: { nanos: true, modified: false }, 0xa1b2cd34: { nanos: false, modified: true },
  };
  let bigEndian = false, kind = magics[dv.getUint32(0, true)];
  if (kind === undefined) { bigEndian = true; kind = magics[dv.getUint32(0, false)]; }
  if (kind === undefined) return undefined;
  const h = kind.modified ? 24 : 16;
  const records: Uint8Array[] = [];
  for (let at = 24; at + h <= file.length;) {
    const end = at + h + dv.getUint32(at + 8, !bigEndian);
    if (end > file.length) break;
    records.push(file.subarray(at, end));
    at = end;
  }
  return { name, bigEndian, ...kind, snaplen: dv.getUint32(16, !bigEndian), records };
}

/** Offset of a VXLAN payload (after outer Ethernet, IPv4 and UDP to VXLAN_PORT) in f, or -1. */
function vxlanInnerOffset(f: Uint8Array): number {
  if (f.length < 50 || f[12] !== 0x08 || f[13] !== 0x00) return -1;
  const ihl = (f[14] & 15) * 4;
  if (f[14] >> 4 !== 4 || ihl < 20 || f[23] !== 17) return -1;
  const udp = 14 + ihl;
  if (udp + 16 + 14 > f.length || ((f[udp + 2] << 8) | f[udp + 3]) !== VXLAN_PORT) return -1;
  return udp + 16;
}

/** Every Ethernet capture under the corpus folders of `root` (each file once, by name). */
export function loadCaptures(root: string): { files: string[]; frames: Uint8Array[]; vxlan: Uint8Array[]; recordFiles: RecordFile[] } {
  const seen = new Set<string>();
  const files: string[] = [];
  const recordFiles: RecordFile[] = [];
  const frames: Uint8Array[] = [];
  const vxlan: Uint8Array[] = [];
  for (const d of CORPUS_DIRS) {
    const dir = join(root, d);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!/\.(pcap|pcapng)$/.test(name) || seen.has(name)) continue;
      seen.add(name);
      let cap;
      const bytes = readFileSync(join(dir, name));
      try { cap = decodeCapture(bytes, name); } catch { continue; }
      files.push(join(d, name));
      const rf = classicRecords(join(d, name), new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (rf !== undefined && rf.records.length > 0) recordFiles.push(rf);
      for (const r of cap.records) {
        if (r.linkType !== LINKTYPE_ETHERNET || r.data.length < 14) continue;
        frames.push(r.data);
        const inner = vxlanInnerOffset(r.data);
        if (inner > 0) { vxlan.push(r.data); frames.push(r.data.slice(inner)); }
      }
    }
  }
  return { files, frames, vxlan, recordFiles };
}

const ETHERTYPES = [0x0806, 0x88cc, 0x8847, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x0000, 0xffff];

/** One generated frame: IPv4 (options, fragments), IPv6 (extension headers), or another EtherType; 0-2 VLAN tags. */
export function generateFrame(r: Prng): Uint8Array {
  const mac = (): Uint8Array => r.bytes(6);
  const vlans: VlanTag[] = [];
  for (let n = r.int(0, 4) === 0 ? r.int(1, 2) : 0; n > 0; n--) vlans.push({ tpid: r.int(0, 1) === 0 ? 0x8100 : 0x88a8, tci: r.int(0, 0xffff) });
  const kind = r.int(0, 9);
  const size = r.int(0, 3) === 0 ? r.int(14, 1980) : r.int(14, 200);
  const head = 14 + 4 * vlans.length;
  const protos = [6, 17, 1, 58, 6, 17, r.int(0, 255)];
  const proto = protos[r.int(0, protos.length - 1)]!;
  const l4 = (): Uint8Array => (proto === 6 ? tcp(r.int(0, 0xffff), r.int(0, 0xffff)) : proto === 17 ? udp(r.int(0, 0xffff), r.int(0, 0xffff))
    : proto === 1 || proto === 58 ? icmp(r.int(0, 255), 0, r.int(0, 0xffff), 1) : r.bytes(8));
  if (kind <= 4) {
    const frag = r.int(0, 5);
    const later = frag === 5;
    const optWords = r.int(0, 3) === 0 ? r.int(0, 10) : 0;
    const t = later ? r.bytes(8) : l4();
    const pad = Math.max(0, size - head - 20 - 4 * optWords - t.length);
    const pkt = ipv4({
      src: r.u32(), dst: r.u32(), proto, id: r.int(0, 0xffff), dontFragment: r.int(0, 1) === 1, options: r.bytes(4 * optWords),
      moreFragments: frag === 4 || (later && r.int(0, 1) === 1), fragOffset: later ? r.int(1, 0x1fff) : 0,
    }, concat2(t, r.bytes(pad)));
    return ethernet(mac(), mac(), 0x0800, pkt, vlans);
  }
  if (kind <= 7) {
    const exts: Ipv6Ext[] = [];
    for (let n = r.int(0, 2) === 0 ? r.int(1, 4) : 0; n > 0; n--) {
      const types = [0, 43, 44, 60] as const;
      exts.push({ type: types[r.int(0, 3)]!, extLen: r.int(0, 3), fragOffset: r.int(0, 1) === 0 ? 0 : r.int(0, 0x1fff), moreFragments: r.int(0, 1) === 1 });
    }
    const t = l4();
    const extBytes = exts.reduce((n, e) => n + (e.type === 44 ? 8 : 8 * ((e.extLen ?? 0) + 1)), 0);
    const pad = Math.max(0, size - head - 40 - extBytes - t.length);
    return ethernet(mac(), mac(), 0x86dd, ipv6(r.bytes(16), r.bytes(16), proto, concat2(t, r.bytes(pad)), exts), vlans);
  }
  return ethernet(mac(), mac(), ETHERTYPES[r.int(0, ETHERTYPES.length - 1)]!, r.bytes(Math.max(0, size - head)), vlans);
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a); o.set(b, a.length);
  return o;
}

/** The corpus: captures under root plus `generated` frames from the seed. */
export function buildCorpus(root: string, seed: number, generated = 4096): Corpus {
  const caps = loadCaptures(root);
  const r = new Prng(seed ^ 0x9e3779b9);
  const frames = [...caps.frames];
  for (let i = 0; i < generated; i++) frames.push(generateFrame(r));
  return { frames, vxlan: caps.vxlan, recordFiles: caps.recordFiles, files: caps.files, captured: caps.frames.length };
}

/** 16-bit values that sit on the parser's edges (lengths, EtherTypes, fragment fields, the VXLAN port). */
const EDGE16 = [0, 1, 7, 8, 13, 14, 19, 20, 0x7fff, 0x8000, 0xffff, 0xfffe, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x2000, 0x1fff, 0x3fff, VXLAN_PORT];

/**
 * Mutate the frame in buf[at, at+len) in place (room up to `cap` bytes from at); returns the new
 * length. Most mutations hit the first 80 bytes, where every header the kernels parse lives.
 */
export function mutate(r: Prng, buf: Uint8Array, at: number, len: number, cap: number, pool: readonly Uint8Array[]): number {
  const steps = r.int(1, 4);
  for (let s = 0; s < steps; s++) {
    const pos = (): number => at + (r.int(0, 3) > 0 ? r.int(0, Math.max(0, Math.min(len, 80) - 1)) : r.int(0, Math.max(0, len - 1)));
    switch (r.int(0, 7)) {
      case 0: case 1: if (len > 0) buf[pos()] = r.u32() & 0xff; break; // a byte
      case 2: if (len > 0) buf[pos()] ^= 1 << r.int(0, 7); break; // a bit
      case 3: { // an edge value in a 16-bit field
        if (len < 2) break;
        const p = Math.min(pos(), at + len - 2);
        const v = EDGE16[r.int(0, EDGE16.length - 1)]!;
        buf[p] = v >> 8; buf[p + 1] = v & 255;
        break;
      }
      case 4: len = r.int(0, len); break; // truncate
      case 5: { // extend with random bytes
        const add = Math.min(cap - len, r.int(1, 64));
        for (let k = 0; k < add; k++) buf[at + len + k] = r.u32() & 0xff;
        len += add;
        break;
      }
      case 6: { // splice in part of another frame
        const o = pool[r.int(0, pool.length - 1)]!;
        if (o.length === 0 || len === 0) break;
        const from = r.int(0, o.length - 1), to = pos() - at;
        const n = Math.min(o.length - from, len - to, r.int(1, 40));
        buf.set(o.subarray(from, from + n), at + to);
        break;
      }
      default: { // repair an IPv4 header checksum after the damage, so later checks are reached
        const ip = at + 14 + ((buf[at + 12] === 0x81 || buf[at + 12] === 0x88) ? 4 : 0);
        const ihl = (buf[ip]! & 15) * 4;
        if (ihl >= 20 && ip - at + ihl <= len) {
          buf[ip + 10] = 0; buf[ip + 11] = 0;
          const c = ipv4Checksum(buf, ip, ihl);
          buf[ip + 10] = c >> 8; buf[ip + 11] = c & 255;
        }
      }
    }
  }
  return len;
}

const OUTER_MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const OUTER_MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);

/**
 * A VXLAN frame around `inner` written at buf[at..]: a valid outer header (to the given UDP port and,
 * usually, the given VNI) in front of the inner frame; returns its length. The caller mutates it.
 */
export function writeVxlan(r: Prng, buf: Uint8Array, at: number, inner: Uint8Array, innerLen: number, dport: number, vni: number): number {
  writeOuterHeader(buf, at, {
    dstMac: OUTER_MAC_A, srcMac: OUTER_MAC_B, tos: r.u32() & 0xff, ttl: r.int(1, 255), id: r.int(0, 0xffff),
    srcIp: r.u32(), dstIp: r.u32(), sport: r.int(0, 0xffff), dport, vni: r.int(0, 3) === 0 ? r.int(0, 0xffffff) : vni, innerLen,
  });
  buf.set(inner.subarray(0, innerLen), at + 50);
  return 50 + innerLen;
}
