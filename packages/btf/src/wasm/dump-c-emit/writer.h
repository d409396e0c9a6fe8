// Twin of dump-c/writer.ts (ByteWriter), plus type-table.ts nameIs. Every write checks the room left; a full
// buffer fails the dump instead of writing.
#pragma once

static int room(struct emitter *e, u32 n) {
  if (e->out_cap - e->out_len >= n) return 1;
  fail(e, FAIL_OUTPUT_FULL);
  return 0;
}

static void put_byte(struct emitter *e, u8 c) {
  if (room(e, 1)) e->out[e->out_len++] = c;
}

// Constant text as immediate byte stores (the loop is fully unrolled and the literal folded away), so the
// module keeps no data segment.
#define LIT(e, s) put_lit((e), (s), (u32)(sizeof(s) - 1))
static inline __attribute__((always_inline)) void put_lit(struct emitter *e, const char *s, u32 n) {
  if (!room(e, n)) return;
  u8 *o = e->out + e->out_len;
#pragma clang loop unroll(full)
  for (u32 k = 0; k < 48; k++) {
    if (k == n) break;
    o[k] = (u8)s[k];
  }
  e->out_len += n;
}

// Whether the string at `off` is exactly `s` (type-table.ts nameIs, including its bound check).
#define NAME_IS(e, off, s) name_is((e), (off), (s), (u32)(sizeof(s) - 1))
static inline __attribute__((always_inline)) int name_is(const struct emitter *e, u32 off, const char *s, u32 n) {
  if ((u64)off + n >= e->str_len) return 0;
  const u8 *p = e->str + off;
#pragma clang loop unroll(full)
  for (u32 k = 0; k < 48; k++) {
    if (k == n) break;
    if (p[k] != (u8)s[k]) return 0;
  }
  return p[n] == 0;
}

static u32 name_length(const struct emitter *e, u32 off) {
  const u8 *p = e->str + off;
  u32 n = 0;
  while (p[n] != 0) n++;
  return n;
}

// The NUL-terminated string at `off` as raw bytes (printf's %s).
static void put_name(struct emitter *e, u32 off) {
  // One pass: copy while checking the room (the hottest loop of the dump).
  const u8 *p = e->str + off;
  u8 *o = e->out;
  u32 len = e->out_len;
  u32 cap = e->out_cap;
  for (; *p != 0; p++) {
    if (len == cap) {
      fail(e, FAIL_OUTPUT_FULL);
      return;
    }
    o[len++] = *p;
  }
  e->out_len = len;
}

static int is_empty_name(const struct emitter *e, u32 off) {
  return off >= e->str_len || e->str[off] == 0;
}

static void put_u64(struct emitter *e, u64 v) {
  u32 n = 1;
  for (u64 t = v; t >= 10; t /= 10) n++;
  if (!room(e, n)) return;
  u8 *o = e->out + e->out_len;
  u32 end = n;
  do {
    o[--end] = (u8)('0' + v % 10);
    v /= 10;
  } while (v);
  e->out_len += n;
}

static void put_i64(struct emitter *e, i64 v) {
  if (v < 0) {
    put_byte(e, '-');
    put_u64(e, (u64)0 - (u64)v);
  } else {
    put_u64(e, (u64)v);
  }
}

// A newline followed by `tabs` tabs.
static void put_newline(struct emitter *e, u32 tabs) {
  if (!room(e, tabs + 1)) return;
  u8 *o = e->out + e->out_len;
  o[0] = '\n';
  for (u32 i = 1; i <= tabs; i++) o[i] = '\t';
  e->out_len += tabs + 1;
}

static u32 decimal_digits(u32 v) {
  u32 n = 1;
  while (v >= 10) {
    v /= 10;
    n++;
  }
  return n;
}
