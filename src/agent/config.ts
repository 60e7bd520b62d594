// The agent's configuration file (docs/lab.md): parsed and checked field by field, every problem
// reported as one line naming the field, so `zooroute agent` can exit 2 with a clear message.
import { readInputText } from '../read-input.js';
import { parseIPv4, parseMac, parsePortRange, DEFAULT_PORT_RANGE, type PortRange } from '../../bindings/index.js';
import { DEFAULT_CONTROL_CONFIG, macKey, resolveControlConfig, type ControlConfig, type ProbeMode } from '../control/index.js';
import { UsageError } from '../capture/index.js';

export interface AgentPeerConfig {
  /** Underlay IPv4 of the peer VTEP. */
  ip: number;
  /** Inner (tenant) MACs behind this peer, as 48-bit numbers; more are learned from decapsulated frames. */
  macs: number[];
  /** false for a peer known not to answer probes; by default it is probed (and left at the default choice if it never answers). */
  probes: boolean;
  /** Probe mode for this peer; default the control config's. */
  mode: ProbeMode | undefined;
}

export interface AgentConfig {
  /** Interface facing the tenant VMs: frames captured here are encapsulated; decapsulated frames go out here. */
  vmIface: string;
  /** Underlay interface: VXLAN out and in. */
  underlayIface: string;
  localIp: number;
  /** Outer source MAC; by default the underlay interface's own. */
  localMac: Uint8Array | undefined;
  /** Outer destination MAC: the underlay next hop (the router). */
  gatewayMac: Uint8Array;
  vni: number;
  /** 16-byte probe secret shared by every VTEP. */
  secret: Uint8Array;
  peers: AgentPeerConfig[];
  portRange: PortRange;
  /** Flow-hash and candidate-placement seed. */
  hashSeed: number;
  /** Loopback HTTP port for /metrics (0 = any free port, reported in the ready event). */
  metricsPort: number;
  metricsHost: string;
  /** Where the JSON-lines event log goes: '-' = stdout, else a file appended to. */
  log: string;
  /** Packets per Wasm batch. */
  batchSize: number;
  /** Kernel capture ring per interface, bytes. */
  ringBytes: number;
  /**
   * Receive interrupt moderation, microseconds (0 = off): when wakeups come faster than this, the
   * agent sleeps to the next multiple of it after a burst, so frames arriving meanwhile are read in
   * one wakeup (src/agent/wake-coalescer.ts). Adds at most this much latency to such frames.
   */
  rxCoalesceUs: number;
  control: ControlConfig;
  /**
   * Graceful restart: on stop the agent writes every peer's port health here (atomically, mode 0600)
   * and on start restores it when at most stateMaxAgeMs old. undefined = no state file.
   */
  stateFile: string | undefined;
  /** Oldest saved state the agent restores, milliseconds. */
  stateMaxAgeMs: number;
  /** Peers the agent has room for: a SIGHUP reload may add peers up to this many. */
  maxPeers: number;
}

/** Default oldest saved port health restored: a restart, not a cold boot after an outage. */
export const DEFAULT_STATE_MAX_AGE_MS = 60_000;
/** Default room for peers beyond the configured ones (SIGHUP reloads may add some). */
export const DEFAULT_MAX_PEERS = 64;

/** Default receive moderation window: divides the control plane's 5 ms tick. */
export const DEFAULT_RX_COALESCE_US = 2500;

/** The key of a MAC in peers[].macs (re-exported: it is the Vtep's). */
export { macKey };

type Json = Record<string, unknown>;

function fail(file: string, msg: string): never {
  throw new UsageError(`${file}: ${msg}`);
}

function isObj(v: unknown): v is Json { return typeof v === 'object' && v !== null && !Array.isArray(v); }

const KNOWN = new Set(['vmIface', 'underlay', 'vni', 'secret', 'peers', 'portRange', 'hashSeed', 'metrics', 'log', 'batchSize', 'ringMb', 'rxCoalesceUs', 'control', 'stateFile', 'stateMaxAgeMs', 'maxPeers']);

/** Parse the agent's config text; throws a one-line UsageError naming the file and the field. */
export function parseAgentConfig(text: string, file = 'config'): AgentConfig {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { fail(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`); }
  if (!isObj(raw)) fail(file, 'must hold a JSON object');
  if ('topology' in raw && !('vmIface' in raw)) fail(file, 'a scenario, not an agent configuration: run it with zooroute simulate or zooroute replay --scenario');
  for (const k of Object.keys(raw)) if (!KNOWN.has(k)) fail(file, `unknown field "${k}"`);

  const str = (o: Json, k: string, where: string, def?: string): string => {
    const v = o[k] ?? def;
    if (typeof v !== 'string' || v.length === 0) fail(file, `${where}${k} must be a non-empty string`);
    return v;
  };
  const int = (o: Json, k: string, where: string, lo: number, hi: number, def?: number): number => {
    const v = o[k] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(file, `${where}${k} must be an integer in ${lo}..${hi}, got ${JSON.stringify(v)}`);
    return v;
  };
  const ip = (s: string, where: string): number => { try { return parseIPv4(s); } catch { return fail(file, `${where} is not an IPv4 address: ${JSON.stringify(s)}`); } };
  const mac = (s: string, where: string): Uint8Array => { try { return parseMac(s); } catch { return fail(file, `${where} is not a MAC address: ${JSON.stringify(s)}`); } };
  const ifname = (s: string, where: string): string => {
    if (!/^[\w.:@-]{1,15}$/.test(s)) fail(file, `${where} is not an interface name: ${JSON.stringify(s)}`);
    return s;
  };

  const vmIface = ifname(str(raw, 'vmIface', ''), 'vmIface');
  if (!isObj(raw.underlay)) fail(file, 'underlay must be an object {iface, localIp, gatewayMac[, localMac]}');
  const u = raw.underlay;
  for (const k of Object.keys(u)) if (!['iface', 'localIp', 'localMac', 'gatewayMac'].includes(k)) fail(file, `unknown field "underlay.${k}"`);
  const underlayIface = ifname(str(u, 'iface', 'underlay.'), 'underlay.iface');
  if (underlayIface === vmIface) fail(file, 'underlay.iface must differ from vmIface');
  const localIp = ip(str(u, 'localIp', 'underlay.'), 'underlay.localIp');
  const localMac = u.localMac === undefined ? undefined : mac(str(u, 'localMac', 'underlay.'), 'underlay.localMac');
  const gatewayMac = mac(str(u, 'gatewayMac', 'underlay.'), 'underlay.gatewayMac');
  const vni = int(raw, 'vni', '', 0, 0xffffff);

  const secretHex = str(raw, 'secret', '');
  if (!/^[0-9a-fA-F]{32}$/.test(secretHex)) fail(file, 'secret must be 32 hex digits (the 16-byte probe key shared by every VTEP)');
  const secret = Uint8Array.from(Buffer.from(secretHex, 'hex'));

  let control: ControlConfig;
  if (raw.control !== undefined && !isObj(raw.control)) fail(file, 'control must be an object of control-plane settings');
  for (const k of Object.keys(raw.control ?? {})) if (!(k in DEFAULT_CONTROL_CONFIG)) fail(file, `unknown field "control.${k}"`);
  try { control = resolveControlConfig((raw.control ?? {}) as Partial<ControlConfig>); } catch (e) { fail(file, e instanceof Error ? e.message : String(e)); }
  if (vni === control.probeVni) fail(file, `vni ${vni} is the probe VNI (control.probeVni)`);

  let portRange = DEFAULT_PORT_RANGE;
  if (raw.portRange !== undefined) {
    try { portRange = parsePortRange(str(raw, 'portRange', '')); } catch (e) { fail(file, `portRange: ${e instanceof Error ? e.message : String(e)}`); }
  }
  if (portRange.hi - portRange.lo + 1 < control.candidates) fail(file, `portRange holds fewer than control.candidates = ${control.candidates} ports`);

  if (!Array.isArray(raw.peers) || raw.peers.length === 0) fail(file, 'peers must be a non-empty array of {ip[, macs, probes, mode]}');
  if (raw.peers.length > Math.min(control.maxPeers, 32767)) fail(file, `at most ${Math.min(control.maxPeers, 32767)} peers`);
  const seen = new Set<number>();
  const peers = raw.peers.map((p: unknown, i: number): AgentPeerConfig => {
    const w = `peers[${i}].`;
    if (!isObj(p)) fail(file, `peers[${i}] must be an object`);
    for (const k of Object.keys(p)) if (!['ip', 'macs', 'probes', 'mode'].includes(k)) fail(file, `unknown field "${w}${k}"`);
    const pip = ip(str(p, 'ip', w), `${w}ip`);
    if (pip === localIp) fail(file, `${w}ip is the local underlay address`);
    if (seen.has(pip)) fail(file, `${w}ip repeats an earlier peer`);
    seen.add(pip);
    if (p.macs !== undefined && !Array.isArray(p.macs)) fail(file, `${w}macs must be an array of MAC strings`);
    const macs = ((p.macs ?? []) as unknown[]).map((m, j) => {
      if (typeof m !== 'string') fail(file, `${w}macs[${j}] must be a MAC string`);
      return macKey(mac(m, `${w}macs[${j}]`));
    });
    if (p.probes !== undefined && typeof p.probes !== 'boolean') fail(file, `${w}probes must be true or false`);
    if (p.mode !== undefined && p.mode !== 'full' && p.mode !== 'partial') fail(file, `${w}mode must be "full" or "partial"`);
    return { ip: pip, macs, probes: p.probes !== false, mode: p.mode as ProbeMode | undefined };
  });

  let metricsPort = 9464, metricsHost = '127.0.0.1';
  if (raw.metrics !== undefined) {
    if (!isObj(raw.metrics)) fail(file, 'metrics must be an object {port[, host]}');
    for (const k of Object.keys(raw.metrics)) if (k !== 'port' && k !== 'host') fail(file, `unknown field "metrics.${k}"`);
    metricsPort = int(raw.metrics, 'port', 'metrics.', 0, 65535, 9464);
    metricsHost = str(raw.metrics, 'host', 'metrics.', '127.0.0.1');
    // The exposition has no authentication: it stays on loopback.
    if (!/^127\.\d+\.\d+\.\d+$|^::1$|^localhost$/.test(metricsHost)) fail(file, 'metrics.host must be a loopback address');
  }

  const maxPeers = int(raw, 'maxPeers', '', 1, 32767, Math.min(32767, Math.max(DEFAULT_MAX_PEERS, peers.length)));
  if (maxPeers < peers.length) fail(file, `maxPeers ${maxPeers} is below the ${peers.length} peers configured`);
  const stateFile = raw.stateFile === undefined ? undefined : str(raw, 'stateFile', '');

  return {
    vmIface, underlayIface, localIp, localMac, gatewayMac, vni, secret, peers, portRange,
    hashSeed: int(raw, 'hashSeed', '', 0, 0xffffffff, 0),
    metricsPort, metricsHost,
    log: str(raw, 'log', '', '-'),
    batchSize: int(raw, 'batchSize', '', 1, 4096, 64),
    ringBytes: int(raw, 'ringMb', '', 1, 1024, 16) << 20,
    rxCoalesceUs: int(raw, 'rxCoalesceUs', '', 0, 100_000, DEFAULT_RX_COALESCE_US),
    control,
    stateFile,
    stateMaxAgeMs: int(raw, 'stateMaxAgeMs', '', 0, 86_400_000, DEFAULT_STATE_MAX_AGE_MS),
    maxPeers,
  };
}

/** Read and parse a config file; a missing, unreadable or empty file is a one-line FileError naming it. */
export function loadAgentConfig(path: string): AgentConfig {
  return parseAgentConfig(readInputText(path), path);
}
