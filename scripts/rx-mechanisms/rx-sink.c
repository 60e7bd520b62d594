// A receiver for comparing Linux's two userspace receive paths on one interface (docs/io.md, "Why
// TPACKET_V3 and not AF_XDP"): it takes every frame the interface receives, copies each into a
// buffer of its own (as the agent copies a frame into the Wasm batch arena) and counts them.
//
//   rx-sink mmap <ifname> <seconds>   AF_PACKET socket with a TPACKET_V3 ring (the addon's settings:
//                                     1 MiB blocks, 2048-byte frames, 8 MiB), read block by block
//   rx-sink xdp  <ifname> <seconds>   an AF_XDP socket on queue 0 in copy mode, fed by a 5-instruction
//                                     XDP program (bpf_redirect_map into an XSKMAP) attached to the
//                                     interface with a BPF link (native mode where the driver has it),
//                                     its ring read every 1 ms while frames flow (as the TPACKET_V3
//                                     ring's block timeout batches them)
//
// Runs until SIGTERM (at most <seconds> after the first frame) and prints one JSON line: frames, bytes,
// drops the kernel reports (tp_drops; AF_XDP rx_dropped + rx_ring_full + rx_fill_ring_empty_descs),
// seconds, and this process's user and system CPU. No libbpf: the program and map are made with the
// bpf(2) system call, the socket with the uapi structs (linux/if_xdp.h).
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static unsigned char sink[2048];
static unsigned long long frames, bytes;

static inline void take(const unsigned char *p, unsigned len) {
  if (len > sizeof sink) len = sizeof sink;
  memcpy(sink, p, len); // what the agent does with a frame first: copy it into the batch arena
  frames++;
  bytes += len;
}

static void report(const char *kind, unsigned long long drops, double secs) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"io\":\"%s\",\"frames\":%llu,\"bytes\":%llu,\"drops\":%llu,\"seconds\":%.6f,\"userS\":%.6f,\"sysS\":%.6f}\n", kind, frames, bytes, drops, secs,
         ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  fflush(stdout);
}

// ---- AF_PACKET, TPACKET_V3 ---------------------------------------------------------------------

#define BLOCK_SIZE (1u << 20)
#define BLOCK_NR 8u
#define FRAME_SIZE 2048u

static int run_mmap(const char *ifname, double seconds) {
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) { perror("socket(AF_PACKET)"); return 1; }
  int v = TPACKET_V3;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) { perror("PACKET_VERSION"); return 1; }
  struct tpacket_req3 req = { .tp_block_size = BLOCK_SIZE, .tp_block_nr = BLOCK_NR, .tp_frame_size = FRAME_SIZE,
                              .tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR, .tp_retire_blk_tov = 1 };
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) { perror("PACKET_RX_RING"); return 1; }
  unsigned char *ring = mmap(NULL, (size_t)BLOCK_SIZE * BLOCK_NR, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
  if (ring == MAP_FAILED) { perror("mmap"); return 1; }
  struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)if_nametoindex(ifname) };
  if (ll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&ll, sizeof ll) < 0) { perror("bind"); return 1; }
  printf("ready\n");
  fflush(stdout);
  unsigned long long drops = 0;
  double t0 = 0, end = 0;
  unsigned b = 0;
  struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLERR };
  while (!stop) {
    struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(ring + (size_t)b * BLOCK_SIZE);
    if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) {
      if (t0 > 0 && now_s() >= end) break;
      poll(&pfd, 1, 100);
      continue;
    }
    if (t0 == 0) { t0 = now_s(); end = t0 + seconds; }
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)((unsigned char *)bd + bd->hdr.bh1.offset_to_first_pkt);
    for (unsigned i = 0; i < bd->hdr.bh1.num_pkts; i++) {
      take((unsigned char *)h + h->tp_mac, h->tp_snaplen);
      h = (struct tpacket3_hdr *)((unsigned char *)h + h->tp_next_offset);
    }
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    b = (b + 1) % BLOCK_NR;
  }
  struct tpacket_stats_v3 st;
  socklen_t sl = sizeof st;
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) drops = st.tp_drops;
  report("mmap", drops, t0 > 0 ? now_s() - t0 : 0);
  return 0;
}

// ---- AF_XDP --------------------------------------------------------------------------------------

#define NUM_FRAMES 8192u
#define XSK_FRAME 2048u
#define RING_N 4096u

static long bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof *a); }

struct ring {
  __u32 *producer, *consumer, *flags;
  void *desc;
  __u32 cached_prod, cached_cons, n;
};

static int map_ring(int fd, struct xdp_ring_offset *o, off_t pgoff, size_t desc_size, struct ring *r) {
  size_t len = o->desc + RING_N * desc_size;
  unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
  if (m == MAP_FAILED) return -1;
  r->producer = (__u32 *)(m + o->producer);
  r->consumer = (__u32 *)(m + o->consumer);
  r->flags = (__u32 *)(m + o->flags);
  r->desc = m + o->desc;
  r->n = RING_N;
  return 0;
}

static int run_xdp(const char *ifname, double seconds) {
  int ifindex = (int)if_nametoindex(ifname);
  if (ifindex == 0) { perror("if_nametoindex"); return 1; }
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_XSKMAP;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = 1;
  int map = (int)bpf(BPF_MAP_CREATE, &a);
  if (map < 0) { perror("BPF_MAP_CREATE(XSKMAP)"); return 1; }
  // r2 = ctx->rx_queue_index; r1 = &map; r3 = XDP_PASS (what to do when the slot is empty); call redirect_map; exit
  struct bpf_insn prog[] = {
    { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1, .off = 16 },
    { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map },
    { 0 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS },
    { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
    { .code = BPF_JMP | BPF_EXIT },
  };
  static char log[4096];
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_XDP;
  a.insns = (__u64)(unsigned long)prog;
  a.insn_cnt = sizeof prog / sizeof prog[0];
  a.license = (__u64)(unsigned long)"GPL";
  a.log_buf = (__u64)(unsigned long)log;
  a.log_size = sizeof log;
  a.log_level = 1;
  int pfd = (int)bpf(BPF_PROG_LOAD, &a);
  if (pfd < 0) { perror("BPF_PROG_LOAD"); fprintf(stderr, "%s\n", log); return 1; }

  int fd = socket(AF_XDP, SOCK_RAW, 0);
  if (fd < 0) { perror("socket(AF_XDP)"); return 1; }
  size_t umem_len = (size_t)NUM_FRAMES * XSK_FRAME;
  unsigned char *umem = mmap(NULL, umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (umem == MAP_FAILED) { perror("mmap(umem)"); return 1; }
  struct xdp_umem_reg ur = { .addr = (__u64)(unsigned long)umem, .len = umem_len, .chunk_size = XSK_FRAME, .headroom = 0 };
  if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &ur, sizeof ur) < 0) { perror("XDP_UMEM_REG"); return 1; }
  unsigned n = RING_N;
  if (setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof n) < 0 || setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof n) < 0 ||
      setsockopt(fd, SOL_XDP, XDP_RX_RING, &n, sizeof n) < 0) { perror("XDP rings"); return 1; }
  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) { perror("XDP_MMAP_OFFSETS"); return 1; }
  struct ring rx, fill;
  if (map_ring(fd, &off.rx, XDP_PGOFF_RX_RING, sizeof(struct xdp_desc), &rx) < 0 ||
      map_ring(fd, &off.fr, XDP_UMEM_PGOFF_FILL_RING, sizeof(__u64), &fill) < 0) { perror("mmap(rings)"); return 1; }
  // RING_N frames wait in the fill ring for the kernel; each frame taken goes straight back.
  __u64 *fd_desc = fill.desc;
  for (unsigned i = 0; i < RING_N; i++) fd_desc[i] = (__u64)i * XSK_FRAME;
  __atomic_store_n(fill.producer, RING_N, __ATOMIC_RELEASE);
  struct sockaddr_xdp sx = { .sxdp_family = AF_XDP, .sxdp_ifindex = (__u32)ifindex, .sxdp_queue_id = 0, .sxdp_flags = XDP_COPY | XDP_USE_NEED_WAKEUP };
  if (bind(fd, (struct sockaddr *)&sx, sizeof sx) < 0) { perror("bind(AF_XDP)"); return 1; }
  __u32 key = 0, val = (__u32)fd;
  memset(&a, 0, sizeof a);
  a.map_fd = (__u32)map;
  a.key = (__u64)(unsigned long)&key;
  a.value = (__u64)(unsigned long)&val;
  if (bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) { perror("BPF_MAP_UPDATE_ELEM"); return 1; }
  // Attach last: every frame from here on is redirected to the socket (the link goes with the process).
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (__u32)pfd;
  a.link_create.target_ifindex = (__u32)ifindex;
  a.link_create.attach_type = BPF_XDP;
  a.link_create.flags = XDP_FLAGS_DRV_MODE;
  const char *mode = "native";
  int link = (int)bpf(BPF_LINK_CREATE, &a);
  if (link < 0) {
    a.link_create.flags = XDP_FLAGS_SKB_MODE;
    mode = "generic";
    link = (int)bpf(BPF_LINK_CREATE, &a);
  }
  if (link < 0) { perror("BPF_LINK_CREATE(XDP)"); return 1; }
  printf("ready %s\n", mode);
  fflush(stdout);

  struct xdp_desc *rd = rx.desc;
  double t0 = 0, end = 0;
  struct pollfd p = { .fd = fd, .events = POLLIN };
  while (!stop) {
    __u32 prod = __atomic_load_n(rx.producer, __ATOMIC_ACQUIRE), cons = *rx.consumer;
    if (prod == cons) {
      if (t0 > 0 && now_s() >= end) break;
      // As the TPACKET_V3 ring's 1 ms block timeout does: once frames flow, wake at most every 1 ms
      // and take what came meanwhile, not one wakeup per frame.
      if (t0 > 0) { struct timespec ms = { 0, 1000000 }; nanosleep(&ms, NULL); } else poll(&p, 1, 100);
      continue;
    }
    if (t0 == 0) { t0 = now_s(); end = t0 + seconds; }
    __u32 fprod = *fill.producer;
    for (__u32 i = cons; i != prod; i++) {
      struct xdp_desc *d = &rd[i & (RING_N - 1)];
      take(umem + d->addr, d->len);
      fd_desc[fprod++ & (RING_N - 1)] = d->addr & ~(__u64)(XSK_FRAME - 1); // straight back to the kernel
    }
    __atomic_store_n(rx.consumer, prod, __ATOMIC_RELEASE);
    __atomic_store_n(fill.producer, fprod, __ATOMIC_RELEASE);
    if (__atomic_load_n(fill.flags, __ATOMIC_ACQUIRE) & XDP_RING_NEED_WAKEUP) recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
  }
  struct xdp_statistics st;
  socklen_t sl = sizeof st;
  unsigned long long drops = 0;
  if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &sl) == 0) drops = st.rx_dropped + st.rx_ring_full + st.rx_fill_ring_empty_descs;
  report(strcmp(mode, "native") == 0 ? "xdp" : "xdp-generic", drops, t0 > 0 ? now_s() - t0 : 0);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  if (argc == 4 && strcmp(argv[1], "mmap") == 0) return run_mmap(argv[2], atof(argv[3]));
  if (argc == 4 && strcmp(argv[1], "xdp") == 0) return run_xdp(argv[2], atof(argv[3]));
  fprintf(stderr, "usage: rx-sink mmap|xdp <ifname> <seconds>\n");
  return 2;
}
