// rawio: the two things Node cannot do on its own that the example vSwitch needs, as a tiny
// Node-API addon: open a TAP device (/dev/net/tun, TUNSETIFF) and an AF_PACKET socket bound to an
// interface, and read a batch of frames from either on a worker thread (poll, then non-blocking
// reads until the descriptor is drained or the batch full) so the event loop never blocks.
// Writes are plain write(2) calls on the non-blocking descriptor.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static napi_value throw_errno(napi_env env, const char* what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value make_int(napi_env env, int v) { napi_value r; napi_create_int32(env, v, &r); return r; }

static int get_string(napi_env env, napi_value v, char* out, size_t n) {
  size_t len;
  return napi_get_value_string_utf8(env, v, out, n, &len) == napi_ok && len > 0 && len < n;
}

// openTap(name): fd of a TAP device (no packet-info header), non-blocking.
static napi_value open_tap(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  if (argc < 1 || !get_string(env, argv[0], name, sizeof name)) { napi_throw_type_error(env, NULL, "openTap(name): an interface name of 1..15 bytes"); return NULL; }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, strlen(name)); // get_string checked it is shorter than IFNAMSIZ
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { int e = errno; close(fd); errno = e; return throw_errno(env, "TUNSETIFF"); }
  return make_int(env, fd);
}

// openPacket(ifname): fd of an AF_PACKET raw socket bound to the interface, receiving every
// protocol but not the frames this host sends, non-blocking.
static napi_value open_packet(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  if (argc < 1 || !get_string(env, argv[0], name, sizeof name)) { napi_throw_type_error(env, NULL, "openPacket(name): an interface name of 1..15 bytes"); return NULL; }
  unsigned idx = if_nametoindex(name);
  if (idx == 0) return throw_errno(env, name);
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) return throw_errno(env, "socket(AF_PACKET)");
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one); // best effort (Linux >= 4.20)
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)idx;
  if (bind(fd, (struct sockaddr*)&sll, sizeof sll) < 0) { int e = errno; close(fd); errno = e; return throw_errno(env, "bind(AF_PACKET)"); }
  return make_int(env, fd);
}

// write(fd, frame): bytes written, or -errno (EAGAIN, ENOBUFS: the caller counts the frame lost).
static napi_value write_frame(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd; void* data; size_t len;
  napi_typedarray_type type; napi_value ab; size_t off;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok
      || napi_get_typedarray_info(env, argv[1], &type, &len, &data, &ab, &off) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "write(fd, frame: Uint8Array)");
    return NULL;
  }
  ssize_t n = write(fd, data, len);
  return make_int(env, n < 0 ? -errno : (int)n);
}

static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) { napi_throw_type_error(env, NULL, "close(fd)"); return NULL; }
  close(fd);
  return NULL;
}

typedef struct {
  napi_async_work work;
  napi_ref buf_ref, lens_ref, cb_ref;
  int fd, slots, slot_size, timeout_ms;
  unsigned char* buf;
  unsigned* lens;
  int count, err;
} ReadJob;

static void read_execute(napi_env env, void* data) {
  (void)env;
  ReadJob* j = data;
  j->count = 0; j->err = 0;
  struct pollfd p = { .fd = j->fd, .events = POLLIN };
  int r = poll(&p, 1, j->timeout_ms);
  if (r < 0) { j->err = errno == EINTR ? 0 : errno; return; }
  if (r == 0) return;
  while (j->count < j->slots) {
    ssize_t n = read(j->fd, j->buf + (size_t)j->count * j->slot_size, j->slot_size);
    if (n < 0) { if (errno != EAGAIN && errno != EINTR) j->err = errno; break; }
    j->lens[j->count++] = (unsigned)n;
  }
}

static void read_complete(napi_env env, napi_status status, void* data) {
  ReadJob* j = data;
  napi_value cb, global, argv[2];
  napi_get_reference_value(env, j->cb_ref, &cb);
  napi_get_global(env, &global);
  if (status != napi_ok || j->err != 0) {
    napi_value msg;
    napi_create_string_utf8(env, status != napi_ok ? "read cancelled" : strerror(j->err), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &argv[0]);
  } else {
    napi_get_null(env, &argv[0]);
  }
  napi_create_int32(env, j->count, &argv[1]);
  napi_delete_reference(env, j->buf_ref);
  napi_delete_reference(env, j->lens_ref);
  napi_delete_reference(env, j->cb_ref);
  napi_delete_async_work(env, j->work);
  free(j);
  napi_call_function(env, global, cb, 2, argv, NULL);
}

// readBatch(fd, buf: Uint8Array, lens: Uint32Array, slotSize, timeoutMs, cb(err, count)): waits up
// to timeoutMs for the descriptor to be readable, then reads frames into slots of buf (frame i at
// i * slotSize, its length in lens[i]) until none is left or the slots are full.
static napi_value read_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6; napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ReadJob* j = calloc(1, sizeof *j);
  napi_typedarray_type t1, t2; size_t len1, len2, off; napi_value ab; void *p1, *p2;
  if (j == NULL || argc < 6 || napi_get_value_int32(env, argv[0], &j->fd) != napi_ok
      || napi_get_typedarray_info(env, argv[1], &t1, &len1, &p1, &ab, &off) != napi_ok || t1 != napi_uint8_array
      || napi_get_typedarray_info(env, argv[2], &t2, &len2, &p2, &ab, &off) != napi_ok || t2 != napi_uint32_array
      || napi_get_value_int32(env, argv[3], &j->slot_size) != napi_ok || j->slot_size <= 0
      || napi_get_value_int32(env, argv[4], &j->timeout_ms) != napi_ok) {
    free(j);
    napi_throw_type_error(env, NULL, "readBatch(fd, buf: Uint8Array, lens: Uint32Array, slotSize, timeoutMs, cb)");
    return NULL;
  }
  j->buf = p1; j->lens = p2;
  j->slots = (int)(len1 / (size_t)j->slot_size);
  if ((size_t)j->slots > len2) j->slots = (int)len2;
  napi_create_reference(env, argv[1], 1, &j->buf_ref);
  napi_create_reference(env, argv[2], 1, &j->lens_ref);
  napi_create_reference(env, argv[5], 1, &j->cb_ref);
  napi_value name;
  napi_create_string_utf8(env, "rawio.readBatch", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_create_async_work(env, NULL, name, read_execute, read_complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "openTap", NULL, open_tap, NULL, NULL, NULL, napi_default, NULL },
    { "openPacket", NULL, open_packet, NULL, NULL, NULL, napi_default, NULL },
    { "write", NULL, write_frame, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL },
    { "readBatch", NULL, read_batch, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
