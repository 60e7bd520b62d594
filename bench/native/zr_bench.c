/*
 * Native twins of the Wasm datapath kernels (assembly/vxlan.ts, parse.ts, hash.ts, select.ts and the
 * tables), for the benchmark's baseline: the same work on the same bytes. They operate on the Wasm
 * core's own linear memory (its ArrayBuffer) and read the same peer records and tables, at the
 * addresses the core's image gives (assembly/image.ts). Only the outer IPv4 identification counter is
 * the twin's own (setIpId/getIpId), as the Wasm one is a Wasm global. Built at bench time by node-gyp
 * (bench/native.ts); a statement-by-statement port, so the suite can check the bytes before timing.
 */
#include <node_api.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8; typedef uint16_t u16; typedef uint32_t u32; typedef uint64_t u64; typedef int64_t i64;

enum {
  W_PEER_BASE, W_PEER_COUNT, W_SEED, W_MTU, W_VXLAN_PORT, W_VNI_FILTER, W_IP_ID,
  W_TABLE_KIND, W_TABLE_PEERS, W_TABLE_N, W_TABLE_MASK,
  W_FLAT_BASE, W_FLAT_N, W_FLAT_PEERS,
  W_PBM_BASE, W_PBM_SHIFT_BASE, W_PREF_TAG_BASE, W_PREF_SHIFT_BASE, W_PBM_WORDS, W_PBM_PEERS, W_PBM_N, W_PBM_GROUPS, W_PREF_BUCKETS,
  W_HI_L1, W_HI_L2, W_HI_PEERS, W_HI_BLOCKS, W_HI_N, W_HI_E, W_HI_SHIFT,
  W_REDIRECT_BASE, W_REDIRECT_N, W_REDIRECT_S, W_REDIRECT_PEERS,
  W_COUNT
};

static u8 *M;            /* base of the Wasm memory */
static size_t M_LEN;
static napi_ref M_REF;   /* keeps the ArrayBuffer alive */
static u32 W[W_COUNT];
static u32 ipId;

#define DESC_SIZE 48u
#define D_DATA_OFF 0
#define D_DATA_LEN 4
#define D_OUT_OFF 8
#define D_OUT_LEN 12
#define D_HASH 16
#define D_VNI 20
#define D_OUTER_SRC 24
#define D_OUTER_DST 28
#define D_PEER 32
#define D_SPORT 34
#define D_STATUS 36
#define D_KEY 38
#define D_L3_OFF 40
#define D_L4_OFF 42
#define D_CAND 44
#define D_FORCE 46
#define OUTER_LEN 50u
#define PEER_SIZE 256u
#define P_FLAGS 0
#define P_NCAND 2
#define P_CAND_MASK 4
#define P_SUM 8
#define P_TABLE 12
#define P_TEMPLATE 16
#define P_CAND 72

enum { ST_OK = 0, ST_BAD_DESC = 1, ST_RUNT = 2, ST_NO_PEER = 3, ST_MTU = 4, ST_NOT_IPV4 = 10, ST_BAD_IP_HEADER = 11,
  ST_BAD_IP_CHECKSUM = 12, ST_BAD_IP_LENGTH = 13, ST_IP_FRAGMENT = 14, ST_NOT_UDP = 15, ST_BAD_UDP_LENGTH = 16,
  ST_NOT_VXLAN_PORT = 17, ST_VXLAN_TRUNCATED = 18, ST_BAD_VXLAN_FLAGS = 19, ST_VNI_FILTERED = 20, ST_INNER_RUNT = 21 };
enum { KEY_L2 = 2, KEY_L3 = 3, KEY_L4 = 4, KEY_FRAGMENT = 0x100 };
enum { FAM_L2 = 1, FAM_V4 = 4, FAM_V6 = 6 };
enum { TABLE_DEFAULT = 0, TABLE_FLAT = 1, TABLE_PBM = 2, TABLE_HI = 3, TABLE_REDIRECT = 4 };

/* Wasm addresses are u32 offsets into M; loads and stores are little-endian and unaligned. */
static inline u8 ld8(u32 a) { return M[a]; }
static inline u16 ld16(u32 a) { u16 v; memcpy(&v, M + a, 2); return v; }
static inline u32 ld32(u32 a) { u32 v; memcpy(&v, M + a, 4); return v; }
static inline u64 ld64(u32 a) { u64 v; memcpy(&v, M + a, 8); return v; }
static inline void st8(u32 a, u8 v) { M[a] = v; }
static inline void st16(u32 a, u16 v) { memcpy(M + a, &v, 2); }
static inline void st32(u32 a, u32 v) { memcpy(M + a, &v, 4); }
static inline void st64(u32 a, u64 v) { memcpy(M + a, &v, 8); }
static inline u32 be16(u32 a) { return __builtin_bswap16(ld16(a)); }
static inline u32 rotl32(u32 x, u32 k) { return (x << k) | (x >> ((32 - k) & 31)); }
static inline u32 ctz64(u64 x) { return x ? (u32)__builtin_ctzll(x) : 64; }

/* ---- hash.ts ---- */
#define JHASH_INITVAL 0xdeadbeefu
static inline u32 jhashFinal3(u32 a, u32 b, u32 c) {
  c ^= b; c -= rotl32(b, 14);
  a ^= c; a -= rotl32(c, 11);
  b ^= a; b -= rotl32(a, 25);
  c ^= b; c -= rotl32(b, 16);
  a ^= c; a -= rotl32(c, 4);
  b ^= a; b -= rotl32(a, 14);
  c ^= b; c -= rotl32(b, 24);
  return c;
}
static inline u32 jhash3(u32 k0, u32 k1, u32 k2, u32 initval) {
  u32 iv = JHASH_INITVAL + (3 << 2) + initval;
  return jhashFinal3(iv + k0, iv + k1, iv + k2);
}
static u32 jhash9(u32 p, u32 ports, u32 initval) {
  u32 a = JHASH_INITVAL + (9 << 2) + initval, b = a, c = a;
  a += ld32(p); b += ld32(p + 4); c += ld32(p + 8);
  a -= c; a ^= rotl32(c, 4);  c += b;
  b -= a; b ^= rotl32(a, 6);  a += c;
  c -= b; c ^= rotl32(b, 8);  b += a;
  a -= c; a ^= rotl32(c, 16); c += b;
  b -= a; b ^= rotl32(a, 19); a += c;
  c -= b; c ^= rotl32(b, 4);  b += a;
  a += ld32(p + 12); b += ld32(p + 16); c += ld32(p + 20);
  a -= c; a ^= rotl32(c, 4);  c += b;
  b -= a; b ^= rotl32(a, 6);  a += c;
  c -= b; c ^= rotl32(b, 8);  b += a;
  a -= c; a ^= rotl32(c, 16); c += b;
  b -= a; b ^= rotl32(a, 19); a += c;
  c -= b; c ^= rotl32(b, 4);  b += a;
  a += ld32(p + 24); b += ld32(p + 28); c += ports;
  return jhashFinal3(a, b, c);
}

/* ---- parse.ts ---- */
static inline int isVlan(u32 et) { return et == 0x8100 || et == 0x88a8; }

static inline i64 portsOf(u32 p, u32 len, u32 l4, u32 proto) {
  if (proto == 6 || proto == 17) {
    if (l4 + 4 <= len) return (i64)ld32(p + l4);
  } else if (proto == 1 || proto == 58) {
    if (l4 + 8 <= len) {
      u32 t = ld8(p + l4);
      if (proto == 1 ? (t == 0 || t == 8) : (t == 128 || t == 129)) return (i64)ld16(p + l4 + 4);
      return 0;
    }
  }
  return -1;
}

static u32 parseHashSlow(u32 p, u32 len, u32 seed, u32 d) {
  u32 et = be16(p + 12), l3 = 14;
  if (isVlan(et) && len >= 18) {
    et = be16(p + 16); l3 = 18;
    if (isVlan(et) && len >= 22) { et = be16(p + 20); l3 = 22; }
  }
  if (et == 0x0800 && l3 + 20 <= len) {
    u32 q = p + l3, vihl = ld8(q), ihl = (vihl & 15) << 2;
    if ((vihl >> 4) == 4 && ihl >= 20 && l3 + ihl <= len) {
      u32 proto = ld8(q + 9), iv = seed + (FAM_V4 << 24) + proto;
      u32 src = ld32(q + 12), dst = ld32(q + 16), l4 = l3 + ihl;
      st16(d + D_L3_OFF, (u16)l3);
      if ((be16(q + 6) & 0x3fff) != 0) {
        st16(d + D_KEY, KEY_L3 | KEY_FRAGMENT); st16(d + D_L4_OFF, 0);
        return jhash3(src, dst, 0, iv);
      }
      i64 ports = portsOf(p, len, l4, proto);
      if (ports >= 0) {
        st16(d + D_KEY, KEY_L4); st16(d + D_L4_OFF, (u16)l4);
        return jhash3(src, dst, (u32)ports, iv);
      }
      st16(d + D_KEY, KEY_L3); st16(d + D_L4_OFF, 0);
      return jhash3(src, dst, 0, iv);
    }
  } else if (et == 0x86dd && l3 + 40 <= len) {
    u32 q = p + l3;
    if ((ld8(q) >> 4) == 6) {
      u32 nh = ld8(q + 6), l4 = l3 + 40;
      u16 frag = 0;
      int stop = 0;
      for (int i = 0; i < 8; i++) {
        if (nh == 0 || nh == 43 || nh == 60) {
          if (l4 + 8 > len) { stop = 1; break; }
          u32 ext = ((u32)ld8(p + l4 + 1) + 1) << 3;
          nh = ld8(p + l4);
          l4 += ext;
        } else if (nh == 44) {
          if (l4 + 8 > len) { stop = 1; break; }
          u32 fo = be16(p + l4 + 2);
          nh = ld8(p + l4);
          l4 += 8;
          if ((fo & 0xfff9) != 0) { frag = KEY_FRAGMENT; stop = 1; break; }
        } else break;
      }
      if (nh == 0 || nh == 43 || nh == 60 || nh == 44) stop = 1;
      u32 iv = seed + (FAM_V6 << 24) + nh;
      st16(d + D_L3_OFF, (u16)l3);
      if (!stop) {
        i64 ports = portsOf(p, len, l4, nh);
        if (ports >= 0) {
          st16(d + D_KEY, KEY_L4); st16(d + D_L4_OFF, (u16)l4);
          return jhash9(q + 8, (u32)ports, iv);
        }
      }
      st16(d + D_KEY, KEY_L3 | frag); st16(d + D_L4_OFF, 0);
      return jhash9(q + 8, 0, iv);
    }
  }
  st16(d + D_KEY, KEY_L2); st16(d + D_L3_OFF, 0); st16(d + D_L4_OFF, 0);
  return jhash3(ld32(p), ld32(p + 4), ld32(p + 8), seed + (FAM_L2 << 24) + et);
}

static inline u32 parseHash(u32 p, u32 len, u32 seed, u32 d) {
  if (len >= 38 && (ld32(p + 12) & 0xffffff) == 0x450008 && (ld16(p + 20) & 0xff3f) == 0) {
    u32 proto = ld8(p + 23);
    if (proto == 6 || proto == 17) {
      st32(d + D_KEY, (u32)KEY_L4 | (14u << 16)); st16(d + D_L4_OFF, 34);
      return jhash3(ld32(p + 26), ld32(p + 30), ld32(p + 34), seed + (FAM_V4 << 24) + proto);
    }
  }
  return parseHashSlow(p, len, seed, d);
}

/* ---- the tables (flat.ts, pbm.ts, hi.ts, redirect.ts) ---- */
static inline u32 flatSelect(u32 peer, u32 k) {
  u32 n = W[W_FLAT_N], row = W[W_FLAT_BASE] + ((peer * n) << 1);
  if (ld16(row + (k << 1)) != 0) return k;
  u32 c = k;
  for (u32 j = 1; j < n; j++) {
    c++;
    if (c == n) c = 0;
    if (ld16(row + (c << 1)) != 0) return c;
  }
  return k;
}

static inline u32 hiSelect(u32 peer, u32 k) {
  u32 s = ld16(W[W_HI_L1] + (peer << 1));
  if (s == 0) return k;
  u32 e = ld8(W[W_HI_L2] + ((s - 1) * W[W_HI_E] + (k >> W[W_HI_SHIFT])));
  return e == 0 ? k : e - 1;
}

static inline u32 redirectSelect(u32 peer, u32 h, u32 k) {
  u32 n = W[W_REDIRECT_N], S = W[W_REDIRECT_S];
  u32 s = ((h >> 16) * S) >> 16;
  u32 v = ld8(W[W_REDIRECT_BASE] + ((peer * n + k) * S + s));
  u32 c = v - 1;
  return c < n ? c : k;
}

#define LANES 0x0001000100010001ull
static inline u32 wayOf(u64 tags, u32 tag) {
  u64 x = tags ^ ((u64)tag * LANES);
  u64 z = (x - LANES) & ~x & (LANES << 15);
  return ctz64(z) >> 4;
}
static inline int prefSlot(u32 peer) {
  u32 nb = W[W_PREF_BUCKETS];
  if (nb == 0) return -1;
  u32 tag = peer + 1;
  u32 b1 = (u32)(((u64)(u32)(tag * 0x9e3779b1u) * (u64)nb) >> 32);
  u32 w1 = wayOf(ld64(W[W_PREF_TAG_BASE] + (b1 << 3)), tag);
  if (w1 < 4) return (int)(b1 * 4 + w1);
  u32 b2 = (u32)(((u64)(u32)(tag * 0x85ebca6bu) * (u64)nb) >> 32);
  u32 w2 = wayOf(ld64(W[W_PREF_TAG_BASE] + (b2 << 3)), tag);
  return w2 < 4 ? (int)(b2 * 4 + w2) : -1;
}
static inline u64 rotrN(u64 x, u32 s, u32 n, u64 mask) {
  /* Wasm shifts by the count mod 64, as these do. */
  return ((x >> (s & 63)) | (x << ((n - s) & 63))) & mask;
}
static u32 pbmFallback(u32 peer, u32 h, u32 k, u64 w) {
  u32 n = W[W_PBM_N], G = W[W_PBM_GROUPS];
  u64 mask = n == 64 ? ~0ull : ((1ull << n) - 1);
  u32 g = ((h >> 16) * G) >> 16;
  int slot = prefSlot(peer);
  u32 c;
  if (slot >= 0) c = ld8(W[W_PREF_SHIFT_BASE] + ((u32)slot * G + g));
  else {
    c = k + ld8(W[W_PBM_SHIFT_BASE] + g);
    c = c >= n ? c - n : c;
  }
  u32 j = ctz64(rotrN(w, c, n, mask));
  c += j;
  return c >= n ? c - n : c;
}
static inline u32 pbmSelect(u32 peer, u32 h, u32 k) {
  u64 w = W[W_PBM_WORDS] == 1 ? (u64)ld32(W[W_PBM_BASE] + (peer << 2)) : ld64(W[W_PBM_BASE] + (peer << 3));
  if (((w >> (k & 63)) & 1) != 0 || w == 0) return k;
  return pbmFallback(peer, h, k, w);
}

static inline u32 tableSelect(u32 kind, u32 peer, u32 h, u32 k) {
  if (kind == TABLE_PBM) return pbmSelect(peer, h, k);
  if (kind == TABLE_HI) return hiSelect(peer, k);
  if (kind == TABLE_REDIRECT) return redirectSelect(peer, h, k);
  return flatSelect(peer, k);
}

/* ---- select.ts ---- */
static inline u32 selectPort(u32 r, u32 hash, u32 d) {
  u32 mask = ld32(r + P_CAND_MASK);
  u32 k = mask != 0xffffffffu ? hash & mask : hash % (u32)ld16(r + P_NCAND);
  u32 kind = ld16(r + P_TABLE);
  if (kind != TABLE_DEFAULT) k = tableSelect(kind, (r - W[W_PEER_BASE]) / PEER_SIZE, hash, k);
  st16(d + D_CAND, (u16)k);
  return ld16(r + P_CAND + (k << 1));
}

/* ---- vxlan.ts ---- */
static inline void clearOut(u32 d, u16 status) {
  st64(d + D_OUT_OFF, 0); st64(d + D_HASH, 0); st64(d + D_OUTER_SRC, 0); st64(d + D_STATUS, 0);
  st16(d + D_SPORT, 0); st16(d + D_CAND, 0xffff); st16(d + D_STATUS, status);
}
static inline int frameOk(u32 off, u32 len, u32 slotSize, u32 head) {
  return off >= head && off <= slotSize && len <= slotSize - off;
}

static u32 hashBatch(u32 desc, u32 arena, u32 count, u32 slotSize) {
  u32 ok = 0, s = W[W_SEED];
  u32 end = desc + count * DESC_SIZE, slot = arena;
  for (u32 d = desc; d < end; d += DESC_SIZE, slot += slotSize) {
    u32 off = ld32(d + D_DATA_OFF), len = ld32(d + D_DATA_LEN);
    if (!frameOk(off, len, slotSize, 0)) { clearOut(d, ST_BAD_DESC); continue; }
    if (len < 14) { clearOut(d, ST_RUNT); continue; }
    u32 p = slot + off;
    clearOut(d, ST_OK);
    st32(d + D_HASH, parseHash(p, len, s, d));
    st32(d + D_OUT_OFF, off); st32(d + D_OUT_LEN, len);
    ok++;
  }
  return ok;
}

static u32 encapBatch(u32 desc, u32 arena, u32 count, u32 slotSize) {
  u32 s = W[W_SEED], mtu = W[W_MTU], np = W[W_PEER_COUNT];
  u32 m = mtu != 0 && mtu < 0xffff ? mtu : 0xffff;
  u32 id0 = ipId, id = id0;
  u32 end = desc + count * DESC_SIZE, slot = arena;
  for (u32 d = desc; d < end; d += DESC_SIZE, slot += slotSize) {
    u32 off = ld32(d + D_DATA_OFF), len = ld32(d + D_DATA_LEN);
    u32 forced = ld16(d + D_FORCE), peer = ld16(d + D_PEER);
    if (!frameOk(off, len, slotSize, OUTER_LEN)) { clearOut(d, ST_BAD_DESC); continue; }
    if (len < 14) { clearOut(d, ST_RUNT); continue; }
    if (peer >= np || ld16(W[W_PEER_BASE] + peer * PEER_SIZE + P_FLAGS) == 0) { clearOut(d, ST_NO_PEER); continue; }
    if (len + 36 > m) { clearOut(d, ST_MTU); continue; }
    u32 r = W[W_PEER_BASE] + peer * PEER_SIZE;
    u32 p = slot + off;
    st64(d + D_VNI, 0); st32(d + D_OUTER_DST, 0);
    u32 h = parseHash(p, len, s, d);
    u32 sport;
    if (forced != 0) { sport = forced; st16(d + D_CAND, 0xffff); }
    else sport = selectPort(r, h, d);
    u32 o = p - OUTER_LEN;
    memcpy(M + o, M + r + P_TEMPLATE, OUTER_LEN);
    u32 totlen = len + 36, ident = id & 0xffff;
    id++;
    u32 sum = ld32(r + P_SUM) + totlen + ident;
    sum = (sum & 0xffff) + (sum >> 16);
    sum += sum >> 16;
    st16(o + 16, __builtin_bswap16((u16)totlen));
    st16(o + 18, __builtin_bswap16((u16)ident));
    st16(o + 24, __builtin_bswap16((u16)~sum));
    st16(o + 34, __builtin_bswap16((u16)sport));
    st16(o + 38, __builtin_bswap16((u16)(len + 16)));
    st32(d + D_OUT_OFF, off - OUTER_LEN);
    st32(d + D_OUT_LEN, len + OUTER_LEN);
    st32(d + D_HASH, h);
    st16(d + D_SPORT, (u16)sport);
    st16(d + D_STATUS, ST_OK);
  }
  ipId = id & 0xffff;
  return id - id0;
}

static inline u16 decapOne(u32 d, u32 p, u32 off, u32 len) {
  u32 vxlanPort = W[W_VXLAN_PORT], vniFilter = W[W_VNI_FILTER];
  if (len >= 50 && (ld32(p + 12) & 0xffffff) == 0x450008) {
    u64 sum = (u64)ld32(p + 14) + ld32(p + 18) + ld32(p + 22) + ld32(p + 26) + ld32(p + 30);
    sum = (sum & 0xffffffff) + (sum >> 32);
    u32 s32 = (u32)sum + (u32)(sum >> 32);
    s32 = (s32 & 0xffff) + (s32 >> 16);
    s32 = (s32 & 0xffff) + (s32 >> 16);
    if (s32 != 0xffff) return ST_BAD_IP_CHECKSUM;
    u32 totlen = be16(p + 16);
    if (totlen < 20 || totlen + 14 > len) return ST_BAD_IP_LENGTH;
    if ((ld16(p + 20) & 0xff3f) != 0) return ST_IP_FRAGMENT;
    if (ld8(p + 23) != 17) return ST_NOT_UDP;
    if (totlen < 28) return ST_BAD_UDP_LENGTH;
    u32 ulen = be16(p + 38);
    if (ulen < 8 || ulen > totlen - 20) return ST_BAD_UDP_LENGTH;
    if (be16(p + 36) != vxlanPort) return ST_NOT_VXLAN_PORT;
    if (ulen < 16) return ST_VXLAN_TRUNCATED;
    if ((ld8(p + 42) & 0x08) == 0) return ST_BAD_VXLAN_FLAGS;
    u32 vni = __builtin_bswap32(ld32(p + 46)) >> 8;
    if (vniFilter != 0xffffffffu && vni != vniFilter) return ST_VNI_FILTERED;
    if (ulen < 30) return ST_INNER_RUNT;
    st64(d + D_OUT_OFF, (u64)(off + 50) | ((u64)(ulen - 16) << 32));
    st32(d + D_VNI, vni);
    st64(d + D_OUTER_SRC, (u64)__builtin_bswap32(ld32(p + 26)) | ((u64)__builtin_bswap32(ld32(p + 30)) << 32));
    st16(d + D_SPORT, (u16)be16(p + 34));
    return ST_OK;
  }
  u32 et = be16(p + 12), ip = 14;
  if ((et == 0x8100 || et == 0x88a8) && len >= 18) {
    et = be16(p + 16); ip = 18;
    if ((et == 0x8100 || et == 0x88a8) && len >= 22) { et = be16(p + 20); ip = 22; }
  }
  if (et != 0x0800) return ST_NOT_IPV4;
  if (ip + 20 > len) return ST_BAD_IP_HEADER;
  u32 q = p + ip, vihl = ld8(q), ihl = (vihl & 15) << 2;
  if ((vihl >> 4) != 4 || ihl < 20 || ip + ihl > len) return ST_BAD_IP_HEADER;
  u64 sum = 0;
  for (u32 k = 0; k < ihl; k += 4) sum += ld32(q + k);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  u32 s32 = (u32)sum;
  s32 = (s32 & 0xffff) + (s32 >> 16);
  s32 = (s32 & 0xffff) + (s32 >> 16);
  if (s32 != 0xffff) return ST_BAD_IP_CHECKSUM;
  u32 totlen = be16(q + 2);
  if (totlen < ihl || ip + totlen > len) return ST_BAD_IP_LENGTH;
  if ((be16(q + 6) & 0x3fff) != 0) return ST_IP_FRAGMENT;
  if (ld8(q + 9) != 17) return ST_NOT_UDP;
  if (totlen - ihl < 8) return ST_BAD_UDP_LENGTH;
  u32 u = q + ihl, ulen = be16(u + 4);
  if (ulen < 8 || ulen > totlen - ihl) return ST_BAD_UDP_LENGTH;
  if (be16(u + 2) != vxlanPort) return ST_NOT_VXLAN_PORT;
  if (ulen < 16) return ST_VXLAN_TRUNCATED;
  if ((ld8(u + 8) & 0x08) == 0) return ST_BAD_VXLAN_FLAGS;
  u32 vni = __builtin_bswap32(ld32(u + 12)) >> 8;
  if (vniFilter != 0xffffffffu && vni != vniFilter) return ST_VNI_FILTERED;
  u32 inner = ulen - 16;
  if (inner < 14) return ST_INNER_RUNT;
  st32(d + D_OUT_OFF, off + ip + ihl + 16);
  st32(d + D_OUT_LEN, inner);
  st32(d + D_VNI, vni);
  st32(d + D_OUTER_SRC, __builtin_bswap32(ld32(q + 12)));
  st32(d + D_OUTER_DST, __builtin_bswap32(ld32(q + 16)));
  st16(d + D_SPORT, (u16)be16(u));
  return ST_OK;
}

static u32 decapBatch(u32 desc, u32 arena, u32 count, u32 slotSize) {
  u32 ok = 0;
  for (u32 i = 0; i < count; i++) {
    u32 d = desc + i * DESC_SIZE;
    u32 off = ld32(d + D_DATA_OFF), len = ld32(d + D_DATA_LEN);
    if (!frameOk(off, len, slotSize, 0)) { clearOut(d, ST_BAD_DESC); continue; }
    if (len < 14) { clearOut(d, ST_RUNT); continue; }
    clearOut(d, ST_OK);
    u16 st = decapOne(d, arena + i * slotSize + off, off, len);
    if (st != ST_OK) { clearOut(d, st); continue; }
    ok++;
  }
  return ok;
}

/* ---- Node-API ---- */
#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static napi_value u32Result(napi_env env, u32 v) { napi_value r; napi_create_uint32(env, v, &r); return r; }

/* setImage(memoryBuffer: ArrayBuffer, words: Uint32Array): the memory and the image words. */
static napi_value SetImage(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) { napi_throw_type_error(env, NULL, "setImage(buffer, words)"); return NULL; }
  void *data; size_t len;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &len));
  napi_typedarray_type type; size_t n; void *wd; napi_value ab; size_t bo;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &n, &wd, &ab, &bo));
  if (type != napi_uint32_array || n != W_COUNT) { napi_throw_type_error(env, NULL, "words must be a Uint32Array of the image's length"); return NULL; }
  if (M_REF != NULL) napi_delete_reference(env, M_REF);
  CHECK(napi_create_reference(env, argv[0], 1, &M_REF));
  M = data; M_LEN = len;
  memcpy(W, wd, sizeof W);
  ipId = W[W_IP_ID] & 0xffff;
  return NULL;
}

typedef u32 (*Kernel)(u32, u32, u32, u32);
static napi_value runKernel(napi_env env, napi_callback_info info, Kernel k) {
  size_t argc = 4; napi_value argv[4]; u32 a[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (M == NULL || argc < 4) { napi_throw_error(env, NULL, "setImage first; kernel(desc, arena, count, slotSize)"); return NULL; }
  for (int i = 0; i < 4; i++) CHECK(napi_get_value_uint32(env, argv[i], &a[i]));
  /* The batch must lie inside the memory (the only check: the kernels then stay inside their slots). */
  if ((u64)a[0] + (u64)a[2] * DESC_SIZE > M_LEN || (u64)a[1] + (u64)a[2] * a[3] > M_LEN) {
    napi_throw_range_error(env, NULL, "batch outside the memory"); return NULL;
  }
  return u32Result(env, k(a[0], a[1], a[2], a[3]));
}
static napi_value Encap(napi_env env, napi_callback_info info) { return runKernel(env, info, encapBatch); }
static napi_value Decap(napi_env env, napi_callback_info info) { return runKernel(env, info, decapBatch); }
static napi_value Hash(napi_env env, napi_callback_info info) { return runKernel(env, info, hashBatch); }
static napi_value SetIpId(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; u32 v = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) CHECK(napi_get_value_uint32(env, argv[0], &v));
  ipId = v & 0xffff;
  return NULL;
}
static napi_value GetIpId(napi_env env, napi_callback_info info) { (void)info; return u32Result(env, ipId); }

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "setImage", NULL, SetImage, NULL, NULL, NULL, napi_default, NULL },
    { "encapBatch", NULL, Encap, NULL, NULL, NULL, napi_default, NULL },
    { "decapBatch", NULL, Decap, NULL, NULL, NULL, napi_default, NULL },
    { "hashBatch", NULL, Hash, NULL, NULL, NULL, napi_default, NULL },
    { "setIpId", NULL, SetIpId, NULL, NULL, NULL, napi_default, NULL },
    { "getIpId", NULL, GetIpId, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
