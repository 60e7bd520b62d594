// src/atomic-output.ts: bytes go to a temporary file beside the target and replace it only on commit();
// abort() leaves the target as it was; a device is written in place; bad paths are refused by name
// before anything is created.
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicOutput, checkOutputPath, writeFileAtomic } from '../src/atomic-output.js';
import { FileError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'zooroute-atomic-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('the bytes go to a hidden temporary file beside the target until commit()', async (t) => {
  const target = join(dir, 'a.out');
  writeFileSync(target, 'old');
  const o = AtomicOutput.open(target);
  t.notOk(o.inPlace);
  writeSync(o.fd, 'new bytes');
  const temps = readdirSync(dir).filter((n) => n.startsWith('.a.out.tmp-'));
  t.equal(temps.length, 1, `one temporary file: ${temps.join(', ')}`);
  t.match(temps[0], new RegExp(`^\\.a\\.out\\.tmp-${process.pid}-[0-9a-f]{8}$`));
  t.equal(readFileSync(target, 'utf8'), 'old', 'the target is untouched while the run goes on');
  o.commit();
  t.equal(readFileSync(target, 'utf8'), 'new bytes');
  t.same(readdirSync(dir).filter((n) => n.includes('.tmp-')), [], 'the temporary file is gone');
});

t.test('abort() removes the temporary file and leaves the target, or its absence, as it was', async (t) => {
  const target = join(dir, 'b.out');
  writeFileSync(target, 'keep me');
  const o = AtomicOutput.open(target);
  writeSync(o.fd, 'partial');
  o.abort();
  t.equal(readFileSync(target, 'utf8'), 'keep me');
  const fresh = join(dir, 'c.out');
  const p = AtomicOutput.open(fresh);
  writeSync(p.fd, 'partial');
  p.abort();
  t.notOk(existsSync(fresh), 'no file where there was none');
  t.same(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
});

t.test('the replaced file keeps its mode; a symbolic link is kept and its target replaced', async (t) => {
  const target = join(dir, 'mode.out');
  writeFileSync(target, 'x');
  chmodSync(target, 0o640);
  writeFileAtomic(target, 'y');
  t.equal(statSync(target).mode & 0o777, 0o640);
  const real = join(dir, 'real.out'), link = join(dir, 'link.out');
  writeFileSync(real, 'before');
  symlinkSync(real, link);
  writeFileAtomic(link, 'after');
  t.equal(readFileSync(real, 'utf8'), 'after', 'written through the link');
  t.ok(statSync(link).isFile() && existsSync(link), 'the link still resolves');
  t.equal(readFileSync(link, 'utf8'), 'after');
});

t.test('a character device is written in place; /dev/full fails with a FileError naming it', async (t) => {
  const o = AtomicOutput.open('/dev/null');
  t.ok(o.inPlace);
  writeSync(o.fd, 'gone');
  o.commit();
  t.throws(() => writeFileAtomic('/dev/full', 'x'), new FileError('/dev/full', 'no space left on device'));
});

t.test('checkOutputPath refuses by name before creating anything', async (t) => {
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  t.throws(() => checkOutputPath(sub), new FileError(sub, 'is a directory'));
  const missing = join(dir, 'nowhere', 'x.out');
  t.throws(() => checkOutputPath(missing), new FileError(missing, `no such directory ${join(dir, 'nowhere')}`));
  const under = join(dir, 'a.out', 'x.out');
  t.throws(() => checkOutputPath(under), new FileError(under, 'a component of the path is not a directory'));
  t.doesNotThrow(() => checkOutputPath(join(sub, 'new.out')));
  t.same(readdirSync(sub), [], 'nothing created');
});

t.test('commit() over a large file: the new content in place, the old file released (closed on the pool)', async (t) => {
  const target = join(dir, 'replaced.bin');
  writeFileSync(target, Buffer.alloc(8 << 20, 1));
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  const out = AtomicOutput.open(target);
  writeSync(out.fd, Buffer.from('new'));
  out.commit();
  t.equal(readFileSync(target, 'utf8'), 'new');
  t.same(readdirSync(dir).filter((n) => n.startsWith('.replaced.bin.tmp-')), [], 'no temporary file left');
  // The old file's descriptor is closed on libuv's pool: gone once the pool has run.
  for (let i = 0; i < 100 && fds() > before; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(fds(), before, 'no descriptor left open');
});
