// Register-action programs: built only when they obey the Tofino compiler's rules, then run per pass.
import t from 'tap';
import fc from 'fast-check';
import { Pipeline } from '../src/tofino/pipeline.js';
import { Program, ProgramError, type Operand, type RegisterAction } from '../src/tofino/program.js';

function setup() {
  const p = new Pipeline();
  const l1 = p.allocate({ name: 'l1', width: 16, size: 8, stage: 0 });
  const other = p.allocate({ name: 'other', width: 32, size: 8, stage: 0 });
  const l2 = p.allocate({ name: 'l2', width: 64, size: 4, stage: 2 });
  return { p, l1, other, l2 };
}

t.test('the compiler rules are enforced when the program is built', async (t) => {
  const { p, l1, other, l2 } = setup();
  const rejects = (why: string, msg: RegExp, actions: Parameters<typeof Program.build>[1]) =>
    t.throws(() => Program.build(p, actions), { name: 'ProgramError', message: msg }, why);
  rejects('two accesses to one array in a pass', /one read-modify-write per register array/, [
    { register: l1, op: 'read', index: { const: 0 } },
    { register: l1, op: 'write', index: { const: 1 }, value: { const: 1 } },
  ]);
  rejects('an action outside its array\'s stage', /lives in stage 0/, [{ register: l1, op: 'read', index: { const: 0 }, stage: 1 }]);
  rejects('actions out of stage order', /cannot go back/, [
    { register: l2, op: 'read', index: { const: 0 } },
    { register: l1, op: 'read', index: { const: 0 } },
  ]);
  rejects('a result from the same stage', /usable only from the next stage/, [
    { register: l1, op: 'read', index: { const: 0 }, output: 'x' },
    { register: other, op: 'read', index: { result: 'x' } },
  ]);
  rejects('a result from a later stage', /no earlier action produces/, [
    { register: l1, op: 'read', index: { result: 'y' } },
    { register: l2, op: 'read', index: { const: 0 }, output: 'y' },
  ]);
  rejects('a write with nothing to write', /needs a value/, [{ register: l1, op: 'write', index: { const: 0 } }]);
  rejects('a high half on a 16-bit array', /not a pair/, [{ register: l1, op: 'write', index: { const: 0 }, value: { const: 1 }, valueHi: { const: 1 } }]);
  rejects('a constant that is not 32-bit', /32-bit/, [{ register: l1, op: 'read', index: { const: -1 } }]);
  const foreign = new Pipeline().allocate({ name: 'f', width: 8, size: 1, stage: 0 });
  rejects('a register of another pipeline', /not allocated in this pipeline/, [{ register: foreign, op: 'read', index: { const: 0 } }]);
  t.ok(ProgramError);
});

t.test('a two-level lookup (HI-like) builds and runs across stages', async (t) => {
  const { p, l1, l2 } = setup();
  l1.write(5, 3); // destination 5 has a second-level slot 3
  l2.write(3, 0xaaaa, 0xbbbb);
  const prog = Program.build(p, [
    { register: l1, op: 'read', index: { field: 'dest' }, output: 'ptr' },
    { register: l2, op: 'read', index: { result: 'ptr' }, when: { result: 'ptr' }, output: 'lo', outputHi: 'hi' },
  ]);
  t.same(prog.run({ dest: 5 }).outputs, { ptr: 3, lo: 0xaaaa, hi: 0xbbbb });
  const empty = prog.run({ dest: 4 });
  t.same(empty.outputs, { ptr: 0, lo: 0, hi: 0 });
  t.equal(empty.executed, 1, 'the second level is skipped when the slot is empty');
});

t.test('read-modify-write semantics, truncation to the cell, and out-of-range indices', async (t) => {
  const { p, l1, other } = setup();
  const prog = Program.build(p, [
    { register: l1, op: 'add', index: { field: 'i' }, value: { field: 'v' }, output: 'new', returns: 'new' },
    { register: other, op: 'or', index: { field: 'i' }, value: { const: 0x80000001 }, output: 'old' },
  ]);
  t.same(prog.run({ i: 2, v: 0xfff0 }).outputs, { new: 0xfff0, old: 0 });
  t.same(prog.run({ i: 2, v: 0x20 }).outputs, { new: 0x10, old: 0x80000001 }, '16-bit cell wraps like hardware');
  const r = prog.run({ i: 99, v: 1 });
  t.equal(r.outOfRange, 2);
  t.equal(r.executed, 0);
  t.same(r.outputs, { new: 0, old: 0 });
  t.equal(l1.read(2), 0x10);
  const w = Program.build(p, [{ register: l1, op: 'write', index: { const: 7 }, value: { field: 'v' } }]);
  w.run({ v: 0x12345 });
  t.equal(l1.read(7), 0x2345, 'a data-plane write keeps the low 16 bits');
});

t.test('property: build accepts exactly the programs that obey the rules, and they run without trapping', async (t) => {
  const p = new Pipeline();
  const regs = [
    p.allocate({ name: 'r0', width: 8, size: 4, stage: 0 }),
    p.allocate({ name: 'r1', width: 16, size: 4, stage: 0 }),
    p.allocate({ name: 'r2', width: 32, size: 4, stage: 2 }),
    p.allocate({ name: 'r3', width: 64, size: 4, stage: 5 }),
  ];
  const actionArb = fc.record({
    reg: fc.integer({ min: 0, max: 3 }),
    op: fc.constantFrom('read', 'write', 'add', 'or', 'and'),
    index: fc.oneof(fc.nat({ max: 6 }).map((c): Operand => ({ const: c })), fc.constant<Operand>({ field: 'f' }),
      fc.integer({ min: 0, max: 5 }).map((k): Operand => ({ result: `o${k}` }))),
    output: fc.option(fc.integer({ min: 0, max: 5 }).map((k) => `o${k}`), { nil: undefined }),
  });
  let built = 0;
  fc.assert(fc.property(fc.array(actionArb, { maxLength: 5 }), fc.nat({ max: 10 }), (spec, f) => {
    const actions: RegisterAction[] = spec.map((a) => ({
      register: regs[a.reg]!, op: a.op, index: a.index, value: { field: 'f' }, ...(a.output !== undefined ? { output: a.output } : {}),
    }));
    // The rules, restated independently of Program.build.
    let valid = true;
    const produced = new Map<string, number>();
    spec.forEach((a, i) => {
      const stage = regs[a.reg]!.stage;
      if (spec.slice(0, i).some((b) => b.reg === a.reg)) valid = false;
      if (i > 0 && regs[spec[i - 1]!.reg]!.stage > stage) valid = false;
      if ('result' in a.index) {
        const at = produced.get(a.index.result);
        if (at === undefined || at >= stage) valid = false;
      }
      if (a.output !== undefined) {
        if (produced.has(a.output)) valid = false;
        produced.set(a.output, stage);
      }
    });
    let prog: Program | undefined;
    try {
      prog = Program.build(p, actions);
    } catch (e) {
      if (!(e instanceof ProgramError)) throw e;
    }
    if (prog) {
      built++;
      const r = prog.run({ f });
      if (r.executed + r.outOfRange > actions.length) return false;
    }
    return (prog !== undefined) === valid;
  }), { numRuns: 2000 });
  t.ok(built > 0, `${built} valid programs built and run`);
});
