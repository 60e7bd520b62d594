// `zooroute tofino-updates`: both channels on the emulator, modelled times and measured speed.
import t from 'tap';
import { runInProcess as capture } from './fixtures/cli.js';
import { runTofinoUpdates } from '../src/cli/tofino-updates.js';

t.test('the report: both channels agree, times follow from the model', async (t) => {
  const r = runTofinoUpdates({ updates: 20_000, ports: 32, pcieTps: 10_000, lineRateBps: 100e9, recirculationBps: 100e9, maxPacketBytes: 1500, recordsPerPass: 16 });
  t.equal(r.statesAgree, true, 'PCIe and packet channels left identical registers');
  t.equal(r.pcieSeconds, 2, '20k transactions at 10k/s');
  t.equal(r.packets, Math.ceil(20_000 / 90));
  t.ok(r.inNetworkSeconds > 0 && r.speedup === r.pcieSeconds / r.inNetworkSeconds);
  t.ok(r.passes >= r.packets && r.recirculations === r.passes - r.packets);
  t.ok(r.wallSeconds > 0 && r.updatesPerSecond > 0);
  t.ok(r.recordsPerPass >= 1 && r.recordsPerPass <= 16);
});

t.test('zooroute tofino-updates --json', async (t) => {
  const { code, out } = await capture(['tofino-updates', '--updates', '5000', '--json']);
  t.equal(code, 0);
  const j = JSON.parse(out) as Record<string, unknown>;
  for (const k of ['updates', 'pcieSeconds', 'inNetworkSeconds', 'speedup', 'wallSeconds', 'updatesPerSecond']) t.type(j[k], 'number', k);
  t.equal(j.updates, 5000);
  t.equal(j.pcieSeconds, 0.5);
  t.equal(j.statesAgree, true);
  const slow = JSON.parse((await capture(['tofino-updates', '--updates', '5000', '--json', '--recirculation-gbps', '1'])).out) as { inNetworkSeconds: number };
  t.ok(slow.inNetworkSeconds > (j.inNetworkSeconds as number), 'a slower loopback takes longer');
});

t.test('text output and bad arguments', async (t) => {
  const ok = await capture(['tofino-updates', '--updates', '1000']);
  t.equal(ok.code, 0);
  t.match(ok.out, /speedup\s+\d+x/);
  t.match(ok.out, /states agree\s+yes/);
  const bad = await capture(['tofino-updates', '--updates', 'many']);
  t.equal(bad.code, 2);
  t.match(bad.err, /--updates must be an integer/);
  const big = await capture(['tofino-updates', '--updates', '10000000', '--candidates', '64']);
  t.equal(big.code, 2, 'a table over the SRAM budget is a usage error');
  t.match(big.err, /zooroute: 10000000 updates need a flat table/);
});
