// The Datapath a capture encapsulates with, made from plain settings so that each capture thread
// (capture-workers.ts) makes an identical one of its own.
import { Datapath, DEFAULT_HEADROOM, type PortRange } from '../../bindings/index.js';
import { UsageError } from '../errors.js';

/** The settings a capture's Datapath is made from: plain data, so that a worker thread can make its own. */
export interface DatapathSettings {
  localIp: string;
  remoteIp: string;
  vni: number;
  srcMac?: string;
  dstMac?: string;
  portRange?: PortRange;
  candidates?: number;
  vxlanPort?: number;
  batchSize: number;
  slotSize: number;
  mtu: number;
}

/** The capture's Datapath, its one peer set; a bad address or MAC is a UsageError. */
export function captureDatapath(s: DatapathSettings): Datapath {
  try {
    const dp = Datapath.create({
      localIp: s.localIp,
      localMac: s.srcMac,
      portRange: s.portRange,
      candidates: s.candidates,
      vxlanPort: s.vxlanPort,
      batchSize: s.batchSize,
      slotSize: s.slotSize,
      headroom: DEFAULT_HEADROOM,
      mtu: s.mtu,
      maxPeers: 1,
    });
    dp.setPeer(0, { remoteIp: s.remoteIp, vni: s.vni, mac: s.dstMac });
    return dp;
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

