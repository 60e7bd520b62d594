// Health rule extensions (docs/health.md): a port that turns bad after scattered losses (random loss,
// not a black hole) is held like a flapping port; a clean black hole still returns on 3-of-5; and
// damping never holds out the ports a peer needs (holdFloor).
import t from 'tap';
import { PORT_BAD, PORT_GOOD, PortHealth, type HealthRules } from '../src/control/health.js';
import { DEFAULT_CONTROL_CONFIG, resolveControlConfig } from '../src/control/config.js';

const RULES: HealthRules = DEFAULT_CONTROL_CONFIG;
const I = 300;

/** Feed port k a pattern ('a' answered, 'l' lost), one probe every I ms from `at`; returns the time after. */
function feed(h: PortHealth, k: number, pattern: string, at: number): number {
  for (const c of pattern) {
    if (c === 'a') h.answered(k, at); else h.lost(k, at, true);
    at += I;
  }
  return at;
}

t.test('a black hole: bad after two losses, back on 3 of 5 answered', async (t) => {
  const h = new PortHealth(8, RULES);
  let at = feed(h, 0, 'aaaaaaaaaa', 0);
  at = feed(h, 0, 'll', at);
  t.equal(h.state(0), PORT_BAD, 'bad after two consecutive losses');
  t.equal(h.held(0), false, 'not held: no loss before the run');
  feed(h, 0, 'aaa', at);
  t.equal(h.state(0), PORT_GOOD, 'good again after three answered probes');
});

t.test('scattered losses: the port is held at once and stays out while the loss goes on', async (t) => {
  const h = new PortHealth(8, RULES);
  let at = feed(h, 0, 'aaaaaa', 0);
  at = feed(h, 0, 'alaaall', at); // ~30% loss: a loss three probes before the run
  t.equal(h.state(0), PORT_BAD);
  t.equal(h.held(0), true, 'held: it lost a probe among the 8 before its run of losses');
  at = feed(h, 0, 'aaalaaa', at);
  t.equal(h.state(0), PORT_BAD, '3 of 5 answered is not enough while held and not failure-free for 5 s');
  at = feed(h, 0, 'a'.repeat(Math.ceil(RULES.suppressHoldMs! / I)), at);
  t.equal(h.state(0), PORT_GOOD, `back once failure-free for ${RULES.suppressHoldMs} ms`);
  // A loss older than the window does not count: 8 answered probes between it and the run.
  const g = new PortHealth(8, RULES);
  at = feed(g, 1, 'aaal' + 'a'.repeat(8) + 'll', 0);
  t.equal(g.held(1), false, 'a loss more than lossyWindow probes before the run is not scattered loss');
});

t.test('lossyWindow 0 turns the rule off', async (t) => {
  const h = new PortHealth(8, { ...RULES, lossyWindow: 0 });
  const at = feed(h, 0, 'aaaalaaall', 0);
  t.equal(h.state(0), PORT_BAD);
  t.equal(h.held(0), false);
  feed(h, 0, 'aaa', at);
  t.equal(h.state(0), PORT_GOOD);
});

t.test('holdFloor: damping never holds out the ports the peer needs', async (t) => {
  // 4 candidates, all lossy and held: fewer than 25% not bad, so a held port returns on 3 of 5.
  const h = new PortHealth(4, RULES);
  let at = 0;
  for (let k = 0; k < 4; k++) at = feed(h, k, 'aaaalaall', 0);
  t.equal(h.badCount, 4, 'every port bad');
  t.ok([0, 1, 2, 3].every((k) => h.held(k)), 'every port held');
  feed(h, 0, 'aaa', at);
  t.equal(h.state(0), PORT_GOOD, 'with no healthy port left, the first to meet 3 of 5 returns');
  feed(h, 1, 'aaa', at);
  t.equal(h.state(1), PORT_BAD, 'now one port of four (25%) is usable: the others stay held');
});

t.test('wait to restore: an intermittent recovery is good but not usable until 5 s failure-free', async (t) => {
  const h = new PortHealth(8, RULES);
  let at = feed(h, 0, 'aaaaaaaaaa', 0);
  at = feed(h, 0, 'll', at);
  t.equal(h.held(0), false, 'not held: a black hole as far as anyone can tell');
  at = feed(h, 0, 'alaa', at); // 3 of the last 5 answered, the latest included: good (the spec's rule)
  t.equal(h.state(0), PORT_GOOD, 'good on 3 of 5, as the spec says');
  t.equal(h.restoring(0), true, 'but restoring: a loss between its answers');
  t.equal(h.usable(0), false, 'not usable while restoring');
  at = feed(h, 0, 'aaaaalaaa', at); // a loss restarts the wait (one loss: still good)
  t.equal(h.state(0), PORT_GOOD);
  t.equal(h.restoring(0), true, 'a loss restarts the wait');
  const lastLoss = at - 4 * I;
  let restoredAt = -1;
  for (let i = 0; i < 30 && restoredAt < 0; i++) { if (h.answered(0, at) === 'restored') restoredAt = at; at += I; }
  t.ok(restoredAt - lastLoss >= RULES.waitToRestoreMs! && restoredAt - lastLoss < RULES.waitToRestoreMs! + I, `restored ${restoredAt - lastLoss} ms after the last loss`);
  t.equal(h.usable(0), true);
  // Clean recovery: unbroken answers after the losses take the flows back at once.
  const g = new PortHealth(8, RULES);
  at = feed(g, 0, 'aaaaaaaaaa' + 'llll' + 'aaa', 0);
  t.equal(g.state(0), PORT_GOOD);
  t.equal(g.restoring(0), false, 'a clean recovery does not wait');
  // Off: waitToRestoreMs 0.
  const o = new PortHealth(8, { ...RULES, waitToRestoreMs: 0 });
  feed(o, 0, 'aaaaaaaaaa' + 'll' + 'alaa', 0);
  t.equal(o.usable(0), true, 'waitToRestoreMs 0 turns it off');
  // Under the floor: every port bad but one, which recovers intermittently: usable at once.
  const f = new PortHealth(4, RULES);
  for (let k = 0; k < 4; k++) feed(f, k, 'aaaaaaaaaall', 0);
  feed(f, 0, 'alaa', 12 * I);
  t.equal(f.usable(0), true, 'never waits while the peer is under holdFloor');
});

t.test('config: lossyWindow and holdFloor are validated', async (t) => {
  t.throws(() => resolveControlConfig({ lossyWindow: 17 }), /lossyWindow/);
  t.throws(() => resolveControlConfig({ holdFloor: 1.5 }), /holdFloor/);
  t.equal(resolveControlConfig().lossyWindow, 8);
  t.throws(() => resolveControlConfig({ waitToRestoreMs: -1 }), /waitToRestoreMs/);
  t.equal(resolveControlConfig().waitToRestoreMs, 5000);
});
