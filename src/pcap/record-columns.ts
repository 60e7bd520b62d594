// Records as columns: what one read step of a capture holds, one typed-array entry per record instead
// of one object per record. Hot loops (encap, decap, replay) read a record's fields by index and copy
// its bytes straight from the reader's buffer, so a step of thousands of frames allocates nothing.

/**
 * The records of one read step (PcapReader.columns()), field by field. Record i's bytes are
 * `buf[dataStart[i], dataStart[i] + dataLen[i])`. Reused from step to step: the arrays and `buf` are
 * valid until the next step, and only entries below `length` are meaningful.
 */
export class RecordColumns {
  /** Records in this step. */
  length = 0;
  /** The reader's buffer the records' bytes lie in. */
  buf: Uint8Array = new Uint8Array(0);
  /** Timestamp, whole seconds since the epoch. */
  tsSec: Float64Array;
  /** Timestamp, nanoseconds within the second. */
  tsNsec: Float64Array;
  /** Index in `buf` of the frame's first byte. */
  dataStart: Int32Array;
  /** Captured bytes. */
  dataLen: Int32Array;
  /** Length on the wire; never below dataLen. */
  origLen: Float64Array;
  /** Link type of the record's interface (LINKTYPE_*). */
  linkType: Uint16Array;
  /** File offset of the record's header (classic) or block (pcapng). */
  offset: Float64Array;

  /** Room for `capacity` records; grown by the reader when a step holds more. */
  constructor(capacity = 1024) {
    this.tsSec = new Float64Array(capacity);
    this.tsNsec = new Float64Array(capacity);
    this.dataStart = new Int32Array(capacity);
    this.dataLen = new Int32Array(capacity);
    this.origLen = new Float64Array(capacity);
    this.linkType = new Uint16Array(capacity);
    this.offset = new Float64Array(capacity);
  }

  /** Records the arrays hold at most before they must grow. */
  get capacity(): number { return this.tsSec.length; }

  /** Double the arrays, keeping the entries below `length`. */
  grow(): void {
    const n = this.capacity * 2;
    const g = <T extends Float64Array | Int32Array | Uint16Array>(a: T, make: (n: number) => T): T => { const b = make(n); b.set(a); return b; };
    this.tsSec = g(this.tsSec, (k) => new Float64Array(k));
    this.tsNsec = g(this.tsNsec, (k) => new Float64Array(k));
    this.dataStart = g(this.dataStart, (k) => new Int32Array(k));
    this.dataLen = g(this.dataLen, (k) => new Int32Array(k));
    this.origLen = g(this.origLen, (k) => new Float64Array(k));
    this.linkType = g(this.linkType, (k) => new Uint16Array(k));
    this.offset = g(this.offset, (k) => new Float64Array(k));
  }
}
