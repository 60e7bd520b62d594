// pcapng: a sequence of blocks (type, total length, body, total length again). Section header blocks
// fix the byte order and reset the interfaces; interface description blocks give each interface its
// link type, snaplen and timestamp resolution; enhanced, simple and (obsolete) packet blocks carry
// frames. Other block types are skipped. A required link type is checked on the interfaces packets
// use, not on every interface described: writers (Wireshark, dumpcap -i a -i b) list interfaces that
// never carry a packet, and such a block says nothing about the frames.
import { InputError } from '../errors.js';
import { MAX_BLOCK, caplenLimit } from './record.js';
import { LinkTypeError } from './linktype.js';
import { MICROSECONDS, finerThanMicro, parseTsResol, splitTimestamp, type TsResolution } from './timestamp.js';
import { STEP_END, STEP_NEED, type FormatDecoder, type StepOutput, type Window } from './step.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_OPB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface Iface {
  linkType: number;
  snaplen: number;
  limit: number;
  res: TsResolution;
  /** if_tsoffset: seconds added to every timestamp. */
  offset: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

export class PcapngDecoder implements FormatDecoder {
  readonly format = 'pcapng';
  nanos = false;
  snaplen = 0;
  readonly #file: string;
  readonly #wantLink: number | undefined;
  #little = true;
  #sectionSeen = false;
  #ifaces: Iface[] = [];
  #anyIface = false;

  constructor(file: string, wantLink?: number) {
    this.#file = file;
    this.#wantLink = wantLink;
  }

  #err(at: number, reason: string): InputError { return new InputError(this.#file, at, reason); }

  step(w: Window, out: StepOutput): number {
    const { dv, pos, end } = w;
    const avail = end - pos;
    const at = w.base + pos;
    out.hasRecord = false;
    if (avail === 0 && w.eof) return STEP_END;
    if (avail < 12) {
      if (w.eof) throw this.#err(at, `truncated block header (${avail} of 12 bytes)`);
      out.need = 12;
      return STEP_NEED;
    }
    // The section header's type reads the same in both byte orders; its byte-order magic decides.
    const type0 = dv.getUint32(pos, false);
    if (type0 === BT_SHB) {
      const bom = dv.getUint32(pos + 8, false);
      if (bom === BYTE_ORDER_MAGIC) this.#little = false;
      else if (dv.getUint32(pos + 8, true) === BYTE_ORDER_MAGIC) this.#little = true;
      else throw this.#err(at + 8, `bad byte-order magic 0x${bom.toString(16).padStart(8, '0')} in section header block`);
    } else if (!this.#sectionSeen) {
      throw this.#err(at, 'first block is not a section header block');
    }
    const le = this.#little;
    const type = dv.getUint32(pos, le);
    const len = dv.getUint32(pos + 4, le);
    const min = type === BT_SHB ? 28 : type === BT_EPB || type === BT_OPB ? 32 : type === BT_IDB ? 20 : type === BT_SPB ? 16 : 12;
    if (len < min || len % 4 !== 0) {
      throw this.#err(at, `bad pcapng block length ${len} for block type 0x${type.toString(16)} (need a multiple of 4, at least ${min})`);
    }
    const isPacket = type === BT_EPB || type === BT_SPB || type === BT_OPB;
    if (len > MAX_BLOCK) {
      if (isPacket || type === BT_SHB || type === BT_IDB) throw this.#err(at, `pcapng block length ${len} exceeds the limit of ${MAX_BLOCK} bytes`);
      return len; // an unknown giant: skipped unread
    }
    if (avail < len) {
      if (w.eof) throw this.#err(at, `truncated block (${len} bytes announced, ${avail} present)`);
      out.need = len;
      return STEP_NEED;
    }
    const trailer = dv.getUint32(pos + len - 4, le);
    if (trailer !== len) throw this.#err(at + len - 4, `bad pcapng block length: trailing length ${trailer} differs from leading length ${len}`);

    switch (type) {
      case BT_SHB: {
        const major = dv.getUint16(pos + 12, le);
        if (major !== 1) throw this.#err(at + 12, `unsupported pcapng version ${major}.${dv.getUint16(pos + 14, le)}`);
        this.#sectionSeen = true;
        this.#ifaces = [];
        return len;
      }
      case BT_IDB:
        this.#interface(w, pos, len, at);
        return len;
      case BT_EPB:
      case BT_OPB: {
        const ifid = type === BT_EPB ? dv.getUint32(pos + 8, le) : dv.getUint16(pos + 8, le);
        const ifc = this.#ifaces[ifid];
        if (!ifc) throw this.#err(at, `packet block for undefined interface ${ifid} (${this.#ifaces.length} defined in this section)`);
        this.#checkLink(ifc, ifid, at);
        const caplen = dv.getUint32(pos + 20, le);
        if (caplen > ifc.limit) throw this.#err(at, `absurd capture length ${caplen} (snaplen ${ifc.snaplen}, limit ${ifc.limit})`);
        if (28 + pad4(caplen) + 4 > len) throw this.#err(at, `bad pcapng block length ${len}: too short for capture length ${caplen}`);
        splitTimestamp(dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), ifc.res, out);
        out.tsSec += ifc.offset;
        out.dataStart = pos + 28;
        out.dataLen = caplen;
        out.origLen = Math.max(dv.getUint32(pos + 24, le), caplen);
        out.linkType = ifc.linkType;
        out.hasRecord = true;
        return len;
      }
      case BT_SPB: {
        const ifc = this.#ifaces[0];
        if (!ifc) throw this.#err(at, 'simple packet block before any interface description block');
        this.#checkLink(ifc, 0, at);
        const orig = dv.getUint32(pos + 8, le);
        // No capture length field: the frame is cut at the interface's snaplen, and the block
        // (padded to 4 bytes) must hold it.
        const caplen = ifc.snaplen === 0 ? orig : Math.min(orig, ifc.snaplen);
        if (caplen > ifc.limit) throw this.#err(at, `absurd capture length ${caplen} (snaplen ${ifc.snaplen}, limit ${ifc.limit})`);
        if (16 + caplen > len) throw this.#err(at, `bad pcapng block length ${len}: too short for capture length ${caplen}`);
        out.tsSec = 0;
        out.tsNsec = 0;
        out.dataStart = pos + 12;
        out.dataLen = caplen;
        out.origLen = Math.max(orig, caplen);
        out.linkType = ifc.linkType;
        out.hasRecord = true;
        return len;
      }
      default:
        return len;
    }
  }

  /** A packet on an interface of another link type than the required one is refused where it is. */
  #checkLink(ifc: Iface, ifid: number, at: number): void {
    if (this.#wantLink !== undefined && ifc.linkType !== this.#wantLink) {
      throw new LinkTypeError(this.#file, at, ifc.linkType, this.#wantLink, `packet on interface ${ifid}: `);
    }
  }

  #interface(w: Window, pos: number, len: number, at: number): void {
    const { dv } = w;
    const le = this.#little;
    const linkType = dv.getUint16(pos + 8, le);
    const snaplen = dv.getUint32(pos + 12, le);

    let res = MICROSECONDS;
    let offset = 0;
    let p = pos + 16;
    const stop = pos + len - 4;
    while (p + 4 <= stop) {
      const code = dv.getUint16(p, le);
      const olen = dv.getUint16(p + 2, le);
      if (code === OPT_END) break;
      if (p + 4 + olen > stop) throw this.#err(w.base + p, `option ${code} of ${olen} bytes overruns its interface description block`);
      if (code === OPT_IF_TSRESOL && olen >= 1) res = parseTsResol(w.buf[p + 4]);
      if (code === OPT_IF_TSOFFSET && olen >= 8) offset = Number(dv.getBigInt64(p + 4, le));
      p += 4 + pad4(olen);
    }
    if (finerThanMicro(res)) this.nanos = true;
    if (!this.#anyIface) this.snaplen = snaplen;
    else if (this.snaplen !== 0) this.snaplen = snaplen === 0 ? 0 : Math.max(this.snaplen, snaplen);
    this.#anyIface = true;
    this.#ifaces.push({ linkType, snaplen, limit: caplenLimit(snaplen), res, offset });
  }
}
