// Scenario validation: every bad field is reported in one line that names it.
import t from 'tap';
import { parseScenario, scenarioKind, ScenarioError } from '../src/sim/scenario.js';
import { buildWorld } from '../src/sim/world.js';

const base = (): Record<string, unknown> => ({
  name: 'v', durationMs: 2000,
  topology: { kind: 'leaf-spine', leaves: 2, spines: 2 },
  vteps: [{ name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'] }, { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'] }],
  traffic: { flows: [{ src: '192.168.0.1', dst: '192.168.1.1' }] },
  failures: [{ type: 'link-down', atMs: 500, durationMs: 500, links: [['leaf0', 'spine0']] }],
});

/** Apply an edit to a fresh valid scenario, parse and build it, and return the error message. */
function errorOf(edit: (s: Record<string, any>) => void): string {
  const s = base();
  edit(s);
  try {
    buildWorld(parseScenario(s));
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  return 'no error';
}

t.test('a valid scenario builds', async (t) => {
  const w = buildWorld(parseScenario(base()));
  t.equal(w.vteps.length, 2);
  t.equal(w.flows.length, 1);
  t.equal(w.failures[0].links.length, 2, 'both directions of the one link');
});

const cases: [string, (s: Record<string, any>) => void, RegExp][] = [
  ['not an object', (s) => { s.topology = 3; }, /^topology: expected an object/],
  ['unknown top-level field', (s) => { s.durtion = 5; }, /^scenario\.durtion: unknown field/],
  ['missing duration', (s) => { delete s.durationMs; }, /^scenario\.durationMs: required/],
  ['bad topology kind', (s) => { s.topology.kind = 'ring'; }, /^topology\.kind: expected "leaf-spine", "clos" or "two-region"/],
  ['non-integer leaves', (s) => { s.topology.leaves = 2.5; }, /^topology\.leaves: expected an integer/],
  ['bad VTEP address', (s) => { s.vteps[1].ip = '10.0.0.300'; }, /^vteps\[1\]\.ip: not an IPv4 address/],
  ['bad inner prefix', (s) => { s.vteps[0].inner = ['192.168.0.0/33']; }, /^vteps\[0\]\.inner\[0\]: not an IPv4 address or prefix/],
  ['duplicate VTEP address', (s) => { s.vteps[1].ip = '10.0.0.1'; }, /^vteps\[1\]\.ip: 10\.0\.0\.1 is used by two VTEPs/],
  ['unknown attach switch', (s) => { s.vteps[0].attach = 'leaf9'; }, /^vteps\[0\]\.attach: no switch named leaf9/],
  ['bad role', (s) => { s.vteps[0].role = 'router'; }, /^vteps\[0\]\.role: expected "host" or "gateway"/],
  ['unserved flow source', (s) => { s.traffic.flows[0].src = '172.16.0.1'; }, /^traffic\.flows\[0\]\.src: no VTEP serves 172\.16\.0\.1/],
  ['flow rate out of range', (s) => { s.traffic.flows[0].ratePps = -1; }, /^traffic\.flows\[0\]\.ratePps: must be in/],
  ['flow end before start', (s) => { s.traffic.flows[0].startMs = 800; s.traffic.flows[0].endMs = 700; }, /^traffic\.flows\[0\]\.endMs: must be after startMs/],
  ['no traffic', (s) => { s.traffic = {}; }, /^traffic: no flows/],
  ['bad failure type', (s) => { s.failures[0].type = 'meteor'; }, /^failures\[0\]\.type: expected one of link-down/],
  ['failure after the end', (s) => { s.failures[0].atMs = 5000; }, /^failures\[0\]\.atMs: must be in 0\.\.2000/],
  ['failure link unknown node', (s) => { s.failures[0].links = [['leaf0', 'spine7']]; }, /^failures\[0\]\.links\[0\]: no node named spine7/],
  ['failure link not adjacent', (s) => { s.failures[0].links = [['leaf0', 'leaf1']]; }, /^failures\[0\]\.links\[0\]: no link between leaf0 and leaf1/],
  ['loss without loss', (s) => { s.failures[0].type = 'loss'; }, /^failures\[0\]\.loss: required for type loss/],
  ['burst loss above 1', (s) => { s.failures[0] = { type: 'burst', atMs: 0, durationMs: 100, links: [['leaf0', 'spine0']], peakLoss: 1.5 }; }, /^failures\[0\]\.peakLoss: must be in 0\.\.1/],
  ['border routers on leaf-spine', (s) => { s.failures[0] = { type: 'border-routers', atMs: 0, durationMs: 100, region: 'x', count: 2 }; }, /^failures\[0\]\.region: no region named x/],
  ['endpoint on a switch', (s) => { s.failures[0] = { type: 'endpoint', atMs: 0, durationMs: 100, vtep: 'spine0' }; }, /^failures\[0\]\.vtep: spine0 is a switch/],
  ['card on unknown switch', (s) => { s.failures[0] = { type: 'card', atMs: 0, durationMs: 100, switch: 'spine5' }; }, /^failures\[0\]\.switch: no node named spine5/],
  ['bad port range', (s) => { s.ports = { range: '60000-50000' }; }, /^ports\.range: expected A-B/],
  ['too many candidates for the range', (s) => { s.ports = { range: '50000-50003', candidates: 8 }; }, /^ports\.candidates: 8 candidates do not fit/],
  ['two regions with the same name', (s) => { s.topology = { kind: 'two-region', regions: [{ name: 'A', leaves: 1, spines: 1 }, { name: 'A', leaves: 1, spines: 1 }], borderRouters: 2 }; }, /^topology\.regions\[1\]\.name: regions need distinct names/],
];

for (const [what, edit, re] of cases) {
  t.test(what, async (t) => {
    const m = errorOf(edit);
    t.match(m, re);
    t.notMatch(m, /\n/, 'one line');
  });
}

t.test('kind: declared, or inferred from the traffic; a replay scenario holds no traffic', async (t) => {
  t.equal(scenarioKind(parseScenario({ ...base(), kind: 'simulation' })), 'simulation');
  t.equal(scenarioKind(parseScenario(base())), 'simulation', 'no kind, flows: a simulation');
  t.equal(scenarioKind(parseScenario({ ...base(), traffic: { generator: {} } })), 'simulation', 'no kind, a generator: a simulation');
  t.equal(scenarioKind(parseScenario({ ...base(), traffic: {} })), 'replay', 'no kind, no traffic: a replay scenario');
  const { traffic: _, ...noTraffic } = base();
  const r = parseScenario({ ...noTraffic, kind: 'replay' });
  t.equal(scenarioKind(r), 'replay');
  t.same(r.traffic, {}, 'a replay scenario without traffic reads as empty traffic');
  t.equal(errorOf((s) => { delete s.traffic; }), 'traffic: required', 'traffic stays required without kind');
  t.equal(errorOf((s) => { s.kind = 'replay'; }), 'traffic: a replay scenario takes its traffic from the capture: no flows or generator (or "kind": "simulation")');
  t.equal(errorOf((s) => { s.kind = 'sim'; }), 'kind: expected "simulation" or "replay", got "sim"');
});
