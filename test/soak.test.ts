// CI's slice of the soak (soak/run.ts): two agents for 2 minutes at 10k tenant pps with probing and
// one path failure; fails when RSS grows more than 10% after the warm-up or traffic stops.
import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

t.test('soak: 2 minutes, one failure, RSS flat', { timeout: 240_000 }, async (t) => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'soak/run.ts', '--minutes', '2', '--warmup-minutes', '0.5', '--json'],
      { cwd: root, maxBuffer: 1 << 24 }, (e, stdout) => (e !== null && e.code !== 1 ? reject(e) : resolve(stdout)));
  });
  const r = JSON.parse(out) as { ok: boolean; problems: string[]; rssGrowthPct: number; failures: number; portDown: number; deliveredShare: number; cpuFirstHalfPct: number; cpuSecondHalfPct: number };
  t.comment(`soak 2 min: RSS ${r.rssGrowthPct.toFixed(1)}% after warm-up, CPU ${r.cpuFirstHalfPct.toFixed(1)}% then ${r.cpuSecondHalfPct.toFixed(1)}%, ${(100 * r.deliveredShare).toFixed(2)}% delivered, ${r.portDown} ports down`);
  t.same(r.problems, [], 'no problem found');
  t.ok(r.failures >= 1, 'a failure happened');
  t.ok(r.portDown > 0, 'it was detected');
  t.ok(r.rssGrowthPct <= 10, 'RSS growth at most 10%');
});
