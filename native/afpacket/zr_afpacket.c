/*
 * zr_afpacket: batched packet I/O for zooroute over Linux AF_PACKET (docs/io.md), a Node-API addon
 * in plain C (node_api.h, no C++ wrapper).
 *
 * Receive: a TPACKET_V3 ring read block by block. One receive() call copies every frame of the
 * blocks the kernel has handed over (up to the caller's capacity) into an arena of equal slots, at
 * the slot's headroom, and writes one 48-byte descriptor per frame in the layout of the Wasm core
 * (docs/memory-layout.md): no JS object and no JS call per frame. A block is given back to the
 * kernel as soon as its last frame is copied; a block left half read is resumed by the next call.
 *
 * Transmit: one sendmmsg(2) per batch straight from the same memory (the frames a kernel wrote into
 * the slots), optionally with PACKET_QDISC_BYPASS.
 *
 * Every frame that does not make it is counted by reason: the kernel's ring drops (tp_drops, read
 * with PACKET_STATISTICS), frames too large for a slot or cut by the snap length, sends refused
 * because the device queue is full, sends over the link MTU, and other send errors.
 *
 * Misuse never crashes the process: a bad handle, a closed socket, an offset or count that does not
 * fit the buffer, or an argument of the wrong type returns a negative errno (-EINVAL, -ERANGE,
 * -EBADF) instead of touching memory. Only open() throws (a user-facing failure: no permission, no
 * such interface).
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef TP_STATUS_VLAN_TPID_VALID
#define TP_STATUS_VLAN_TPID_VALID (1 << 6)
#endif

typedef uint8_t u8; typedef uint16_t u16; typedef uint32_t u32; typedef uint64_t u64;

/* The descriptor layout of bindings/layout.ts (48 bytes, little-endian). */
#define DESC_SIZE 48u
#define D_DATA_OFF 0
#define D_DATA_LEN 4
#define D_OUT_OFF 8
#define D_OUT_LEN 12

/* Per-frame send statuses written into the caller's statuses array. */
enum { TX_SENT = 0, TX_RING_FULL = 1, TX_OVERSIZE = 2, TX_BAD_DESC = 3, TX_ERROR = 4 };

/* Most messages in one sendmmsg call (the kernel's UIO_MAXIOV). */
#define MAX_MMSG 1024u

typedef struct {
  int fd;
  int ifindex;
  u32 mtu;
  u32 snap;
  int qdisc_bypass;
  u8 *ring;
  size_t ring_len;
  u32 block_size, block_nr, frame_size;
  u32 cur_block;      /* the block being read, or the next one the kernel hands over */
  u32 in_block;       /* 1 while cur_block is held and partly read */
  u32 pkts_left;      /* frames left in cur_block */
  u8 *next_pkt;
  /* counters (u64; reported as doubles, exact up to 2^53) */
  u64 rx_frames, rx_bytes, rx_blocks, ring_drops, ring_frames, freezes, rx_oversize;
  u64 tx_frames, tx_bytes, tx_calls, tx_full, tx_oversize, tx_bad, tx_error;
  int last_tx_errno;
  struct mmsghdr msgs[MAX_MMSG];
  struct iovec iov[MAX_MMSG];
  /* readiness */
  uv_poll_t *poll;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
} sock_t;


/* ---- argument helpers: never throw, report a bad argument as false ---------------------------- */

static int arg_u32(napi_env env, napi_value v, u32 *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= 0 && d <= 4294967295.0) || d != (double)(u32)d) return 0;
  *out = (u32)d;
  return 1;
}

static sock_t *arg_sock(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return (sock_t *)p;
}

static int arg_arraybuffer(napi_env env, napi_value v, u8 **data, size_t *len) {
  bool is = false;
  if (napi_is_arraybuffer(env, v, &is) != napi_ok || !is) return 0;
  void *d = NULL;
  if (napi_get_arraybuffer_info(env, v, &d, len) != napi_ok) return 0;
  *data = (u8 *)d;
  return 1;
}

/* A typed array of the given element type, or undefined/null (optional: *data = NULL). */
static int arg_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len, int optional) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (optional && (t == napi_undefined || t == napi_null)) { *data = NULL; *len = 0; return 1; }
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type; size_t length; void *d; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &type, &length, &d, &ab, &off) != napi_ok || type != want) return 0;
  *data = d; *len = length;
  return 1;
}

static napi_value num(napi_env env, double d) { napi_value v; napi_create_double(env, d, &v); return v; }
static napi_value int_ret(napi_env env, int r) { napi_value v; napi_create_int32(env, r, &v); return v; }

static void set_num(napi_env env, napi_value obj, const char *k, double d) { napi_set_named_property(env, obj, k, num(env, d)); }

static int get_opt_u32(napi_env env, napi_value obj, const char *k, u32 dflt, u32 *out) {
  bool has = false;
  *out = dflt;
  if (napi_has_named_property(env, obj, k, &has) != napi_ok || !has) return 1;
  napi_value v; napi_valuetype t;
  napi_get_named_property(env, obj, k, &v);
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_undefined) return 1;
  if (t == napi_boolean) { bool b; napi_get_value_bool(env, v, &b); *out = b ? 1 : 0; return 1; }
  return arg_u32(env, v, out);
}

static napi_value throw_errno(napi_env env, const char *what, int e) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_value m, err, code;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &err);
  napi_create_int32(env, e, &code);
  napi_set_named_property(env, err, "errno", code);
  napi_throw(env, err);
  return NULL;
}

/* ---- open / close ----------------------------------------------------------------------------- */

static void poll_closed(uv_handle_t *h) { free(h); }

static void sock_release(sock_t *s) {
  if (s->poll) { uv_poll_stop(s->poll); uv_close((uv_handle_t *)s->poll, poll_closed); s->poll = NULL; }
  if (s->cb) { napi_delete_reference(s->env, s->cb); s->cb = NULL; }
  if (s->actx) { napi_async_destroy(s->env, s->actx); s->actx = NULL; }
  if (s->ring) { munmap(s->ring, s->ring_len); s->ring = NULL; }
  if (s->fd >= 0) { close(s->fd); s->fd = -1; }
}

static void sock_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  sock_t *s = (sock_t *)data;
  sock_release(s);
  free(s);
}

static u32 pow2_at_least(u32 x) { u32 p = 4096; while (p < x && p < (1u << 30)) p <<= 1; return p; }

/*
 * A classic BPF program: accept `snap` bytes of IPv4 UDP (not a fragment) to udp_dst, and to ip_dst
 * when non-zero (host order); or, with udp_dst 0, every frame cut to `snap` bytes.
 */
static int build_filter(struct sock_filter *f, u32 ip_dst, u32 udp_dst, u32 snap) {
  int n = 0;
  if (udp_dst == 0) { f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, snap); return n; }
  /* jf/jt to the final "ret 0" are patched below (marked 0xff). */
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12);
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 0xff);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23);
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 0xff);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20);
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 0xff, 0);
  if (ip_dst != 0) {
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ip_dst, 0, 0xff);
  }
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_IND, 14 + 2);
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, udp_dst, 0, 0xff);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, snap);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
  int drop = n - 1;
  for (int i = 0; i < n; i++) {
    if (f[i].jt == 0xff) f[i].jt = (u8)(drop - i - 1);
    if (f[i].jf == 0xff) f[i].jf = (u8)(drop - i - 1);
  }
  return n;
}

/* open(ifname, options) -> handle. Options (all optional, numbers): see src/io/afpacket.ts. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ifname[IFNAMSIZ + 1] = {0};
  size_t n = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &n) != napi_ok || n == 0 || n >= IFNAMSIZ) {
    napi_throw_type_error(env, NULL, "open: interface name must be a string of 1..15 bytes");
    return NULL;
  }
  napi_value opts = NULL; napi_valuetype ot = napi_undefined;
  if (argc >= 2) { opts = argv[1]; napi_typeof(env, opts, &ot); }
  u32 ring_bytes = 16u << 20, block_bytes = 0, snap = 0, retire_ms = 1, bypass = 0, ip_dst = 0, udp_dst = 0, fanout = 0, fanout_mode = 0, ignore_out = 1;
  char netns[256] = {0};
  if (ot == napi_object) {
    int ok = get_opt_u32(env, opts, "ringBytes", ring_bytes, &ring_bytes) && get_opt_u32(env, opts, "blockBytes", 0, &block_bytes) &&
      get_opt_u32(env, opts, "snapBytes", 0, &snap) && get_opt_u32(env, opts, "retireMs", 1, &retire_ms) &&
      get_opt_u32(env, opts, "qdiscBypass", 0, &bypass) && get_opt_u32(env, opts, "filterIpDst", 0, &ip_dst) &&
      get_opt_u32(env, opts, "filterUdpDst", 0, &udp_dst) && get_opt_u32(env, opts, "fanoutGroup", 0, &fanout) &&
      get_opt_u32(env, opts, "fanoutMode", 0, &fanout_mode) && get_opt_u32(env, opts, "ignoreOutgoing", 1, &ignore_out);
    bool has = false;
    if (ok && napi_has_named_property(env, opts, "netns", &has) == napi_ok && has) {
      napi_value v; napi_valuetype t;
      napi_get_named_property(env, opts, "netns", &v);
      napi_typeof(env, v, &t);
      if (t == napi_string) { size_t m = 0; napi_get_value_string_utf8(env, v, netns, sizeof netns, &m); if (m >= sizeof netns - 1) ok = 0; }
      else if (t != napi_undefined) ok = 0;
    }
    if (!ok || udp_dst > 0xffff || fanout > 0xffff || fanout_mode > 0xff) {
      napi_throw_type_error(env, NULL, "open: options must be non-negative integers (netns a path)");
      return NULL;
    }
  }

  /* A socket lives in the network namespace it was created in: enter `netns` for the set-up only. */
  int saved_ns = -1;
  if (netns[0] != 0) {
    int target = open(netns, O_RDONLY | O_CLOEXEC);
    if (target < 0) return throw_errno(env, "open: network namespace", errno);
    saved_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (saved_ns < 0 || setns(target, CLONE_NEWNET) != 0) {
      int e = errno; close(target); if (saved_ns >= 0) close(saved_ns);
      return throw_errno(env, "open: enter network namespace", e);
    }
    close(target);
  }

  sock_t *s = (sock_t *)calloc(1, sizeof *s);
  const char *step = "socket";
  int e = 0;
  if (!s) { e = ENOMEM; goto fail; }
  s->fd = -1;
  /* Protocol 0: nothing is queued before the ring and the filter are in place and bind() names ETH_P_ALL. */
  s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s->fd < 0) { e = errno; goto fail; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, n);
  step = "interface";
  if (ioctl(s->fd, SIOCGIFINDEX, &ifr) != 0) { e = errno; goto fail; }
  s->ifindex = ifr.ifr_ifindex;
  if (ioctl(s->fd, SIOCGIFMTU, &ifr) != 0) { e = errno; goto fail; }
  s->mtu = (u32)ifr.ifr_mtu;
  /* Snap length: the frame at the interface MTU, Ethernet header and two VLAN tags included. */
  s->snap = snap != 0 ? snap : s->mtu + 14 + 8;
  if (s->snap > 65535 + 22) s->snap = 65535 + 22;

  step = "PACKET_VERSION";
  int v = TPACKET_V3;
  if (setsockopt(s->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0) { e = errno; goto fail; }
  /* A frame's slot in a block: its header, the sockaddr_ll, the frame (aligned); a block holds at least 8 full ones. */
  u32 frame = TPACKET_ALIGN(TPACKET3_HDRLEN) + TPACKET_ALIGN(s->snap);
  s->frame_size = TPACKET_ALIGN(frame); /* V3 packs frames by their real size; this only sizes tp_frame_nr */
  s->block_size = block_bytes != 0 ? pow2_at_least(block_bytes) : pow2_at_least(frame * 8 > (64u << 10) ? frame * 8 : (64u << 10));
  if (s->block_size < frame + 64) { e = EINVAL; step = "blockBytes below one frame"; goto fail; }
  s->block_nr = ring_bytes / s->block_size;
  if (s->block_nr < 2) s->block_nr = 2;
  struct tpacket_req3 req;
  memset(&req, 0, sizeof req);
  req.tp_block_size = s->block_size;
  req.tp_block_nr = s->block_nr;
  req.tp_frame_size = s->frame_size;
  req.tp_frame_nr = (s->block_size / s->frame_size) * s->block_nr;
  req.tp_retire_blk_tov = retire_ms;
  step = "PACKET_RX_RING";
  if (setsockopt(s->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) { e = errno; goto fail; }
  s->ring_len = (size_t)s->block_size * s->block_nr;
  step = "mmap";
  void *ring = mmap(NULL, s->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s->fd, 0);
  if (ring == MAP_FAILED) { e = errno; goto fail; }
  s->ring = (u8 *)ring;

  struct sock_filter prog[16];
  struct sock_fprog fprog = { (unsigned short)build_filter(prog, ip_dst, udp_dst, s->snap), prog };
  step = "SO_ATTACH_FILTER";
  if (setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) { e = errno; goto fail; }
  if (ignore_out) {
    /* Frames this host sends on the interface are not input (older kernels lack the option: harmless). */
    int one = 1;
    (void)setsockopt(s->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  }
  if (bypass) {
    int one = 1;
    step = "PACKET_QDISC_BYPASS";
    if (setsockopt(s->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0) { e = errno; goto fail; }
    s->qdisc_bypass = 1;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = s->ifindex;
  step = "bind";
  if (bind(s->fd, (struct sockaddr *)&sll, sizeof sll) != 0) { e = errno; goto fail; }
  if (fanout != 0) {
    int arg = (int)(fanout | (fanout_mode << 16));
    step = "PACKET_FANOUT";
    if (setsockopt(s->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) { e = errno; goto fail; }
  }
  if (saved_ns >= 0) { (void)setns(saved_ns, CLONE_NEWNET); close(saved_ns); }

  s->env = env;
  napi_value h;
  if (napi_create_external(env, s, sock_finalize, NULL, &h) != napi_ok) { sock_release(s); free(s); return NULL; }
  return h;

fail:
  if (saved_ns >= 0) { (void)setns(saved_ns, CLONE_NEWNET); close(saved_ns); }
  if (s) { sock_release(s); free(s); }
  {
    char what[96];
    snprintf(what, sizeof what, "open %s: %s", ifname, step);
    return throw_errno(env, what, e);
  }
}

/* close(handle): release the socket and ring now (the handle is then closed: -EBADF). */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  sock_t *s = argc >= 1 ? arg_sock(env, argv[0]) : NULL;
  if (!s) return int_ret(env, -EINVAL);
  sock_release(s);
  return int_ret(env, 0);
}

/* ---- receive ---------------------------------------------------------------------------------- */

static inline void st32(u8 *p, u32 v) { memcpy(p, &v, 4); }

static void release_block(sock_t *s, struct tpacket_block_desc *bd) {
  __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  s->cur_block = (s->cur_block + 1) % s->block_nr;
  s->in_block = 0;
}

/*
 * receive(handle, buffer, descBase, arenaBase, start, capacity, slotSize, headroom[, stamps])
 * -> frames written (slots start..), or a negative errno. stamps: optional Uint32Array, two words
 * (seconds, nanoseconds of the kernel's receive time) per slot.
 */
static napi_value js_receive(napi_env env, napi_callback_info info) {
  size_t argc = 9; napi_value a[9];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 8) return int_ret(env, -EINVAL);
  sock_t *s = arg_sock(env, a[0]);
  u8 *buf; size_t len; u32 desc, arena, start, cap, slot, head;
  if (!s || !arg_arraybuffer(env, a[1], &buf, &len) || !arg_u32(env, a[2], &desc) || !arg_u32(env, a[3], &arena) ||
      !arg_u32(env, a[4], &start) || !arg_u32(env, a[5], &cap) || !arg_u32(env, a[6], &slot) || !arg_u32(env, a[7], &head)) {
    return int_ret(env, -EINVAL);
  }
  u32 *stamps = NULL; size_t nst = 0;
  if (argc >= 9 && !arg_typed(env, a[8], napi_uint32_array, (void **)&stamps, &nst, 1)) return int_ret(env, -EINVAL);
  if (s->fd < 0) return int_ret(env, -EBADF);
  if (start > cap || head >= slot || slot == 0) return int_ret(env, -EINVAL);
  if ((u64)desc + (u64)cap * DESC_SIZE > len || (u64)arena + (u64)cap * slot > len) return int_ret(env, -ERANGE);
  if (stamps && nst < (size_t)cap * 2) return int_ret(env, -ERANGE);
  const u32 max_frame = slot - head;
  u32 i = start;
  while (i < cap) {
    struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(s->ring + (size_t)s->cur_block * s->block_size);
    if (!s->in_block) {
      if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) break;
      s->in_block = 1;
      s->pkts_left = bd->hdr.bh1.num_pkts;
      s->next_pkt = (u8 *)bd + bd->hdr.bh1.offset_to_first_pkt;
      s->rx_blocks++;
    }
    if (s->pkts_left == 0) { release_block(s, bd); continue; }
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)s->next_pkt;
    s->next_pkt += h->tp_next_offset;
    s->pkts_left--;
    const u8 *src = (const u8 *)h + h->tp_mac;
    u32 n = h->tp_snaplen;
    /* The kernel took the outer VLAN tag off into the header (offload): put it back where it was. */
    int vlan = (h->tp_status & TP_STATUS_VLAN_VALID) != 0 && n >= 12;
    u32 out = n + (vlan ? 4 : 0);
    if (h->tp_len > h->tp_snaplen || out > max_frame) {
      s->rx_oversize++;
    } else {
      u8 *dst = buf + arena + (size_t)i * slot + head;
      if (vlan) {
        u16 tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : ETH_P_8021Q;
        u16 tci = h->hv1.tp_vlan_tci;
        memcpy(dst, src, 12);
        dst[12] = (u8)(tpid >> 8); dst[13] = (u8)tpid; dst[14] = (u8)(tci >> 8); dst[15] = (u8)tci;
        memcpy(dst + 16, src + 12, n - 12);
      } else {
        memcpy(dst, src, n);
      }
      /* An input descriptor, as PacketBatch.commit writes it: zeroed, offset and length (the kernels write every output). */
      u8 *d = buf + desc + (size_t)i * DESC_SIZE;
      memset(d, 0, DESC_SIZE);
      st32(d + D_DATA_OFF, head);
      st32(d + D_DATA_LEN, out);
      if (stamps) { stamps[2 * i] = h->tp_sec; stamps[2 * i + 1] = h->tp_nsec; }
      s->rx_frames++;
      s->rx_bytes += out;
      i++;
    }
    if (s->pkts_left == 0) release_block(s, bd);
  }
  return int_ret(env, (int)(i - start));
}

/* ---- transmit --------------------------------------------------------------------------------- */

/* Send the `k` messages prepared in s->msgs (frame j is message j); statuses by frame index map[j]. */
static u32 send_prepared(sock_t *s, u32 k, u8 *statuses, const u32 *map) {
  u32 i = 0, sent = 0;
  while (i < k) {
    int r = sendmmsg(s->fd, s->msgs + i, k - i, MSG_DONTWAIT);
    s->tx_calls++;
    if (r > 0) {
      for (u32 j = i; j < i + (u32)r; j++) { s->tx_bytes += s->iov[j].iov_len; if (statuses) statuses[map[j]] = TX_SENT; }
      i += (u32)r; sent += (u32)r;
      continue;
    }
    int e = errno;
    if (r < 0 && e == EINTR) continue;
    s->last_tx_errno = e;
    if (r == 0 || e == EAGAIN || e == ENOBUFS || e == ENOMEM) {
      /* The device queue is full now: the rest of the batch would be refused the same way. */
      for (u32 j = i; j < k; j++) if (statuses) statuses[map[j]] = TX_RING_FULL;
      s->tx_full += k - i;
      break;
    }
    if (e == EMSGSIZE) { s->tx_oversize++; if (statuses) statuses[map[i]] = TX_OVERSIZE; }
    else { s->tx_error++; if (statuses) statuses[map[i]] = TX_ERROR; }
    i++;
  }
  s->tx_frames += sent;
  return sent;
}

static void prep(sock_t *s, u32 k, u8 *p, u32 len) {
  s->iov[k].iov_base = p;
  s->iov[k].iov_len = len;
  memset(&s->msgs[k].msg_hdr, 0, sizeof s->msgs[k].msg_hdr);
  s->msgs[k].msg_hdr.msg_iov = &s->iov[k];
  s->msgs[k].msg_hdr.msg_iovlen = 1;
}

/*
 * sendBatch(handle, buffer, descBase, arenaBase, slotSize, count, useOutput, indices, statuses)
 * -> frames sent, or a negative errno. Sends packet i's output (useOutput 1: out_off/out_len) or
 * input (data_off/data_len) for i = 0..count-1, or for i = indices[0..count-1] when indices (a
 * Uint32Array) is given. statuses (optional Uint8Array, one per listed frame) receives TX_* codes.
 */
static napi_value js_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 9; napi_value a[9];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 7) return int_ret(env, -EINVAL);
  sock_t *s = arg_sock(env, a[0]);
  u8 *buf; size_t len; u32 desc, arena, slot, count, use_out;
  if (!s || !arg_arraybuffer(env, a[1], &buf, &len) || !arg_u32(env, a[2], &desc) || !arg_u32(env, a[3], &arena) ||
      !arg_u32(env, a[4], &slot) || !arg_u32(env, a[5], &count) || !arg_u32(env, a[6], &use_out)) return int_ret(env, -EINVAL);
  u32 *idx = NULL; size_t nidx = 0; u8 *st = NULL; size_t nst = 0;
  if (argc >= 8 && !arg_typed(env, a[7], napi_uint32_array, (void **)&idx, &nidx, 1)) return int_ret(env, -EINVAL);
  if (argc >= 9 && !arg_typed(env, a[8], napi_uint8_array, (void **)&st, &nst, 1)) return int_ret(env, -EINVAL);
  if (s->fd < 0) return int_ret(env, -EBADF);
  if (slot == 0) return int_ret(env, -EINVAL);
  if ((idx && nidx < count) || (st && nst < count)) return int_ret(env, -ERANGE);
  /* Without an index list, descriptors 0..count-1 must fit; with one, each listed descriptor is checked. */
  u64 hi = count; /* descriptors 0..hi-1 are read: all must fit (64-bit: no index wraps) */
  if (idx) { hi = 0; for (u32 j = 0; j < count; j++) if ((u64)idx[j] + 1 > hi) hi = (u64)idx[j] + 1; }
  if ((u64)desc + hi * DESC_SIZE > len || (u64)arena + hi * slot > len) return int_ret(env, -ERANGE);
  u32 total = 0, map[MAX_MMSG];
  for (u32 base = 0; base < count; base += MAX_MMSG) {
    u32 end = count - base > MAX_MMSG ? base + MAX_MMSG : count, k = 0;
    for (u32 j = base; j < end; j++) {
      u32 p = idx ? idx[j] : j;
      const u8 *d = buf + desc + (size_t)p * DESC_SIZE;
      u32 off, n;
      memcpy(&off, d + (use_out ? D_OUT_OFF : D_DATA_OFF), 4);
      memcpy(&n, d + (use_out ? D_OUT_LEN : D_DATA_LEN), 4);
      if (n == 0 || off > slot || n > slot - off) { s->tx_bad++; if (st) st[j] = TX_BAD_DESC; continue; }
      map[k] = j;
      prep(s, k++, buf + arena + (size_t)p * slot + off, n);
    }
    total += send_prepared(s, k, st, map);
  }
  return int_ret(env, (int)total);
}

/*
 * sendSpans(handle, buffer, spans, count[, statuses]) -> frames sent, or a negative errno: frame j
 * is bytes [spans[2j], spans[2j] + spans[2j+1]) of buffer (views of any batch in one memory).
 */
static napi_value js_send_spans(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value a[5];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 4) return int_ret(env, -EINVAL);
  sock_t *s = arg_sock(env, a[0]);
  u8 *buf; size_t len; u32 *spans; size_t nsp; u32 count; u8 *st = NULL; size_t nst = 0;
  if (!s || !arg_arraybuffer(env, a[1], &buf, &len) || !arg_typed(env, a[2], napi_uint32_array, (void **)&spans, &nsp, 0) ||
      !arg_u32(env, a[3], &count)) return int_ret(env, -EINVAL);
  if (argc >= 5 && !arg_typed(env, a[4], napi_uint8_array, (void **)&st, &nst, 1)) return int_ret(env, -EINVAL);
  if (s->fd < 0) return int_ret(env, -EBADF);
  if (nsp < (size_t)count * 2 || (st && nst < count)) return int_ret(env, -ERANGE);
  u32 total = 0, map[MAX_MMSG];
  for (u32 base = 0; base < count; base += MAX_MMSG) {
    u32 end = count - base > MAX_MMSG ? base + MAX_MMSG : count, k = 0;
    for (u32 j = base; j < end; j++) {
      u32 off = spans[2 * j], n = spans[2 * j + 1];
      if (n == 0 || (u64)off + n > len) { s->tx_bad++; if (st) st[j] = TX_BAD_DESC; continue; }
      map[k] = j;
      prep(s, k++, buf + off, n);
    }
    total += send_prepared(s, k, st, map);
  }
  return int_ret(env, (int)total);
}

/* ---- statistics and readiness ----------------------------------------------------------------- */

/* stats(handle) -> object of counters (PACKET_STATISTICS is read, and summed: the kernel resets it on read). */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value a[1];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  sock_t *s = argc >= 1 ? arg_sock(env, a[0]) : NULL;
  if (!s) return int_ret(env, -EINVAL);
  if (s->fd >= 0) {
    struct tpacket_stats_v3 st; socklen_t sl = sizeof st;
    if (getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) {
      s->ring_frames += st.tp_packets; s->ring_drops += st.tp_drops; s->freezes += st.tp_freeze_q_cnt;
    }
  }
  napi_value o;
  napi_create_object(env, &o);
  set_num(env, o, "rxFrames", (double)s->rx_frames);
  set_num(env, o, "rxBytes", (double)s->rx_bytes);
  set_num(env, o, "rxBlocks", (double)s->rx_blocks);
  set_num(env, o, "ringFrames", (double)s->ring_frames);
  set_num(env, o, "ringDrops", (double)s->ring_drops);
  set_num(env, o, "ringFreezes", (double)s->freezes);
  set_num(env, o, "rxOversize", (double)s->rx_oversize);
  set_num(env, o, "txFrames", (double)s->tx_frames);
  set_num(env, o, "txBytes", (double)s->tx_bytes);
  set_num(env, o, "txCalls", (double)s->tx_calls);
  set_num(env, o, "txRingFull", (double)s->tx_full);
  set_num(env, o, "txOversize", (double)s->tx_oversize);
  set_num(env, o, "txBadDesc", (double)s->tx_bad);
  set_num(env, o, "txError", (double)s->tx_error);
  set_num(env, o, "lastTxErrno", (double)s->last_tx_errno);
  return o;
}

/* info(handle) -> the socket's geometry. */
static napi_value js_info(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value a[1];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  sock_t *s = argc >= 1 ? arg_sock(env, a[0]) : NULL;
  if (!s) return int_ret(env, -EINVAL);
  napi_value o;
  napi_create_object(env, &o);
  set_num(env, o, "ifindex", s->ifindex);
  set_num(env, o, "mtu", s->mtu);
  set_num(env, o, "snapBytes", s->snap);
  set_num(env, o, "blockBytes", s->block_size);
  set_num(env, o, "blocks", s->block_nr);
  set_num(env, o, "frameBytes", s->frame_size);
  set_num(env, o, "qdiscBypass", s->qdisc_bypass);
  set_num(env, o, "open", s->fd >= 0);
  return o;
}

static void on_poll(uv_poll_t *p, int status, int events) {
  (void)status; (void)events;
  sock_t *s = (sock_t *)p->data;
  if (!s || !s->cb) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, recv, res;
  napi_get_reference_value(env, s->cb, &fn);
  napi_get_global(env, &recv);
  if (fn && napi_make_callback(env, s->actx, recv, fn, 0, NULL, &res) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

/* poll(handle, fn | null) -> 0 or a negative errno: call fn whenever the ring holds a block for us; null stops. */
static napi_value js_poll(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value a[2];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 2) return int_ret(env, -EINVAL);
  sock_t *s = arg_sock(env, a[0]);
  if (!s) return int_ret(env, -EINVAL);
  napi_valuetype t;
  napi_typeof(env, a[1], &t);
  if (t != napi_function && t != napi_null && t != napi_undefined) return int_ret(env, -EINVAL);
  if (s->fd < 0) return int_ret(env, t == napi_function ? -EBADF : 0);
  if (s->cb) { napi_delete_reference(env, s->cb); s->cb = NULL; }
  if (t != napi_function) { if (s->poll) uv_poll_stop(s->poll); return int_ret(env, 0); }
  napi_create_reference(env, a[1], 1, &s->cb);
  if (!s->actx) {
    napi_value name;
    napi_create_string_utf8(env, "zr_afpacket.poll", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, NULL, name, &s->actx);
  }
  if (!s->poll) {
    uv_loop_t *loop;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) return int_ret(env, -EINVAL);
    s->poll = (uv_poll_t *)calloc(1, sizeof *s->poll);
    if (!s->poll) return int_ret(env, -ENOMEM);
    int r = uv_poll_init(loop, s->poll, s->fd);
    if (r != 0) { free(s->poll); s->poll = NULL; return int_ret(env, r); }
    s->poll->data = s;
  }
  return int_ret(env, uv_poll_start(s->poll, UV_READABLE, on_poll));
}

/* ref(handle, yes): whether a started poll keeps the event loop alive (like a timer's ref/unref). */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value a[2];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  sock_t *s = argc >= 2 ? arg_sock(env, a[0]) : NULL;
  bool yes = false;
  if (!s || napi_get_value_bool(env, a[1], &yes) != napi_ok) return int_ret(env, -EINVAL);
  if (s->poll) { if (yes) uv_ref((uv_handle_t *)s->poll); else uv_unref((uv_handle_t *)s->poll); }
  return int_ret(env, 0);
}

/* ---- files ------------------------------------------------------------------------------------ */

/* An integral double in [0, max]. */
static int arg_whole(napi_env env, napi_value v, double max, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) return 0;
  return *out >= 0 && *out <= max && *out == (double)(int64_t)*out;
}

/*
 * writeback(fd, offset, length): start writing the file's dirty pages in [offset, offset + length) to
 * the disk now (sync_file_range with SYNC_FILE_RANGE_WRITE: no wait for them, no metadata), so that the
 * fsync before an atomic rename finds little left to write. A hint: durability is still the fsync's.
 * Not AF_PACKET, but this is the project's one native addon. Returns 0 or a negative errno.
 */
static napi_value js_writeback(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  double fd, off, len;
  if (argc < 3 || !arg_whole(env, a[0], 2147483647.0, &fd) || !arg_whole(env, a[1], 9007199254740991.0, &off) ||
      !arg_whole(env, a[2], 9007199254740991.0, &len)) return int_ret(env, -EINVAL);
  if (sync_file_range((int)fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE) != 0) return int_ret(env, -errno);
  return int_ret(env, 0);
}

/* ---- module ----------------------------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
    { "receive", NULL, js_receive, NULL, NULL, NULL, napi_default, NULL },
    { "sendBatch", NULL, js_send_batch, NULL, NULL, NULL, napi_default, NULL },
    { "sendSpans", NULL, js_send_spans, NULL, NULL, NULL, napi_default, NULL },
    { "stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL },
    { "info", NULL, js_info, NULL, NULL, NULL, napi_default, NULL },
    { "poll", NULL, js_poll, NULL, NULL, NULL, napi_default, NULL },
    { "ref", NULL, js_ref, NULL, NULL, NULL, napi_default, NULL },
    { "writeback", NULL, js_writeback, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
