// One CLI grammar (docs/cli.md), checked on the commander program object itself: the names the grammar
// forbids are absent, placeholders are upper case, defaults are shown bare, required options are marked,
// and docs/cli.md lists every flag of every subcommand with its placeholder, default and requiredness.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Option } from 'commander';
import { program } from '../src/cli/main.js';
import { root, runInProcess } from './fixtures/cli.js';

const p = await program();
const commands = p.commands.filter((c) => c.name() !== 'help');
const doc = readFileSync(join(root, 'docs/cli.md'), 'utf8');

/** The `<X>` / `[X]` placeholder of an option's flags, or undefined for a switch. */
const placeholder = (o: Option): string | undefined => /[<[][^>\]]*[>\]]/.exec(o.flags)?.[0];
/** The flags without the placeholder, as docs/cli.md writes them: `-o, --output`. */
const names = (o: Option): string => o.flags.replace(/\s*[<[].*$/, '');

/** docs/cli.md's table rows of one subcommand's section: flag -> [placeholder, default, required]. */
function docRows(name: string): Map<string, string[]> {
  const start = doc.indexOf(`\n### zooroute ${name}\n`);
  const rows = new Map<string, string[]>();
  if (start < 0) return rows;
  const next = doc.indexOf('\n### ', start + 1);
  for (const line of doc.slice(start, next < 0 ? undefined : next).split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length < 5 || !cells[0].startsWith('`-')) continue;
    rows.set(cells[0].replace(/`/g, ''), cells.slice(1, 4).map((c) => c.replace(/`/g, '')));
  }
  return rows;
}

t.test('every subcommand is there', async (t) => {
  t.same(commands.map((c) => c.name()).sort(), ['agent', 'capture', 'decap', 'encap', 'replay', 'simulate', 'tables', 'tofino-updates']);
});

t.test('one name for one thing: no --out, no --ports; --seed never the flow-hash seed', async (t) => {
  for (const c of commands) {
    for (const o of c.options as readonly Option[]) {
      t.not(o.long, '--out', `${c.name()} ${o.flags}`);
      t.not(o.long, '--ports', `${c.name()} ${o.flags}`);
      if (o.long === '--seed') t.notMatch(o.description, /hash/i, `${c.name()} --seed is a scenario/random seed`);
      if (o.short === '-o') t.equal(o.long, '--output', `${c.name()}: -o is --output`);
    }
  }
  const flags = (name: string): string[] => (commands.find((c) => c.name() === name)!.options as readonly Option[]).map((o) => o.flags);
  t.ok(flags('encap').includes('--hash-seed <N>'));
  for (const c of ['encap', 'decap', 'capture']) t.ok(flags(c).includes('--dstport <PORT>'), `${c} has --dstport`);
  t.ok(flags('capture').includes('-c, --count <N>'));
});

t.test('placeholders are upper case, for options and arguments', async (t) => {
  for (const c of commands) {
    for (const o of c.options as readonly Option[]) {
      const ph = placeholder(o);
      if (ph !== undefined) t.match(ph, /^[<[][A-Z][A-Z0-9_-]*[>\]]$/, `${c.name()} ${o.flags}`);
    }
    for (const a of c.registeredArguments) t.match(a.name(), /^[A-Z][A-Z0-9_-]*$/, `${c.name()} argument ${a.name()}`);
  }
});

t.test('--help shows defaults bare and marks required options', async (t) => {
  for (const c of commands) {
    const r = await runInProcess([c.name(), '--help']);
    t.equal(r.code, 0);
    t.notMatch(r.out, /default: "/, `${c.name()}: no quoted default`);
    const help = r.out.replace(/\s+/g, ' ');
    for (const o of c.options as readonly Option[]) {
      if (o.mandatory) t.match(help, `${o.flags} ${o.description} (required)`, `${c.name()} ${o.flags} marked required`);
      if (o.defaultValueDescription !== undefined) t.match(help, `(default: ${o.defaultValueDescription})`, `${c.name()} ${o.flags} default shown`);
    }
  }
});

t.test('docs/cli.md lists every flag with its placeholder, default and requiredness', async (t) => {
  for (const c of commands) {
    const rows = docRows(c.name());
    t.ok(rows.size > 0, `docs/cli.md has a section for ${c.name()}`);
    const seen = new Set<string>();
    for (const o of c.options as readonly Option[]) {
      const row = rows.get(names(o));
      t.ok(row, `${c.name()} ${names(o)} is in docs/cli.md`);
      if (!row) continue;
      seen.add(names(o));
      t.same(row, [placeholder(o) ?? '', o.defaultValueDescription ?? '—', o.mandatory ? 'yes' : 'no'], `${c.name()} ${names(o)}`);
    }
    t.same([...rows.keys()].filter((k) => !seen.has(k)), [], `docs/cli.md lists no flag ${c.name()} lacks`);
  }
});

t.test('bare zooroute prints the help on stderr and exits 2; help and --help exit 0', async (t) => {
  const bare = await runInProcess([]);
  t.equal(bare.code, 2);
  t.equal(bare.out, '');
  t.match(bare.err, /^Usage: zooroute /);
  for (const a of [['--help'], ['help'], ['help', 'encap'], ['--version']]) t.equal((await runInProcess(a)).code, 0, a.join(' '));
});

t.test('commander errors are one line in the zooroute form, exit 2', async (t) => {
  for (const a of [['nosuch'], ['tables', '--bogus'], ['encap'], ['tables', '--candidates', '0'], ['simulate']]) {
    const r = await runInProcess(a);
    t.equal(r.code, 2, a.join(' '));
    t.match(r.err, /^zooroute: [^\n]+\n$/, a.join(' '));
  }
});
