// A UDP packet generator and counting sink for the forwarding-rate test (test/e2e/forwarding.test.ts),
// compiled with gcc at test time when gcc exists (test/e2e/blast.ts falls back to Node otherwise).
//
//   udp-blast send <dst-ip> <port> <flows> <payload-bytes> <seconds>
//     `flows` sockets (one source port, so one 5-tuple, each) send round-robin, 32 datagrams per
//     sendmmsg, as fast as the kernel takes them, for `seconds`. Prints one JSON line at the end.
//   udp-blast recv <bind-ip> <port>
//     Counts datagrams with recvmmsg and checks each one; prints one JSON line on SIGTERM.
//
// Payload (big-endian): magic "ZRFW", flow u16, seq u32 (per flow), filler bytes derived from seq,
// and last the FNV-1a hash of everything before it, so that the sink can tell an intact datagram.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BURST 32
#define MAX_FLOWS 64
#define MAX_PAYLOAD 1400
#define MIN_PAYLOAD 14

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t fnv1a(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; }
  return h;
}

static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t get32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }

static void fill(uint8_t *p, size_t len, uint16_t flow, uint32_t seq) {
  memcpy(p, "ZRFW", 4);
  p[4] = flow >> 8; p[5] = flow;
  put32(p + 6, seq);
  for (size_t i = 10; i < len - 4; i++) p[i] = (uint8_t)(seq * 31u + i);
  put32(p + len - 4, fnv1a(p, len - 4));
}

static int intact(const uint8_t *p, size_t len) {
  if (len < MIN_PAYLOAD || memcmp(p, "ZRFW", 4) != 0) return 0;
  uint32_t seq = get32(p + 6);
  for (size_t i = 10; i < len - 4; i++) if (p[i] != (uint8_t)(seq * 31u + i)) return 0;
  return get32(p + len - 4) == fnv1a(p, len - 4);
}

static int do_send(const char *ip, int port, int flows, int len, double seconds) {
  if (flows < 1 || flows > MAX_FLOWS || len < MIN_PAYLOAD || len > MAX_PAYLOAD) { fprintf(stderr, "bad arguments\n"); return 2; }
  struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(port) };
  if (inet_pton(AF_INET, ip, &dst.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", ip); return 2; }
  int socks[MAX_FLOWS];
  for (int f = 0; f < flows; f++) {
    socks[f] = socket(AF_INET, SOCK_DGRAM, 0);
    if (socks[f] < 0 || connect(socks[f], (struct sockaddr *)&dst, sizeof dst) < 0) { perror("socket"); return 1; }
  }
  static uint8_t bufs[BURST][MAX_PAYLOAD];
  struct mmsghdr msgs[BURST];
  struct iovec iov[BURST];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BURST; i++) {
    iov[i].iov_base = bufs[i]; iov[i].iov_len = len;
    msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uint32_t seq[MAX_FLOWS] = { 0 };
  unsigned long long sent = 0, errors = 0;
  printf("sending\n");
  fflush(stdout);
  double t0 = now_s(), t = t0;
  for (int f = 0; !stop_flag && t - t0 < seconds; f = (f + 1) % flows) {
    for (int i = 0; i < BURST; i++) fill(bufs[i], len, f, seq[f] + i);
    int n = sendmmsg(socks[f], msgs, BURST, 0);
    if (n > 0) { sent += n; seq[f] += n; }
    else if (errno != EINTR) errors++; // ENOBUFS, ECONNREFUSED (an ICMP error came back): counted, not fatal
    t = now_s();
  }
  printf("{\"sent\":%llu,\"seconds\":%.6f,\"errors\":%llu}\n", sent, t - t0, errors);
  return 0;
}

static int do_recv(const char *ip, int port) {
  struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };
  if (inet_pton(AF_INET, ip, &me.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", ip); return 2; }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int rcvbuf = 32 << 20;
  setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf); // root only; best effort
  struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (s < 0 || bind(s, (struct sockaddr *)&me, sizeof me) < 0) { perror("bind"); return 1; }
  static uint8_t bufs[BURST][2048];
  struct mmsghdr msgs[BURST];
  struct iovec iov[BURST];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BURST; i++) {
    iov[i].iov_base = bufs[i]; iov[i].iov_len = sizeof bufs[i];
    msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long good = 0, bad = 0;
  uint64_t flowsSeen = 0;
  printf("listening\n");
  fflush(stdout);
  while (!stop_flag) {
    int n = recvmmsg(s, msgs, BURST, 0, NULL);
    for (int i = 0; i < n; i++) {
      if (intact(bufs[i], msgs[i].msg_len)) { good++; flowsSeen |= 1ull << ((bufs[i][4] << 8 | bufs[i][5]) % 64); }
      else bad++;
    }
  }
  printf("{\"intact\":%llu,\"bad\":%llu,\"flows\":%d}\n", good, bad, __builtin_popcountll(flowsSeen));
  return 0;
}

int main(int argc, char **argv) {
  struct sigaction sa = { .sa_handler = on_signal }; // no SA_RESTART: a blocked recvmmsg returns EINTR
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  if (argc == 7 && strcmp(argv[1], "send") == 0) return do_send(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atof(argv[6]));
  if (argc == 4 && strcmp(argv[1], "recv") == 0) return do_recv(argv[2], atoi(argv[3]));
  fprintf(stderr, "usage: udp-blast send <dst-ip> <port> <flows> <payload-bytes> <seconds> | recv <bind-ip> <port>\n");
  return 2;
}
