// The core's memory image, described for a native twin (bench/native/): the addresses and settings a
// kernel reads besides the batch, so C code working on the same linear memory reads the same tables.
// Set-up only, never per packet. The word order is IMAGE_WORDS in bindings/datapath.ts.
import { mtu, seed, vniFilter, vxlanPort } from "./config";
import { peerBase, peerCount } from "./peers";
import { ipId } from "./vxlan";
import { tableKind, tableMask, tableN, tablePeers } from "./tables";
import { flatBase, flatN, flatPeers } from "./flat";
import { pbmBase, pbmGroups, pbmN, pbmPeers, pbmShiftBase, pbmWords, prefBuckets, prefShiftBase, prefTagBase } from "./pbm";
import { hiBlocks, hiE, hiL1, hiL2, hiN, hiPeers, hiShift } from "./hi";
import { redirectBase, redirectN, redirectPeers, redirectS } from "./redirect";

/** Number of u32 words coreImage writes. */
export const CORE_IMAGE_WORDS: u32 = 34;

/** Write the image's CORE_IMAGE_WORDS u32 words at `out` (plain stores: the stub runtime must not allocate). */
export function coreImage(out: usize): void {
  store<u32>(out, <u32>peerBase, 0);
  store<u32>(out, peerCount, 4);
  store<u32>(out, seed, 8);
  store<u32>(out, mtu, 12);
  store<u32>(out, vxlanPort, 16);
  store<u32>(out, vniFilter, 20);
  store<u32>(out, ipId, 24);
  store<u32>(out, tableKind, 28);
  store<u32>(out, tablePeers, 32);
  store<u32>(out, tableN, 36);
  store<u32>(out, tableMask, 40);
  store<u32>(out, <u32>flatBase, 44);
  store<u32>(out, flatN, 48);
  store<u32>(out, flatPeers, 52);
  store<u32>(out, <u32>pbmBase, 56);
  store<u32>(out, <u32>pbmShiftBase, 60);
  store<u32>(out, <u32>prefTagBase, 64);
  store<u32>(out, <u32>prefShiftBase, 68);
  store<u32>(out, pbmWords, 72);
  store<u32>(out, pbmPeers, 76);
  store<u32>(out, pbmN, 80);
  store<u32>(out, pbmGroups, 84);
  store<u32>(out, prefBuckets, 88);
  store<u32>(out, <u32>hiL1, 92);
  store<u32>(out, <u32>hiL2, 96);
  store<u32>(out, hiPeers, 100);
  store<u32>(out, hiBlocks, 104);
  store<u32>(out, hiN, 108);
  store<u32>(out, hiE, 112);
  store<u32>(out, hiShift, 116);
  store<u32>(out, <u32>redirectBase, 120);
  store<u32>(out, redirectN, 124);
  store<u32>(out, redirectS, 128);
  store<u32>(out, redirectPeers, 132);
}
