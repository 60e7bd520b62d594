// Probe wire format: round trips, what the tag covers, refusals, and the VXLAN/inner framing.
import t from 'tap';
import fc from 'fast-check';
import {
  encodeProbe, decodeProbe, encodeRequest, encodeRequestInto, encodeReplyTo, encodeReplyInto, ProbeBuffer, verifyProbe, probeBackendKey, writeBackendId, readBackendId, buildProbeInnerFrame, probePayloadOfVxlan,
  probePayloadOfInnerFrame, isProbeFrame, wrapVxlan, PROBE_PAYLOAD_BYTES, PROBE_VNI, type ProbeFields,
} from '../src/control/probe-codec.js';
import { SipHasher } from '../bindings/auth.js';
import { sipHash24Into } from '../src/reference/siphash.js';

const key = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const otherKey = Uint8Array.from({ length: 16 }, (_, i) => i);
const BACKEND_AT = 56;
const ACK_HIGH_AT = 44;
/** JSON of a probe's fields, BackendID as a list and the 64-bit receipt map as a string. */
const show = (f: ProbeFields): string => JSON.stringify({ ...f, backendId: [...f.backendId], ackMap: String(f.ackMap) });

const arbFields = (type: 'request' | 'reply'): fc.Arbitrary<ProbeFields> => fc.record({
  type: fc.constant(type),
  ctl: type === 'reply' ? fc.integer({ min: 0, max: 15 }) : fc.constant(0),
  origin: fc.nat({ max: 0xffffffff }),
  target: fc.nat({ max: 0xffffffff }),
  seq: fc.nat({ max: 0xffffffff }),
  sport: fc.integer({ min: 1, max: 65535 }),
  sendTsUs: fc.nat({ max: 2 ** 53 - 1 }),
  replyTsUs: type === 'reply' ? fc.nat({ max: 2 ** 53 - 1 }) : fc.constant(0),
  num: fc.nat({ max: 0xffffffff }),
  ackHigh: type === 'reply' ? fc.nat({ max: 0xffffffff }) : fc.constant(0),
  ackMap: type === 'reply' ? fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) : fc.constant(0n),
  backendId: type === 'reply' ? fc.uint8Array({ minLength: 6, maxLength: 6 }) : fc.constant(new Uint8Array(6)),
});

t.test('requests and replies round-trip', async () => {
  fc.assert(fc.property(fc.oneof(arbFields('request'), arbFields('reply')), (f) => {
    const b = encodeProbe(f, key);
    const r = decodeProbe(b, key);
    return b.length === PROBE_PAYLOAD_BYTES && r.ok && show(r.probe) === show(f);
  }), { numRuns: 500 });
});

t.test('a request tag does not cover BackendID; a reply tag does', async (t) => {
  fc.assert(fc.property(arbFields('request'), fc.uint8Array({ minLength: 6, maxLength: 6 }), (f, mac) => {
    const b = encodeProbe(f, key);
    if (!writeBackendId(b, mac)) return false;
    const r = decodeProbe(b, key);
    return r.ok && Buffer.from(r.probe.backendId).equals(Buffer.from(mac));
  }));
  const reply = encodeProbe({ type: 'reply', ctl: 0, origin: 1, target: 2, seq: 3, sport: 50000, sendTsUs: 1, replyTsUs: 2, backendId: new Uint8Array(6) }, key);
  t.notOk(writeBackendId(reply, new Uint8Array([1, 2, 3, 4, 5, 6])), 'middleboxes write only into requests');
  reply[BACKEND_AT] ^= 1; // a forger rewriting the group of a reply
  t.same(decodeProbe(reply, key), { ok: false, error: 'tag' });
  t.same(readBackendId(reply), new Uint8Array([1, 0, 0, 0, 0, 0]));
});

t.test('any single-byte change outside a request BackendID is refused', async () => {
  fc.assert(fc.property(
    fc.oneof(arbFields('request'), arbFields('reply')), fc.nat({ max: PROBE_PAYLOAD_BYTES - 1 }), fc.integer({ min: 1, max: 255 }),
    (f, at, x) => {
      const b = encodeProbe(f, key);
      if (f.type === 'request' && at >= BACKEND_AT && at < BACKEND_AT + 6) return true;
      b[at] ^= x;
      return !decodeProbe(b, key).ok;
    }), { numRuns: 2000 });
});

t.test('the wrong key, short, long, junk: refused with a reason, never thrown', async (t) => {
  const f: ProbeFields = { type: 'request', ctl: 0, origin: 1, target: 2, seq: 7, sport: 49999, sendTsUs: 5, replyTsUs: 0, backendId: new Uint8Array(6) };
  const b = encodeProbe(f, key);
  t.same(decodeProbe(b, otherKey), { ok: false, error: 'tag' });
  t.same(decodeProbe(b.subarray(0, PROBE_PAYLOAD_BYTES - 1), key), { ok: false, error: 'length' });
  t.same(decodeProbe(new Uint8Array(PROBE_PAYLOAD_BYTES + 1), key), { ok: false, error: 'length' });
  t.same(decodeProbe(new Uint8Array(PROBE_PAYLOAD_BYTES), key), { ok: false, error: 'magic' });
  const v = Uint8Array.from(b); v[4] = 1;
  t.same(decodeProbe(v, key), { ok: false, error: 'version' }, 'version 1 (before receipts) is refused');
  const ty = Uint8Array.from(b); ty[5] = 3;
  t.same(decodeProbe(ty, key), { ok: false, error: 'type' });
  const rs = Uint8Array.from(b); rs[22] = 1;
  t.same(decodeProbe(rs, key), { ok: false, error: 'reserved' });
  const ctl = Uint8Array.from(b); ctl[6] = 1; // a request carrying CTL
  t.same(decodeProbe(ctl, key), { ok: false, error: 'field' });
  const ack = encodeProbe({ ...f, ackHigh: 5 }, key); // a request carrying a receipt window
  t.equal(ack[ACK_HIGH_AT + 3], 0, 'encodeProbe writes no receipt into a request');
  ack[ACK_HIGH_AT + 3] = 5;
  t.same(decodeProbe(ack, key), { ok: false, error: 'field' });
  t.throws(() => decodeProbe(b, new Uint8Array(8)), RangeError, 'a bad key is a programming error');
  fc.assert(fc.property(fc.uint8Array({ maxLength: PROBE_PAYLOAD_BYTES + 24 }), (junk) => !decodeProbe(junk, key).ok));
});

t.test('VXLAN framing: probe VNI and inner Ethernet/IPv4/UDP, tenant frames ignored', async (t) => {
  const f: ProbeFields = { type: 'request', ctl: 0, origin: 0x0a000001, target: 0x0a000002, seq: 1, sport: 50001, sendTsUs: 9, replyTsUs: 0, backendId: new Uint8Array(6) };
  const payload = encodeProbe(f, key);
  const inner = buildProbeInnerFrame(payload, { srcIp: 0x0a000001, dstIp: 0x0a000002 });
  t.equal(inner.length, 14 + 20 + 8 + PROBE_PAYLOAD_BYTES);
  t.ok(isProbeFrame(inner));
  // IPv4 header checksum verifies (one's-complement sum over the header is 0xffff).
  let s = 0;
  for (let i = 14; i < 34; i += 2) s += (inner[i] << 8) | inner[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  t.equal(s, 0xffff);
  const vx = wrapVxlan(inner);
  t.equal(vx[0], 0x08, 'I flag');
  t.same([vx[4], vx[5], vx[6]], [0xff, 0xff, 0xff], 'VNI 0xFFFFFF');
  const back = probePayloadOfVxlan(vx);
  t.ok(back && Buffer.from(back).equals(Buffer.from(payload)));
  t.equal(probePayloadOfVxlan(wrapVxlan(inner, 42)), undefined, 'a tenant VNI is not a probe');
  t.equal(probePayloadOfVxlan(wrapVxlan(inner, 42), 42) !== undefined, true, 'the probe VNI is configurable');
  const noI = Uint8Array.from(vx); noI[0] = 0;
  t.equal(probePayloadOfVxlan(noI), undefined);
  t.equal(probePayloadOfInnerFrame(inner.subarray(0, 60)), undefined);
  t.equal(PROBE_VNI, 0xffffff);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => { probePayloadOfVxlan(junk); return true; }));
  // Each header check rejects on its own (the receive path reads bytes, no DataView).
  for (const [off, what] of [[12, 'EtherType'], [14, 'IPv4 version/IHL'], [23, 'IP protocol'], [36, 'inner UDP destination port'], [38, 'UDP length'], [42, 'magic']] as const) {
    const bad = Uint8Array.from(inner); bad[off] ^= 0x01;
    t.equal(probePayloadOfInnerFrame(bad), undefined, `a wrong ${what} is not a probe`);
  }
  // Inside a larger frame (the outer headers in front): the payload view starts where the probe does.
  const outer = new Uint8Array(50 + vx.length); outer.set(vx, 42);
  const within = probePayloadOfVxlan(outer.subarray(42));
  t.ok(within && within.byteOffset === 42 + 8 + 42 && Buffer.from(within).equals(Buffer.from(payload)), 'a view of the payload in place');
});

t.test('the prober and responder fast paths produce exactly what encodeProbe does', async () => {
  fc.assert(fc.property(arbFields('request'), fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.integer({ min: 0, max: 15 }), fc.nat({ max: 2 ** 53 - 1 }),
    fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }),
    (f, mac, ctl, replyTs, ackHigh, mapHi, mapLo) => {
      const req = encodeRequest(f.origin, f.target, f.seq, f.sport, f.sendTsUs, key, f.num);
      if (!Buffer.from(req).equals(Buffer.from(encodeProbe(f, key)))) return false;
      writeBackendId(req, mac);
      if (verifyProbe(req, key) !== 'request') return false;
      const reply = encodeReplyTo(req, ctl, replyTs, key, ackHigh, mapHi, mapLo);
      const ackMap = (BigInt(mapHi) << 32n) | BigInt(mapLo);
      const want = encodeProbe({ ...f, type: 'reply', ctl, replyTsUs: replyTs, backendId: mac, ackHigh, ackMap }, key);
      const macKey = Buffer.from(mac).readUIntBE(0, 6);
      return Buffer.from(reply).equals(Buffer.from(want)) && verifyProbe(reply, key) === 'reply' && probeBackendKey(reply) === macKey;
    }), { numRuns: 500 });
});

t.test('encoding into a reused buffer (any bytes left in it) gives what a fresh one does', async (t) => {
  fc.assert(fc.property(arbFields('request'), fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.integer({ min: 0, max: 15 }), fc.nat({ max: 2 ** 53 - 1 }),
    fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }),
    fc.uint8Array({ minLength: PROBE_PAYLOAD_BYTES, maxLength: PROBE_PAYLOAD_BYTES }), fc.uint8Array({ minLength: PROBE_PAYLOAD_BYTES, maxLength: PROBE_PAYLOAD_BYTES }),
    (f, mac, ctl, replyTs, ackHigh, mapHi, mapLo, dirtyReq, dirtyReply) => {
      const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
      const fresh = encodeRequest(f.origin, f.target, f.seq, f.sport, f.sendTsUs, key, f.num);
      const into = encodeRequestInto(dirtyReq, f.origin, f.target, f.seq, f.sport, f.sendTsUs, key, f.num);
      if (into !== dirtyReq || !same(into, fresh)) return false;
      writeBackendId(fresh, mac);
      const reply = encodeReplyInto(dirtyReply, fresh, ctl, replyTs, key, ackHigh, mapHi, mapLo);
      if (reply !== dirtyReply || !same(reply, encodeReplyTo(fresh, ctl, replyTs, key, ackHigh, mapHi, mapLo))) return false;
      // In place: the request's own buffer becomes its reply.
      const inPlace = Uint8Array.from(fresh);
      return same(encodeReplyInto(inPlace, inPlace, ctl, replyTs, key, ackHigh, mapHi, mapLo), reply);
    }), { numRuns: 500 });
  t.throws(() => encodeRequestInto(new Uint8Array(PROBE_PAYLOAD_BYTES - 1), 1, 2, 3, 4, 5, key), RangeError, 'a buffer of another length');
  t.throws(() => encodeReplyInto(new Uint8Array(PROBE_PAYLOAD_BYTES + 1), encodeRequest(1, 2, 3, 4, 5, key), 0, 0, key), RangeError, 'a reply buffer of another length');
});

t.test('a Wasm SipHasher as the key gives the bytes and verdicts the 16-byte key (TS twin) gives', async () => {
  const tagger = new SipHasher(key), otherTagger = new SipHasher(otherKey);
  fc.assert(fc.property(arbFields('request'), arbFields('reply'), fc.integer({ min: 0, max: 15 }), fc.nat({ max: 2 ** 53 - 1 }), fc.nat({ max: PROBE_PAYLOAD_BYTES - 1 }),
    (rf, pf, ctl, replyTs, flip) => {
      const req = encodeRequest(rf.origin, rf.target, rf.seq, rf.sport, rf.sendTsUs, tagger, rf.num);
      const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
      if (!same(req, encodeRequest(rf.origin, rf.target, rf.seq, rf.sport, rf.sendTsUs, key, rf.num))) return false;
      if (!same(encodeProbe(pf, tagger), encodeProbe(pf, key))) return false;
      if (!same(encodeReplyTo(req, ctl, replyTs, tagger), encodeReplyTo(req, ctl, replyTs, key))) return false;
      const bad = Uint8Array.from(req);
      bad[flip] ^= 0x10;
      // Same verdicts, including refusals, and the other key's tagger refuses (the shared kernel switches keys).
      return verifyProbe(req, tagger) === 'request' && verifyProbe(bad, tagger) === verifyProbe(bad, key)
        && verifyProbe(req, otherTagger) === 'tag' && verifyProbe(req, tagger) === 'request';
    }), { numRuns: 500 });
});

t.test('a reply to a request held in a Node Buffer is a fresh Uint8Array; the request is untouched', async (t) => {
  const req = Buffer.from(encodeRequest(1, 2, 3, 50000, 1234, key));
  const copy = Buffer.from(req);
  const reply = encodeReplyTo(req, 2, 99, key);
  t.ok(req.equals(copy), 'request bytes unchanged');
  t.equal(Object.getPrototypeOf(reply), Uint8Array.prototype);
  t.equal(verifyProbe(reply, key), 'reply');
});

t.test('SipHasher.tagMatches agrees with tagInto; hashers of equal keys share the loaded key, others switch it', async () => {
  const a = new SipHasher(key), a2 = new SipHasher(Uint8Array.from(key)), b = new SipHasher(otherKey);
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.nat({ max: 2 }), fc.nat({ max: 7 }), (msg, order, flip) => {
    const seq = [[a, a2, b], [b, a, a2], [a2, b, a]][order]!;
    const tags = seq.map((h) => { const out = new Uint8Array(8); h.tagInto(msg, 0, msg.length, out, 0); return out; });
    const twin = new Uint8Array(8);
    sipHash24Into(key, msg, 0, msg.length, twin, 0);
    const ofA = tags[seq.indexOf(a)]!, ofA2 = tags[seq.indexOf(a2)]!, ofB = tags[seq.indexOf(b)]!;
    if (!Buffer.from(ofA).equals(Buffer.from(twin)) || !Buffer.from(ofA2).equals(Buffer.from(twin)) || Buffer.from(ofB).equals(Buffer.from(twin))) return false;
    const withTag = new Uint8Array(msg.length + 8);
    withTag.set(msg); withTag.set(twin, msg.length);
    if (!a.tagMatches(withTag, 0, msg.length, withTag, msg.length) || b.tagMatches(withTag, 0, msg.length, withTag, msg.length)) return false;
    withTag[msg.length + flip] ^= 1;
    return !a2.tagMatches(withTag, 0, msg.length, withTag, msg.length);
  }), { numRuns: 500 });
});

t.test('ProbeBuffer (DataView stores) writes the bytes encodeRequestInto and encodeReplyInto write, for any numbers', async () => {
  // Any numbers, not only in-range ones: the byte-wise writers' conversions (ToUint32, rounding of
  // the 64-bit times, CTL clamping) must be matched exactly.
  const num = fc.oneof(fc.nat({ max: 0xffffffff }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, -0.5, 0.5));
  const tagger = new SipHasher(key);
  const pb = new ProbeBuffer();
  fc.assert(fc.property(fc.array(num, { minLength: 13, maxLength: 13 }), fc.boolean(), fc.uint8Array({ minLength: 6, maxLength: 6 }),
    ([origin, target, seq, sport, ts, n, ctl, replyTs, ackHigh, mapHi, mapLo, , ], useTagger, mac) => {
      const k = useTagger ? tagger : key;
      const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
      const want = encodeRequestInto(new Uint8Array(PROBE_PAYLOAD_BYTES), origin!, target!, seq!, sport!, ts!, k, n!);
      const got = pb.request(origin!, target!, seq!, sport!, ts!, k, n!);
      if (got !== pb.bytes || !same(got, want)) return false;
      const req = Uint8Array.from(got);
      writeBackendId(req, mac);
      const wantReply = encodeReplyInto(new Uint8Array(PROBE_PAYLOAD_BYTES), req, ctl!, replyTs!, k, ackHigh!, mapHi!, mapLo!);
      if (!same(pb.replyTo(req, ctl!, replyTs!, k, ackHigh!, mapHi!, mapLo!), wantReply)) return false;
      // In place: the buffer's own request becomes its reply, as encodeReplyInto(out, out, ...).
      pb.request(origin!, target!, seq!, sport!, ts!, k, n!);
      const inPlace = encodeReplyInto(Uint8Array.from(pb.bytes), Uint8Array.from(pb.bytes), ctl!, replyTs!, k, ackHigh!, mapHi!, mapLo!);
      return same(pb.replyTo(pb.bytes, ctl!, replyTs!, k, ackHigh!, mapHi!, mapLo!), inPlace);
    }), { numRuns: 1000 });
  const t2 = new ProbeBuffer();
  t2.request(1, 2, 3, 4, 5, key);
  fc.assert(fc.property(fc.constant(0), () => { try { t2.replyTo(new Uint8Array(PROBE_PAYLOAD_BYTES - 1), 0, 0, key); return false; } catch (e) { return e instanceof RangeError; } }), { numRuns: 1 });
});
