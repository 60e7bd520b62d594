// What to say when opening a packet socket is not permitted: one wording for libpcap, AF_PACKET and capture.

/** The end of a "not permitted" message: the privilege needed and how to grant it. */
export const PERMISSION_HINT = 'needs root or CAP_NET_RAW (run as root, or: setcap cap_net_raw,cap_net_admin+eip "$(command -v node)")';
