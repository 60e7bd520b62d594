// Datapath-wide settings, set by the bindings at set-up (control plane, never per packet).
// Plain Wasm globals: the hot loops read them without a memory load.

export let localIp: u32 = 0;       // host order
export let localMacHi: u32 = 0;    // MAC bytes 0-3
export let localMacLo: u32 = 0;    // MAC bytes 4-5 in the low 16 bits
export let ttl: u32 = 64;
export let tos: u32 = 0;           // DSCP << 2 | ECN
export let vxlanPort: u32 = 4789;
export let mtu: u32 = 0;           // underlay MTU, 0 = none
export let seed: u32 = 0;          // flow-hash seed
export let vniFilter: u32 = 0xffffffff; // decap accepts only this VNI; 0xffffffff = any

export function setLocal(ip: u32, macHi: u32, macLo: u32): void {
  localIp = ip; localMacHi = macHi; localMacLo = macLo & 0xffff;
}
export function setOuter(ttl_: u32, tos_: u32, port: u32, mtu_: u32): void {
  ttl = ttl_ & 0xff; tos = tos_ & 0xff; vxlanPort = port & 0xffff; mtu = mtu_;
}
export function setSeed(s: u32): void { seed = s; }
export function setVniFilter(v: u32): void { vniFilter = v; }
