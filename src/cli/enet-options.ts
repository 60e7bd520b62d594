// --dlt enet and its MACs, tcprewrite's names: the options of every command that reads a capture into
// the datapath (encap, decap, replay). Captures of other link types (Linux cooked, raw IP, loopback)
// then get an Ethernet header before the datapath sees them (src/pcap/to-ethernet.ts).
import { Option } from 'commander';
import { parseMac } from '../../bindings/index.js';
import { DEFAULT_ENET_DMAC, DEFAULT_ENET_SMAC, ENET_LINK_TYPES, EthernetFramer, type EnetMacs } from '../pcap/to-ethernet.js';
import { usage } from './options.js';
import { InputError, UsageError } from './errors.js';
import { LinkTypeError } from '../pcap/linktype.js';

export interface EnetCliOptions {
  dlt?: 'enet';
  enetDmac?: string;
  enetSmac?: string;
}

export const dltOption = (): Option =>
  new Option('--dlt <DLT>', 'give frames of other link types (Linux cooked SLL/SLL2, RAW, IPV4, IPV6, NULL, LOOP) an Ethernet header first')
    .choices(['enet']).default(undefined, 'Ethernet input only');
export const enetDmacOption = (): Option =>
  new Option('--enet-dmac <MAC>', 'with --dlt enet: destination MAC of the added Ethernet header').default(undefined, DEFAULT_ENET_DMAC);
export const enetSmacOption = (): Option =>
  new Option('--enet-smac <MAC>', 'with --dlt enet: source MAC of the added Ethernet header')
    .default(undefined, `a cooked header's Ethernet source address, else ${DEFAULT_ENET_SMAC}`);

/** The framer --dlt enet asks for (undefined without it); bad MACs are usage errors naming the flag. */
export function enetFramerOf(o: EnetCliOptions): EthernetFramer | undefined {
  const macs = enetMacsOf(o);
  return macs && new EthernetFramer(macs);
}

/** The MACs --dlt enet writes (undefined without it); bad MACs are usage errors naming the flag. */
export function enetMacsOf(o: EnetCliOptions): EnetMacs | undefined {
  const dst = usage('--enet-dmac', () => parseMac(o.enetDmac ?? DEFAULT_ENET_DMAC));
  const src = usage('--enet-smac', () => parseMac(o.enetSmac ?? DEFAULT_ENET_SMAC));
  if (o.dlt === undefined) {
    const stray = o.enetDmac !== undefined ? '--enet-dmac' : o.enetSmac !== undefined ? '--enet-smac' : undefined;
    if (stray) throw new UsageError(`${stray}: only with --dlt enet (the input is taken as Ethernet without it)`);
    return undefined;
  }
  // A source MAC given on the command line overrides the one a cooked header carries.
  return { dst, src, cookedSource: o.enetSmac === undefined };
}

/**
 * For `.catch()` on a transform: a capture refused for a link type --dlt enet converts gets an error
 * that says so; any other error passes unchanged.
 */
export function withDltHint(e: unknown): never {
  if (e instanceof LinkTypeError && ENET_LINK_TYPES.includes(e.found)) {
    throw new InputError(e.file, e.offset, `${e.reason} (--dlt enet gives its frames an Ethernet header)`);
  }
  throw e;
}
