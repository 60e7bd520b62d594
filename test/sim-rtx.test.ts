// The retransmission trigger in the simulator (control.retransmitTrigger, beyond the talk, on by
// default): the tenants' TCP timers (the prr mode's model) report to the VTEPs on the way; only
// zooroute changes, and switching it off gives the talk's design.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../src/sim/scenario.js';
import { simulate } from '../src/sim/simulate.js';

const base = JSON.parse(readFileSync(new URL('../examples/long-haul-jitter.json', import.meta.url), 'utf8')) as Record<string, unknown>;

t.test('long-haul-jitter: the trigger cuts zooroute\'s outage; the other modes are untouched', async (t) => {
  for (const seed of [1, 2]) {
    const off = simulate(parseScenario({ ...base, control: { retransmitTrigger: false } }), { seed });
    const on = simulate(parseScenario({ ...base, control: { retransmitTrigger: true } }), { seed });
    t.same(simulate(parseScenario(base), { seed }).modes.zooroute, on.modes.zooroute, `seed ${seed}: on by default`);
    t.ok(on.modes.zooroute.outageSeconds < off.modes.zooroute.outageSeconds,
      `seed ${seed}: zooroute ${on.modes.zooroute.outageSeconds} s with the trigger, ${off.modes.zooroute.outageSeconds} s without`);
    for (const m of ['static', 'opportunistic', 'prr'] as const) t.same(on.modes[m], off.modes[m], `seed ${seed}: ${m} unchanged`);
  }
});

t.test('the trigger is a boolean in the scenario\'s control section', async (t) => {
  let err: unknown;
  try { simulate(parseScenario({ ...base, control: { retransmitTrigger: 'yes' } }), { seed: 1 }); } catch (e) { err = e; }
  t.match(err, { field: 'control.retransmitTrigger', message: /must be a boolean/ });
});
