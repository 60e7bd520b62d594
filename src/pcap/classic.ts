// Classic libpcap files: a 24-byte file header, then records of a 16-byte header and the frame.
// Both byte orders; microsecond (a1b2c3d4), nanosecond (a1b23c4d) and the modified-pcap (a1b2cd34,
// 24-byte record header) magics.
import { InputError } from '../errors.js';
import { caplenLimit } from './record.js';
import { LinkTypeError } from './linktype.js';
import { STEP_END, STEP_NEED, type FormatDecoder, type StepOutput, type Window } from './step.js';

export const MAGIC_MICRO = 0xa1b2c3d4;
export const MAGIC_NANO = 0xa1b23c4d;
export const MAGIC_MODIFIED = 0xa1b2cd34;
export const FILE_HEADER_LEN = 24;

/** Byte order and kind of a classic magic as read big-endian from the first 4 bytes, or undefined. */
export function classicMagic(be: number): { little: boolean; nanos: boolean; modified: boolean } | undefined {
  const le = ((be & 0xff) << 24 | (be & 0xff00) << 8 | (be >>> 8) & 0xff00 | be >>> 24) >>> 0;
  for (const [v, little] of [[be, false], [le, true]] as const) {
    if (v === MAGIC_MICRO) return { little, nanos: false, modified: false };
    if (v === MAGIC_NANO) return { little, nanos: true, modified: false };
    if (v === MAGIC_MODIFIED) return { little, nanos: false, modified: true };
  }
  return undefined;
}

export class ClassicDecoder implements FormatDecoder {
  readonly format = 'pcap';
  readonly nanos: boolean;
  snaplen = 0;
  linkType = 0;
  readonly #little: boolean;
  readonly #recHdr: number;
  readonly #file: string;
  readonly #wantLink: number | undefined;
  #limit = 0;
  #headerDone = false;

  /** Records are big-endian. */
  get bigEndian(): boolean { return !this.#little; }
  /** Bytes of a record header: 16, or 24 in the modified pcap. */
  get recordHeaderLength(): number { return this.#recHdr; }
  /** Largest capture length accepted (caplenLimit of the snaplen), once the header is decoded. */
  get limit(): number { return this.#limit; }
  /** The file header has been decoded. */
  get headerDone(): boolean { return this.#headerDone; }

  constructor(file: string, magic: { little: boolean; nanos: boolean; modified: boolean }, wantLink?: number) {
    this.#file = file;
    this.#little = magic.little;
    this.nanos = magic.nanos;
    this.#recHdr = magic.modified ? 24 : 16;
    this.#wantLink = wantLink;
  }

  step(w: Window, out: StepOutput): number {
    const { dv, pos, end } = w;
    const avail = end - pos;
    const at = w.base + pos;
    const le = this.#little;
    out.hasRecord = false;
    if (!this.#headerDone) {
      if (avail < FILE_HEADER_LEN) {
        if (w.eof) throw new InputError(this.#file, at, `truncated file header (${avail} of ${FILE_HEADER_LEN} bytes)`);
        out.need = FILE_HEADER_LEN;
        return STEP_NEED;
      }
      const major = dv.getUint16(pos + 4, le);
      if (major !== 2) throw new InputError(this.#file, at + 4, `unsupported pcap version ${major}.${dv.getUint16(pos + 6, le)}`);
      this.snaplen = dv.getUint32(pos + 16, le);
      // The low 16 bits are the link type; the high bits carry FCS information.
      this.linkType = dv.getUint32(pos + 20, le) & 0xffff;
      if (this.#wantLink !== undefined && this.linkType !== this.#wantLink) {
        throw new LinkTypeError(this.#file, at + 20, this.linkType, this.#wantLink);
      }
      this.#limit = caplenLimit(this.snaplen);
      this.#headerDone = true;
      return FILE_HEADER_LEN;
    }
    if (avail === 0 && w.eof) return STEP_END;
    const h = this.#recHdr;
    if (avail < h) {
      if (w.eof) throw new InputError(this.#file, at, `truncated record header (${avail} of ${h} bytes)`);
      out.need = h;
      return STEP_NEED;
    }
    const caplen = dv.getUint32(pos + 8, le);
    if (caplen > this.#limit) {
      throw new InputError(this.#file, at, `absurd capture length ${caplen} (snaplen ${this.snaplen}, limit ${this.#limit})`);
    }
    if (avail < h + caplen) {
      if (w.eof) throw new InputError(this.#file, at, `truncated record data (${caplen} bytes announced, ${avail - h} present)`);
      out.need = h + caplen;
      return STEP_NEED;
    }
    let sec = dv.getUint32(pos, le);
    let frac = dv.getUint32(pos + 4, le);
    // A fraction of a second or more is carried into the seconds rather than rejected.
    const unit = this.nanos ? 1_000_000_000 : 1_000_000;
    if (frac >= unit) { sec += Math.floor(frac / unit); frac %= unit; }
    out.tsSec = sec;
    out.tsNsec = this.nanos ? frac : frac * 1000;
    out.origLen = Math.max(dv.getUint32(pos + 12, le), caplen);
    out.dataStart = pos + h;
    out.dataLen = caplen;
    out.linkType = this.linkType;
    out.hasRecord = true;
    return h + caplen;
  }
}
