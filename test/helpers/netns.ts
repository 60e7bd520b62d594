// Network namespaces and veth pairs for tests and benchmarks that need a real kernel datapath.
// Every name carries a unique prefix (parallel test files never collide), every namespace is
// deleted on teardown even when the test failed, and IPv6 is disabled inside so neighbour
// discovery adds no frames of its own. Needs root (see needRoot() in needs.ts).
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ExecResult { stdout: string; stderr: string }

export interface VethEnd {
  /** Namespace (full name) the end lives in. */
  ns: string;
  /** Interface name inside that namespace. */
  ifname: string;
  /** MAC address, read back after creation. */
  mac: string;
  /** IPv4 address with prefix (e.g. 10.0.0.1/24), when one was given. */
  cidr?: string;
}

export interface VethSpec {
  /** Short namespace names (as given to addNs). */
  a: string;
  b: string;
  /** Short interface names, prefixed to stay unique (keep them short: 15 bytes in all). */
  aIf: string;
  bIf: string;
  aCidr?: string;
  bCidr?: string;
}

let counter = 0;

/** Namespaces and children of labs not yet destroyed, removed synchronously if the process exits first. */
const live = new Set<string>();
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of liveChildren) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  for (const name of live) {
    try { execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' }); } catch { /* already gone */ }
  }
});

/** A unique prefix of at most 7 characters: 'z', 4 hex digits of the pid, a counter, random. */
function uniquePrefix(): string {
  const pid = (process.pid & 0xffff).toString(16).padStart(4, '0');
  const rnd = Math.floor(Math.random() * 36).toString(36);
  return `z${pid}${(counter++ % 36).toString(36)}${rnd}`;
}

export class NetnsLab {
  readonly prefix: string;
  readonly #namespaces: string[] = [];
  readonly #children = new Set<ChildProcess>();

  constructor(prefix = uniquePrefix()) {
    this.prefix = prefix;
  }

  /** The full name of a namespace given its short name. */
  ns(short: string): string {
    return `${this.prefix}-${short}`;
  }

  /** Create a namespace: loopback up, IPv6 off. Returns its full name. */
  async addNs(short: string): Promise<string> {
    const name = this.ns(short);
    await run('ip', ['netns', 'add', name]);
    this.#namespaces.push(name);
    live.add(name);
    await this.exec(short, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    await this.exec(short, 'ip', ['link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair with each end created directly inside its namespace, up, optionally addressed. */
  async veth(spec: VethSpec): Promise<[VethEnd, VethEnd]> {
    const aIf = `${this.prefix}${spec.aIf}`;
    const bIf = `${this.prefix}${spec.bIf}`;
    for (const n of [aIf, bIf]) if (n.length > 15) throw new Error(`interface name ${n} is longer than 15 bytes`);
    await run('ip', ['link', 'add', aIf, 'netns', this.ns(spec.a), 'type', 'veth', 'peer', 'name', bIf, 'netns', this.ns(spec.b)]);
    const ends: [VethEnd, VethEnd] = [
      await this.#up(spec.a, aIf, spec.aCidr),
      await this.#up(spec.b, bIf, spec.bCidr),
    ];
    return ends;
  }

  async #up(short: string, ifname: string, cidr?: string): Promise<VethEnd> {
    // The all/default switches do not reach interfaces moved in; turn IPv6 off on this one too.
    await this.exec(short, 'sysctl', ['-qw', `net.ipv6.conf.${ifname}.disable_ipv6=1`]);
    if (cidr) await this.exec(short, 'ip', ['addr', 'add', cidr, 'dev', ifname]);
    await this.exec(short, 'ip', ['link', 'set', ifname, 'up']);
    const { stdout } = await this.exec(short, 'cat', [`/sys/class/net/${ifname}/address`]);
    return { ns: this.ns(short), ifname, mac: stdout.trim(), cidr };
  }

  /** Run a command inside a namespace and wait for it; rejects on a non-zero exit. */
  async exec(short: string, cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const p = run('ip', ['netns', 'exec', this.ns(short), cmd, ...args], { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20 });
    if (opts.input !== undefined) { p.child.stdin?.end(opts.input); }
    const r = await p;
    return { stdout: r.stdout, stderr: r.stderr };
  }

  /** Start a long-running command inside a namespace; it is killed on teardown if still running. */
  spawn(short: string, cmd: string, args: string[], opts: SpawnOptions = {}): NsProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(short), cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    this.#children.add(child);
    liveChildren.add(child);
    child.once('exit', () => { this.#children.delete(child); liveChildren.delete(child); });
    return new NsProcess(child);
  }

  /** Kill leftover children and delete every namespace (which removes their veths). Never throws. */
  async destroy(): Promise<void> {
    for (const c of this.#children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await new Promise<void>((resolve) => { c.once('exit', () => resolve()); setTimeout(resolve, 2000).unref(); });
      }
    }
    this.#children.clear();
    for (const name of this.#namespaces.splice(0).reverse()) {
      await run('ip', ['netns', 'delete', name]).catch(() => undefined);
      live.delete(name);
    }
  }
}

/** Run `fn` with a fresh lab and always tear it down, whatever `fn` does. */
export async function withNetns<T>(fn: (lab: NetnsLab) => Promise<T>): Promise<T> {
  const lab = new NetnsLab();
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}

/** A child process whose output is collected from the start, so no line is ever missed. */
export class NsProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Resolves when the process has exited and its streams are closed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  readonly #waiters = new Set<() => void>();

  constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => { this.stdout += d.toString(); this.#poke(); });
    child.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString(); this.#poke(); });
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => { this.#poke(); resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }); });
    });
  }

  #poke(): void { for (const w of [...this.#waiters]) w(); }

  /** Wait until stdout or stderr holds a line matching `re`; rejects when the process ends first or on timeout. */
  waitFor(re: RegExp, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const line = (this.stderr + '\n' + this.stdout).split('\n').find((l) => re.test(l));
        if (line !== undefined) { stop(); resolve(line); return; }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          stop(); reject(new Error(`process ended before printing ${re}: ${this.stderr.trim()}`));
        }
      };
      const timer = setTimeout(() => { stop(); reject(new Error(`timed out waiting for ${re}: ${this.stderr.trim()}`)); }, timeoutMs);
      const stop = (): void => { clearTimeout(timer); this.#waiters.delete(check); };
      this.#waiters.add(check);
      check();
    });
  }

  /** Send a signal (SIGINT by default) to the process inside the namespace. */
  signal(sig: NodeJS.Signals = 'SIGINT'): void { this.child.kill(sig); }
}
