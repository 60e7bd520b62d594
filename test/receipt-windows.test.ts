// The responder's receipt windows: the 64-bit window matches a plain set of received probe numbers.
import t from 'tap';
import fc from 'fast-check';
import { ReceiptWindow, ReceiptWindows } from '../src/control/receipt-windows.js';

/** Bit i of the window: probe number high - i arrived. */
const bit = (w: ReceiptWindow, i: number): boolean => ((i < 32 ? w.lo >>> i : w.hi >>> (i - 32)) & 1) === 1;

t.test('the window is the set of received numbers within 63 of the highest', async () => {
  fc.assert(fc.property(fc.nat({ max: 0xffffffff }), fc.array(fc.integer({ min: -70, max: 100 }), { maxLength: 200 }), (start, steps) => {
    const w = new ReceiptWindow();
    w.high = start; w.lo = 1; w.hi = 0;
    const got = new Set<number>([start]);
    let high = start, cur = start;
    for (const d of steps) {
      cur = (cur + d) >>> 0;
      const behind = (high - cur) | 0;
      if (behind >= 64) continue; // far behind starts the window over: not modelled here
      w.note(cur);
      got.add(cur);
      if (((cur - high) | 0) > 0) high = cur;
    }
    if (w.high !== high) return false;
    for (let i = 0; i < 64; i++) if (bit(w, i) !== got.has((high - i) >>> 0)) return false;
    return true;
  }), { numRuns: 2000 });
});

t.test('a number far behind the window (a restarted prober) starts it over', async (t) => {
  const w = new ReceiptWindow();
  w.high = 1000; w.lo = 0xffffffff; w.hi = 0xffffffff;
  w.note(5);
  t.equal(w.high, 5);
  t.equal(w.lo, 1);
  t.equal(w.hi, 0);
  w.note(5 + 64); // a jump of exactly the window: nothing of before stays
  t.equal(w.lo, 1);
  t.equal(w.hi, 0);
  w.note(5 + 64 + 32);
  t.equal(w.hi, 1, 'a slide of 32 moves bit 0 to bit 32');
  t.equal(w.lo, 1);
});

t.test('ReceiptWindows keeps one window per prober, at most max of them', async (t) => {
  const ws = new ReceiptWindows(2);
  ws.note(1, 10); ws.note(2, 20);
  t.equal(ws.note(1, 11).high, 11);
  ws.note(3, 30);
  t.equal(ws.size, 2, 'the oldest window dropped');
  t.equal(ws.note(1, 12).lo, 1, 'a dropped prober starts a new window');
});
