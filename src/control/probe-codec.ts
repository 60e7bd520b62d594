// Probe wire format (docs/probe-format.md): the 72-byte payload, its SipHash-2-4 tag, and the
// VXLAN/Ethernet/IPv4/UDP frame that carries it on the same outer 5-tuple as the data it stands for.
import { sipHash24Into, SIPHASH_KEY_BYTES } from '../reference/siphash.js';

/** First four bytes of every probe payload, big-endian: "ZRPK". */
export const PROBE_MAGIC = 0x5a52504b;
/** Probe format version this build writes and accepts (2: the probe number and the receipt window). */
export const PROBE_VERSION = 2;
/** Bytes of a probe payload, tag included. */
export const PROBE_PAYLOAD_BYTES = 72;
/** Requests a reply's receipt window covers: the highest probe number received and the 63 before it. */
export const RECEIPT_WINDOW = 64;
/** VNI that marks probe frames by default (ControlConfig.probeVni). */
export const PROBE_VNI = 0xffffff;
/** Inner UDP source and destination port of probe frames (dynamic range; the VNI is the real mark). */
export const PROBE_INNER_UDP_PORT = 47474;
/** Bytes on the wire per probe: outer Eth 14 + IPv4 20 + UDP 8 + VXLAN 8, inner Eth 14 + IPv4 20 + UDP 8, payload. */
export const PROBE_WIRE_BYTES = 50 + 42 + PROBE_PAYLOAD_BYTES;
/** Highest CTL (backpressure exponent) a reply can carry: the sender's interval times 2^15 at most. */
export const CTL_MAX = 15;

const T_REQUEST = 1, T_REPLY = 2;
// Offsets into the payload.
const O_VERSION = 4, O_TYPE = 5, O_CTL = 6, O_RSV0 = 7, O_ORIGIN = 8, O_TARGET = 12, O_SEQ = 16, O_SPORT = 20,
  O_RSV1 = 22, O_SEND_TS = 24, O_REPLY_TS = 32, O_NUM = 40, O_ACK_HIGH = 44, O_ACK_MAP = 48, O_BACKEND = 56,
  O_RSV2 = 62, O_TAG = 64;
/** A request's tag covers [0, 56) (all but BackendID); a reply's covers [0, 64) (BackendID included). */
const REQUEST_TAGGED = O_BACKEND, REPLY_TAGGED = O_TAG;

/** A probe's fields, as encodeProbe() takes them and decodeProbe() returns them. */
export interface ProbeFields {
  /** A prober's request, or the responder's reply to one. */
  type: 'request' | 'reply';
  /** Backpressure from the responder, 0..15: the sender stretches its interval by 2^ctl. 0 in requests. */
  ctl: number;
  /** Prober's underlay IPv4 (uint32, host order). */
  origin: number;
  /** Responder's underlay IPv4 (uint32, host order). */
  target: number;
  /** Per-port sequence number (uint32). */
  seq: number;
  /**
   * Probe number (uint32): the prober numbers every request to one responder in turn, across all
   * ports, so that a reply can report which requests arrived (ackHigh, ackMap). Default 0.
   */
  num?: number;
  /** Replies: the highest probe number the responder has received from the prober (uint32); 0 in requests. */
  ackHigh?: number;
  /**
   * Replies: the receipt window, bit i set when probe number ackHigh - i arrived (bit 0 is ackHigh
   * itself), 64 bits; 0 in requests. What lets one reply tell the prober about every port's forward path.
   */
  ackMap?: bigint;
  /** The outer UDP source port this probe stands for. */
  sport: number;
  /** Prober's send time, microseconds by its own clock (0 = unset). */
  sendTsUs: number;
  /** Responder's reply time, microseconds by its own clock; 0 in requests. */
  replyTsUs: number;
  /** 6 bytes: zero when a request is sent, a middlebox's MAC once one wrote it; copied into replies. */
  backendId: Uint8Array;
}

/**
 * Why a payload is not an authentic probe: wrong length, magic, version or type, a reserved byte not
 * zero, a field out of range (CTL, or a request's reply-only fields set), or a tag that does not match.
 */
export type ProbeError = 'length' | 'magic' | 'version' | 'type' | 'reserved' | 'field' | 'tag';
/** decodeProbe()'s answer: the probe's fields, or why the payload was rejected. */
export type DecodeResult =
  | {
    /** The payload is an authentic probe. */
    ok: true;
    /** Its fields. */
    probe: ProbeFields;
  }
  | {
    /** The payload was rejected. */
    ok: false;
    /** Why. */
    error: ProbeError;
  };

/**
 * What tags probes: SipHash-2-4 under the shared secret. The 16 secret bytes themselves (the TS twin
 * tags), or a tagger bound to them, such as bindings/auth.ts's SipHasher (the Wasm kernel; the same
 * tags, in about half the time).
 */
export type ProbeKey = Uint8Array | ProbeTagger;
/** Something that computes probe tags under a secret it holds (e.g. a SipHasher). */
export interface ProbeTagger {
  /** SipHash-2-4 of msg[start, end) under the secret, 8 bytes little-endian at out[outOff]. */
  tagInto(msg: Uint8Array, start: number, end: number, out: Uint8Array, outOff: number): void;
  /**
   * Optional: whether that tag equals the 8 bytes at tag[tagOff], without copying it out (what
   * verifyProbe uses when present; a SipHasher has it).
   */
  tagMatches?(msg: Uint8Array, start: number, end: number, tag: Uint8Array, tagOff: number): boolean;
}

function checkKey(key: ProbeKey): void {
  if (key instanceof Uint8Array && key.length !== SIPHASH_KEY_BYTES) throw new RangeError(`probe key must be 16 bytes, got ${key.length}`);
}

function tag(key: ProbeKey, msg: Uint8Array, end: number, out: Uint8Array, outOff: number): void {
  if (key instanceof Uint8Array) sipHash24Into(key, msg, 0, end, out, outOff);
  else key.tagInto(msg, 0, end, out, outOff);
}

// Byte-wise big-endian access: a DataView would need `.buffer`, which moves V8's small on-heap
// typed arrays off the heap on every probe (measured: most of an encode's cost).
const get16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const get32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
function put16(b: Uint8Array, o: number, x: number): void { b[o] = x >>> 8; b[o + 1] = x; }
function put32(b: Uint8Array, o: number, x: number): void { b[o] = x >>> 24; b[o + 1] = x >>> 16; b[o + 2] = x >>> 8; b[o + 3] = x; }
const U53 = 2 ** 53;
function put64(b: Uint8Array, o: number, x: number): void {
  const n = x > 0 ? Math.min(U53 - 1, Math.round(x)) : 0;
  const hi = Math.floor(n / 4294967296);
  put32(b, o, hi);
  put32(b, o + 4, n - hi * 4294967296); // n % 2^32, exactly (n < 2^53), without a float modulo (a C call)
}
const get64 = (b: Uint8Array, o: number): number => get32(b, o) * 4294967296 + get32(b, o + 4);

/** Encode a probe into out (56 bytes, a fresh array by default) and tag it with key. */
export function encodeProbe(f: ProbeFields, key: ProbeKey, out = new Uint8Array(PROBE_PAYLOAD_BYTES)): Uint8Array {
  checkKey(key);
  if (out.length !== PROBE_PAYLOAD_BYTES) throw new RangeError(`probe buffer must be ${PROBE_PAYLOAD_BYTES} bytes`);
  const req = f.type === 'request';
  put32(out, 0, PROBE_MAGIC);
  out[O_VERSION] = PROBE_VERSION;
  out[O_TYPE] = req ? T_REQUEST : T_REPLY;
  out[O_CTL] = req ? 0 : Math.max(0, Math.min(CTL_MAX, f.ctl | 0));
  out[O_RSV0] = 0;
  put32(out, O_ORIGIN, f.origin);
  put32(out, O_TARGET, f.target);
  put32(out, O_SEQ, f.seq);
  put16(out, O_SPORT, f.sport);
  put16(out, O_RSV1, 0);
  put64(out, O_SEND_TS, f.sendTsUs);
  put32(out, O_NUM, f.num ?? 0);
  if (req) {
    put64(out, O_REPLY_TS, 0);
    put32(out, O_ACK_HIGH, 0);
    put32(out, O_ACK_MAP, 0); put32(out, O_ACK_MAP + 4, 0);
    for (let i = 0; i < 6; i++) out[O_BACKEND + i] = 0;
  } else {
    put64(out, O_REPLY_TS, f.replyTsUs);
    put32(out, O_ACK_HIGH, f.ackHigh ?? 0);
    const map = BigInt.asUintN(64, f.ackMap ?? 0n);
    put32(out, O_ACK_MAP, Number(map >> 32n)); put32(out, O_ACK_MAP + 4, Number(map & 0xffffffffn));
    for (let i = 0; i < 6; i++) out[O_BACKEND + i] = f.backendId[i] | 0;
  }
  put16(out, O_RSV2, 0);
  tag(key, out, req ? REQUEST_TAGGED : REPLY_TAGGED, out, O_TAG);
  return out;
}

const tagScratch = new Uint8Array(8);

/**
 * Check a payload's format and tag without building anything: 'request' or 'reply' when it is an
 * authentic probe, else the reason it is not. The hot path of the prober and the responder.
 */
export function verifyProbe(bytes: Uint8Array, key: ProbeKey): 'request' | 'reply' | ProbeError {
  checkKey(key);
  if (bytes.length !== PROBE_PAYLOAD_BYTES) return 'length';
  if (get32(bytes, 0) !== PROBE_MAGIC) return 'magic';
  if (bytes[O_VERSION] !== PROBE_VERSION) return 'version';
  const t = bytes[O_TYPE];
  if (t !== T_REQUEST && t !== T_REPLY) return 'type';
  if (bytes[O_RSV0] !== 0 || get16(bytes, O_RSV1) !== 0 || get16(bytes, O_RSV2) !== 0) return 'reserved';
  const req = t === T_REQUEST;
  if (bytes[O_CTL] > CTL_MAX || (req && (bytes[O_CTL] !== 0 || get32(bytes, O_REPLY_TS) !== 0 || get32(bytes, O_REPLY_TS + 4) !== 0
    || get32(bytes, O_ACK_HIGH) !== 0 || get32(bytes, O_ACK_MAP) !== 0 || get32(bytes, O_ACK_MAP + 4) !== 0))) return 'field';
  const end = req ? REQUEST_TAGGED : REPLY_TAGGED;
  if (!(key instanceof Uint8Array) && key.tagMatches !== undefined) {
    if (!key.tagMatches(bytes, 0, end, bytes, O_TAG)) return 'tag';
    return req ? 'request' : 'reply';
  }
  tag(key, bytes, end, tagScratch, 0);
  let diff = 0;
  for (let i = 0; i < 8; i++) diff |= tagScratch[i] ^ bytes[O_TAG + i];
  if (diff !== 0) return 'tag';
  return req ? 'request' : 'reply';
}

/** Parse and authenticate a probe payload. Never throws on bad input: returns the reason instead. */
export function decodeProbe(bytes: Uint8Array, key: ProbeKey): DecodeResult {
  const v = verifyProbe(bytes, key);
  if (v !== 'request' && v !== 'reply') return { ok: false, error: v };
  return {
    ok: true,
    probe: {
      type: v,
      ctl: bytes[O_CTL],
      origin: get32(bytes, O_ORIGIN),
      target: get32(bytes, O_TARGET),
      seq: get32(bytes, O_SEQ),
      sport: get16(bytes, O_SPORT),
      sendTsUs: get64(bytes, O_SEND_TS),
      replyTsUs: get64(bytes, O_REPLY_TS),
      num: get32(bytes, O_NUM),
      ackHigh: get32(bytes, O_ACK_HIGH),
      ackMap: (BigInt(get32(bytes, O_ACK_MAP)) << 32n) | BigInt(get32(bytes, O_ACK_MAP + 4)),
      backendId: bytes.slice(O_BACKEND, O_BACKEND + 6),
    },
  };
}

/**
 * A request, encoded and tagged straight from its fields (no object built), in a fresh array.
 * `num` is the probe number (ProbeFields.num). The prober's hot path uses encodeRequestInto.
 */
export function encodeRequest(origin: number, target: number, seq: number, sport: number, sendTsUs: number, key: ProbeKey, num = 0): Uint8Array {
  return encodeRequestInto(new Uint8Array(PROBE_PAYLOAD_BYTES), origin, target, seq, sport, sendTsUs, key, num);
}

/**
 * encodeRequest into `out` (PROBE_PAYLOAD_BYTES long, e.g. one scratch buffer reused for every
 * probe: a fresh typed array per probe was a quarter of the prober's CPU at 1000 peers). Every
 * byte of `out` is written. Returns `out`; throws a RangeError when it is not PROBE_PAYLOAD_BYTES long.
 */
export function encodeRequestInto(out: Uint8Array, origin: number, target: number, seq: number, sport: number, sendTsUs: number, key: ProbeKey, num = 0): Uint8Array {
  checkKey(key);
  if (out.length !== PROBE_PAYLOAD_BYTES) throw new RangeError(`probe buffer must be ${PROBE_PAYLOAD_BYTES} bytes`);
  put32(out, 0, PROBE_MAGIC);
  out[O_VERSION] = PROBE_VERSION;
  out[O_TYPE] = T_REQUEST;
  out[O_CTL] = 0; out[O_RSV0] = 0;
  put32(out, O_ORIGIN, origin);
  put32(out, O_TARGET, target);
  put32(out, O_SEQ, seq);
  put16(out, O_SPORT, sport);
  put16(out, O_RSV1, 0);
  put64(out, O_SEND_TS, sendTsUs);
  put32(out, O_REPLY_TS, 0); put32(out, O_REPLY_TS + 4, 0);
  put32(out, O_NUM, num);
  put32(out, O_ACK_HIGH, 0);
  put32(out, O_ACK_MAP, 0); put32(out, O_ACK_MAP + 4, 0);
  put32(out, O_BACKEND, 0); put32(out, O_BACKEND + 4, 0); // BackendID and the reserved 2 bytes after it
  tag(key, out, REQUEST_TAGGED, out, O_TAG);
  return out;
}

/**
 * The reply to a verified request: the request's bytes (BackendID as it arrived) with the reply
 * type, CTL, reply time and receipt window (ackHigh; ackMap as its high and low 32 bits), tagged over
 * everything including BackendID. In a fresh array; the responder's hot path uses encodeReplyInto.
 */
export function encodeReplyTo(request: Uint8Array, ctl: number, replyTsUs: number, key: ProbeKey, ackHigh = 0, ackMapHi = 0, ackMapLo = 0): Uint8Array {
  // A plain Uint8Array, not slice(), which on a Node Buffer returns a view of the request's memory.
  return encodeReplyInto(new Uint8Array(request.length), request, ctl, replyTsUs, key, ackHigh, ackMapHi, ackMapLo);
}

/**
 * encodeReplyTo into `out`, which must be as long as the request (PROBE_PAYLOAD_BYTES for a
 * verified one; `out` may be the request itself). Returns `out`; throws a RangeError on a length mismatch.
 */
export function encodeReplyInto(out: Uint8Array, request: Uint8Array, ctl: number, replyTsUs: number, key: ProbeKey, ackHigh = 0, ackMapHi = 0, ackMapLo = 0): Uint8Array {
  checkKey(key);
  if (out.length !== request.length) throw new RangeError(`reply buffer must be ${request.length} bytes, got ${out.length}`);
  if (out !== request) out.set(request);
  out[O_TYPE] = T_REPLY;
  out[O_CTL] = Math.max(0, Math.min(CTL_MAX, ctl | 0));
  put64(out, O_REPLY_TS, replyTsUs);
  put32(out, O_ACK_HIGH, ackHigh);
  put32(out, O_ACK_MAP, ackMapHi);
  put32(out, O_ACK_MAP + 4, ackMapLo);
  tag(key, out, REPLY_TAGGED, out, O_TAG);
  return out;
}

/**
 * A sender's probe buffer, reused for every probe it writes: the same bytes as encodeRequestInto and
 * encodeReplyInto, written through a DataView made once (big-endian 32-bit stores instead of byte
 * by byte: measured about 50 ns less per request). For a long-lived buffer only: a DataView per
 * fresh array would move each off V8's heap. `bytes` is overwritten by each request() or replyTo().
 */
export class ProbeBuffer {
  /** The payload written by the latest request() or replyTo(), PROBE_PAYLOAD_BYTES long. */
  readonly bytes = new Uint8Array(PROBE_PAYLOAD_BYTES);
  readonly #v = new DataView(this.bytes.buffer);

  /** encodeRequestInto(this.bytes, ...): every byte written, tagged. Returns `bytes`. */
  request(origin: number, target: number, seq: number, sport: number, sendTsUs: number, key: ProbeKey, num = 0): Uint8Array {
    checkKey(key);
    const v = this.#v;
    v.setUint32(0, PROBE_MAGIC);
    v.setUint32(O_VERSION, (PROBE_VERSION << 24) | (T_REQUEST << 16)); // version, type, CTL 0, reserved 0
    v.setUint32(O_ORIGIN, origin);
    v.setUint32(O_TARGET, target);
    v.setUint32(O_SEQ, seq);
    v.setUint16(O_SPORT, sport);
    v.setUint16(O_RSV1, 0);
    setU64(v, O_SEND_TS, sendTsUs);
    v.setUint32(O_REPLY_TS, 0); v.setUint32(O_REPLY_TS + 4, 0);
    v.setUint32(O_NUM, num);
    v.setUint32(O_ACK_HIGH, 0);
    v.setUint32(O_ACK_MAP, 0); v.setUint32(O_ACK_MAP + 4, 0);
    v.setUint32(O_BACKEND, 0); v.setUint32(O_BACKEND + 4, 0); // BackendID and the reserved 2 bytes after it
    tag(key, this.bytes, REQUEST_TAGGED, this.bytes, O_TAG);
    return this.bytes;
  }

  /**
   * encodeReplyInto(this.bytes, request, ...). Returns `bytes`; throws a RangeError when the request
   * is not PROBE_PAYLOAD_BYTES long.
   */
  replyTo(request: Uint8Array, ctl: number, replyTsUs: number, key: ProbeKey, ackHigh = 0, ackMapHi = 0, ackMapLo = 0): Uint8Array {
    checkKey(key);
    const out = this.bytes;
    if (request.length !== out.length) throw new RangeError(`reply buffer must be ${request.length} bytes, got ${out.length}`);
    if (request !== out) out.set(request);
    const v = this.#v;
    out[O_TYPE] = T_REPLY;
    out[O_CTL] = Math.max(0, Math.min(CTL_MAX, ctl | 0));
    setU64(v, O_REPLY_TS, replyTsUs);
    v.setUint32(O_ACK_HIGH, ackHigh);
    v.setUint32(O_ACK_MAP, ackMapHi);
    v.setUint32(O_ACK_MAP + 4, ackMapLo);
    tag(key, out, REPLY_TAGGED, out, O_TAG);
    return out;
  }
}

/** put64 through a DataView: the same bytes. */
function setU64(v: DataView, o: number, x: number): void {
  const n = x > 0 ? Math.min(U53 - 1, Math.round(x)) : 0;
  const hi = Math.floor(n / 4294967296);
  v.setUint32(o, hi);
  v.setUint32(o + 4, n - hi * 4294967296);
}

/** Field readers for a payload that verifyProbe accepted. */
export const probeOrigin = (b: Uint8Array): number => get32(b, O_ORIGIN);
export const probeTarget = (b: Uint8Array): number => get32(b, O_TARGET);
export const probeSeq = (b: Uint8Array): number => get32(b, O_SEQ);
export const probeSport = (b: Uint8Array): number => get16(b, O_SPORT);
export const probeCtl = (b: Uint8Array): number => b[O_CTL];
export const probeNum = (b: Uint8Array): number => get32(b, O_NUM);
export const probeAckHigh = (b: Uint8Array): number => get32(b, O_ACK_HIGH);
/** The receipt window's high and low 32 bits (bit i of the 64 is probe number ackHigh - i). */
export const probeAckMapHi = (b: Uint8Array): number => get32(b, O_ACK_MAP);
export const probeAckMapLo = (b: Uint8Array): number => get32(b, O_ACK_MAP + 4);
/** The BackendID as one 48-bit number (0 = none written). */
export const probeBackendKey = (b: Uint8Array): number => get16(b, O_BACKEND) * 4294967296 + get32(b, O_BACKEND + 2);

/**
 * What a stateful middlebox on the path does to a probe request: write its MAC as BackendID. The
 * request's tag does not cover this field, so the request stays valid. Returns false (and writes
 * nothing) for anything that is not a probe request.
 */
export function writeBackendId(payload: Uint8Array, mac: Uint8Array): boolean {
  if (mac.length !== 6 || payload.length !== PROBE_PAYLOAD_BYTES || !isProbePayload(payload) || payload[O_TYPE] !== T_REQUEST) return false;
  payload.set(mac, O_BACKEND);
  return true;
}

/** The 6-byte BackendID of a probe payload (a copy), or undefined if it is not a probe. */
export function readBackendId(payload: Uint8Array): Uint8Array | undefined {
  return payload.length === PROBE_PAYLOAD_BYTES && isProbePayload(payload) ? payload.slice(O_BACKEND, O_BACKEND + 6) : undefined;
}

/** Starts with the probe magic (cheap pre-filter; authenticity is decodeProbe's job). */
export function isProbePayload(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x5a && b[1] === 0x52 && b[2] === 0x50 && b[3] === 0x4b;
}

/** Inner addresses of a probe frame (buildProbeInnerFrame()). */
export interface ProbeFrameAddrs {
  /** Inner IPv4 source, host order. */
  srcIp: number;
  /** Inner IPv4 destination, host order. */
  dstIp: number;
  /** Inner source MAC, default 02:00:00:00:00:00 (the VNI, not the MAC, routes a probe). */
  srcMac?: Uint8Array;
  /** Inner destination MAC, default 02:00:00:00:00:00. */
  dstMac?: Uint8Array;
}

const ETH = 14, IP = 20, UDP = 8, VXLAN = 8;

function ipv4Checksum(b: Uint8Array, o: number): number {
  let s = 0;
  for (let i = 0; i < IP; i += 2) s += (b[o + i] << 8) | b[o + i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** The inner frame: Ethernet / IPv4 (checksummed) / UDP (checksum 0) / probe payload. */
export function buildProbeInnerFrame(payload: Uint8Array, a: ProbeFrameAddrs): Uint8Array {
  const f = new Uint8Array(ETH + IP + UDP + payload.length);
  const v = new DataView(f.buffer);
  const zeroMac = new Uint8Array([2, 0, 0, 0, 0, 0]);
  f.set(a.dstMac ?? zeroMac, 0);
  f.set(a.srcMac ?? zeroMac, 6);
  v.setUint16(12, 0x0800);
  f[ETH] = 0x45;
  v.setUint16(ETH + 2, IP + UDP + payload.length);
  f[ETH + 8] = 64; // TTL
  f[ETH + 9] = 17; // UDP
  v.setUint32(ETH + 12, a.srcIp >>> 0);
  v.setUint32(ETH + 16, a.dstIp >>> 0);
  v.setUint16(ETH + 10, ipv4Checksum(f, ETH));
  v.setUint16(ETH + IP, PROBE_INNER_UDP_PORT);
  v.setUint16(ETH + IP + 2, PROBE_INNER_UDP_PORT);
  v.setUint16(ETH + IP + 4, UDP + payload.length);
  f.set(payload, ETH + IP + UDP);
  return f;
}

/** The payload of an inner probe frame, as a view, or undefined when the frame is not a probe. */
export function probePayloadOfInnerFrame(f: Uint8Array): Uint8Array | undefined {
  const at = innerProbeAt(f, 0);
  return at < 0 ? undefined : f.subarray(at, at + PROBE_PAYLOAD_BYTES);
}

/**
 * Offset in `b` of the probe payload of the inner frame that starts at `o`, or -1 when it is not a
 * probe. Byte reads only: no DataView (which takes `.buffer`, moving a small on-heap array off the
 * heap) and no view built, for the receive path, which sees every underlay frame.
 */
function innerProbeAt(b: Uint8Array, o: number): number {
  if (b.length - o < ETH + IP + UDP + PROBE_PAYLOAD_BYTES) return -1;
  if (b[o + 12] !== 0x08 || b[o + 13] !== 0x00 || b[o + ETH] !== 0x45 || b[o + ETH + 9] !== 17) return -1;
  const u = o + ETH + IP;
  if (((b[u + 2] << 8) | b[u + 3]) !== PROBE_INNER_UDP_PORT || ((b[u + 4] << 8) | b[u + 5]) !== UDP + PROBE_PAYLOAD_BYTES) return -1;
  const p = u + UDP;
  return b[p] === 0x5a && b[p + 1] === 0x52 && b[p + 2] === 0x50 && b[p + 3] === 0x4b ? p : -1;
}

/**
 * Offset in `frame` of the probe payload carried by the VXLAN header at `vxlanAt` (on the probe
 * VNI), or -1 for tenant traffic or junk: probePayloadOfVxlan without building views.
 */
export function probePayloadOffset(frame: Uint8Array, vxlanAt: number, probeVni = PROBE_VNI): number {
  if (frame.length - vxlanAt < VXLAN || (frame[vxlanAt] & 0x08) === 0) return -1;
  const vni = (frame[vxlanAt + 4] << 16) | (frame[vxlanAt + 5] << 8) | frame[vxlanAt + 6];
  return vni === probeVni ? innerProbeAt(frame, vxlanAt + VXLAN) : -1;
}

/** Whether an inner (decapsulated) frame carries a probe payload (format only, not authenticated). */
export function isProbeFrame(innerFrame: Uint8Array): boolean {
  return probePayloadOfInnerFrame(innerFrame) !== undefined;
}

/** The outer UDP payload to port 4789: VXLAN header (I flag, vni) + the inner frame. */
export function wrapVxlan(innerFrame: Uint8Array, vni = PROBE_VNI): Uint8Array {
  const out = new Uint8Array(VXLAN + innerFrame.length);
  out[0] = 0x08;
  out[4] = (vni >>> 16) & 0xff; out[5] = (vni >>> 8) & 0xff; out[6] = vni & 0xff;
  out.set(innerFrame, VXLAN);
  return out;
}

/** The probe payload inside a VXLAN UDP payload on the probe VNI, or undefined (tenant traffic or junk). */
export function probePayloadOfVxlan(udpPayload: Uint8Array, probeVni = PROBE_VNI): Uint8Array | undefined {
  const at = probePayloadOffset(udpPayload, 0, probeVni);
  return at < 0 ? undefined : udpPayload.subarray(at, at + PROBE_PAYLOAD_BYTES);
}
