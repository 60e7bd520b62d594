// CI's slice of the soak (soak/run.ts): two agents for 2 minutes at 10k tenant pps with probing and
// two path failures; fails when RSS grows more than 10% after the warm-up or traffic stops, and checks
// that both agents detect the failures and that A's /metrics counts them.
import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { candidatePorts, parseIPv4, DEFAULT_PORT_RANGE } from '../bindings/index.js';
import { onSecondPath } from '../soak/memory-underlay.js';

const root = join(import.meta.dirname, '..');

t.test('soak: 2 minutes, one failure, RSS flat', { timeout: 240_000 }, async (t) => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'soak/run.ts', '--minutes', '2', '--warmup-minutes', '0.5', '--json'],
      { cwd: root, maxBuffer: 1 << 24 }, (e, stdout) => (e !== null && e.code !== 1 ? reject(e) : resolve(stdout)));
  });
  const r = JSON.parse(out) as {
    ok: boolean; problems: string[]; rssGrowthPct: number; heapGrowthPct: number; failures: number; portDown: number; portDownA: number; portDownB: number;
    deliveredShare: number; cpuFirstHalfPct: number; cpuSecondHalfPct: number; table: { portDownA: number }[];
  };
  t.comment(`soak 2 min: RSS ${r.rssGrowthPct.toFixed(1)}% after warm-up (live heap ${r.heapGrowthPct.toFixed(1)}%), CPU ${r.cpuFirstHalfPct.toFixed(1)}% then ${r.cpuSecondHalfPct.toFixed(1)}%, ${(100 * r.deliveredShare).toFixed(2)}% delivered, ${r.portDown} ports down`);
  t.same(r.problems, [], 'no problem found');
  t.ok(r.failures >= 1, 'a failure happened');
  t.ok(r.portDown > 0, 'it was detected');
  // The failed path carries about half of each agent's candidates (A's probes and B's, whose replies
  // cross A -> B): both must see ports go down, and A's /metrics must count what its events said.
  t.ok(r.portDownA > 0, `agent A saw ports go down (${r.portDownA})`);
  t.ok(r.portDownB > 0, `agent B saw ports go down (${r.portDownB})`);
  t.equal(r.table.at(-1)!.portDownA, r.portDownA, "agent A's zooroute_port_down_total matches its port-down events");
  t.ok(r.rssGrowthPct <= 10, 'RSS growth at most 10%');
});

t.test('soak underlay: the failed path takes some but not all candidates of each agent', (t) => {
  for (const ip of ['192.168.2.2', '192.168.1.2']) { // A's candidates towards B, and B's towards A
    const c = candidatePorts(DEFAULT_PORT_RANGE, 32, parseIPv4(ip), 0);
    const failed = c.filter(onSecondPath).length;
    t.ok(failed >= 8 && failed <= 24, `${failed} of the 32 candidates towards ${ip} hash onto the failed path`);
  }
  t.end();
});
