// assembly/layout.ts (the Wasm side) and bindings/layout.ts (its TS mirror) must agree: this reads the
// AssemblyScript file as text and checks every mirrored constant, in both directions.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as mirror from '../bindings/layout.js';

const src = readFileSync(fileURLToPath(new URL('../assembly/layout.ts', import.meta.url)), 'utf8');

interface AsConst { value: number; type: string; comment: string }
const asConsts = new Map<string, AsConst>();
for (const m of src.matchAll(/^export const (\w+): (\w+) = (0x[0-9a-fA-F]+|\d+);[ \t]*(?:\/\/(.*))?$/gm)) {
  asConsts.set(m[1], { value: Number(m[3]), type: m[2], comment: (m[4] ?? '').trim() });
}

t.test('the AssemblyScript layout parses', async (t) => {
  const declared = [...src.matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
  t.same([...asConsts.keys()].sort(), declared.sort(), 'every exported constant is a plain number literal');
  t.ok(asConsts.size > 40, `${asConsts.size} constants read`);
});

t.test('every numeric constant of bindings/layout.ts has the Wasm value', async (t) => {
  const numeric = Object.entries(mirror as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number');
  t.ok(numeric.length > 20, `${numeric.length} mirrored numbers`);
  for (const [name, value] of numeric) {
    t.equal(asConsts.get(name)?.value, value, `${name} = ${value}`);
  }
});

t.test('Status mirrors the ST_ codes exactly', async (t) => {
  const st = [...asConsts].filter(([n]) => n.startsWith('ST_'));
  t.equal(Object.keys(mirror.Status).length, st.length, 'same number of status codes');
  for (const [name, c] of st) {
    const key = name.slice(3) as keyof typeof mirror.Status;
    t.equal(mirror.Status[key], c.value, `Status.${key} = ${c.value}`);
  }
  const codes = Object.values(mirror.Status);
  t.equal(new Set(codes).size, codes.length, 'status codes are distinct');
});

t.test('what the TS side needs is mirrored', async (t) => {
  const mirrored = new Set(Object.keys(mirror));
  const needed = [...asConsts.keys()].filter((n) => /^(D_|DESC_SIZE|KEY_|FAM_|OUTER_LEN|MAX_CANDIDATES|TABLE_)/.test(n));
  for (const n of needed) t.ok(mirrored.has(n), `${n} is mirrored`);
});

t.test('descriptor fields tile the descriptor without overlap', async (t) => {
  const size = asConsts.get('DESC_SIZE')!.value;
  const fields = [...asConsts].filter(([n]) => n.startsWith('D_'))
    .map(([name, c]) => ({ name, off: c.value, width: /^u32\b/.test(c.comment) ? 4 : /^u16\b/.test(c.comment) ? 2 : 0 }))
    .sort((a, b) => a.off - b.off);
  let at = 0;
  for (const f of fields) {
    t.not(f.width, 0, `${f.name} declares its width (u16/u32) in its comment`);
    t.equal(f.off, at, `${f.name} starts at ${at}`);
    t.equal(f.off % f.width, 0, `${f.name} is aligned`);
    at = f.off + f.width;
  }
  t.equal(at, size, `fields cover all ${size} bytes`);
});
