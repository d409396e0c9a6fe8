// The emission phase of the C dump (dump-c/emit.ts, definitions.ts, declarations.ts, padding.ts, layout.ts,
// names.ts and the byte writer) for a whole-BTF dump, compiled to WebAssembly by scripts/gen-btf-wasm.mjs. In a
// fresh process the TypeScript emitter runs unoptimized for most of one vmlinux dump while the optimizing compiler
// catches up; this copy runs compiled from the first type. The TypeScript files are the specification: every
// function below mirrors one there, in the same order of name resolution and with the same arithmetic, so the
// bytes are identical (emit-wasm.test.ts holds the two together).
//
// The ordering pass (dump-c-order.c) is included so that one instance, in one memory, orders and emits, type by
// type like libbpf: no plan of the whole dump is kept. Anything the TypeScript would turn into a BtfDumpError
// (a cycle, too deep, too large), and anything this copy does not handle (an output buffer too small for one
// top-level type, a non-ASCII renamed identifier past 255 bytes, a full table), sets `failed`, and the caller
// redoes the whole dump in TypeScript, which reports the exact error after the exact partial output.
//
// Like the other modules here: no data segments, no static variables, no address-taken locals.

#include "dump-c-order.c"

typedef unsigned short u16;
typedef int i32;
typedef long long i64;
typedef unsigned long long u64;

enum { NOT_EMITTED = 0, EMITTING = 1, EMITTED = 2 };

// Why the emitter gave up (emitter.failed); the caller only needs "not 0", tests read the reason.
enum {
  FAIL_TOO_DEEP = 1,      // TypeScript: TOO_DEEP (nesting, declaration chain, alignment recursion)
  FAIL_TOO_LARGE = 2,     // TypeScript: TOO_LARGE (padding gap)
  FAIL_OUTPUT_FULL = 3,   // one top-level type does not fit the output buffer
  FAIL_LONG_NAME = 4,     // a non-ASCII renamed identifier the TypeScript cuts to 255 UTF-16 units
  FAIL_DECL_STACK = 5,    // declaration stack full
  FAIL_NAME_TABLE = 6,    // a name counter full (cannot happen with the sizing of emit_setup)
  FAIL_BIG_SUFFIX = 7,    // a `___n` suffix past what the per-type array holds
  FAIL_ORDER = 8          // the ordering pass gave up (TypeScript: TYPE_CYCLE, TOO_DEEP or BAD_KIND)
};

// Chunks are handed out once at least this much is buffered after a complete top-level type (dump.ts CHUNK_SIZE).
#define CHUNK_SIZE (64 * 1024)
// libbpf formats a renamed identifier into a 256-byte buffer (state.ts MAX_RENAMED_LENGTH).
#define MAX_RENAMED_LENGTH 255
// padding.ts MAX_PADDING_LINES: a longer gap is refused.
#define MAX_PADDING_LINES (1 << 20)
// layout.ts limits.
#define MAX_RESOLVE_DEPTH 32
#define MAX_ALIGN_DEPTH 1000
#define U32_MAX 0xffffffffu
#define SUFFIX_LIMIT 0xffffu

// One namespace of names.ts NameCounter: open addressing, pairs of (string offset + 1, count), 0 = empty.
struct name_counter {
  u32 *slots;
  u32 mask;
  u32 used;
  u32 limit; // the TypeScript table would grow past this many names; it never does with its initial sizing
};

// Everything one dump carries (state.ts DumpState); the caller lays it out in memory and fills the pointers.
struct emitter {
  const u32 *words;
  const u32 *starts;
  u32 count;
  const u8 *str; // the string section, followed by one NUL so that every scan stops inside memory
  u32 str_len;
  u32 pointer_size;
  u8 *type_state; // per type: see emit_state_of below
  u16 *suffix;     // 0 = not resolved, else the `___n` number (1: none)
  u32 *decl;       // the shared declaration stack
  u32 decl_cap;
  u32 decl_top;
  u8 *out;
  u32 out_cap;
  u32 out_len;
  u32 nesting;
  u32 failed;
  u32 *names_area; // room for both name tables, sized by the caller from upper bounds
  u32 names_area_words;
  struct name_counter tags;
  struct name_counter idents;
};

// One byte of state per type, where the TypeScript keeps three arrays (three times the pages to fault in on a
// fresh memory): bits 0-1 the emission state, bit 2 "forward declaration written", bits 3-6 the alignment + 1
// (0: not computed yet; alignments are at most the pointer size, 4 or 8).
static u32 emit_state_of(const struct emitter *e, u32 id) {
  return e->type_state[id] & 3;
}
static void set_emit_state(struct emitter *e, u32 id, u32 state) {
  e->type_state[id] = (u8)((e->type_state[id] & ~3u) | state);
}
static int forward_done(const struct emitter *e, u32 id) {
  return (e->type_state[id] >> 2) & 1;
}
static void set_forward_done(struct emitter *e, u32 id) {
  e->type_state[id] |= 4;
}
static u32 cached_align_plus_one(const struct emitter *e, u32 id) {
  return e->type_state[id] >> 3;
}
static void cache_align(struct emitter *e, u32 id, u32 align) {
  e->type_state[id] = (u8)((e->type_state[id] & 7u) | ((align + 1) << 3));
}

static void fail(struct emitter *e, u32 reason) {
  if (e->failed == 0) e->failed = reason;
}

static u32 kind_of_id(const struct emitter *e, u32 id) {
  return id == 0 ? 0 : kind_of(e->words[e->starts[id] + 1]);
}
static u32 name_of_id(const struct emitter *e, u32 id) {
  return id == 0 ? 0 : e->words[e->starts[id]];
}
static u32 vlen_of_id(const struct emitter *e, u32 id) {
  return id == 0 ? 0 : e->words[e->starts[id] + 1] & 0xffff;
}
static int is_modifier(u32 kind) {
  return kind == K_VOLATILE || kind == K_CONST || kind == K_RESTRICT || kind == K_TYPE_TAG;
}
static u32 indent(u32 level) {
  return level < 13 ? level : 13;
}

// ---- Output (writer.ts). Every write checks the room left; a full buffer fails the dump instead of writing. ----

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

// ---- Nesting guard (state.ts enter/leave). ----

static int enter(struct emitter *e) {
  if (++e->nesting > MAX_NESTING) fail(e, FAIL_TOO_DEEP);
  return e->failed == 0;
}
static void leave(struct emitter *e) {
  e->nesting--;
}

// ---- Names (names.ts). ----

static u32 name_hash(const struct emitter *e, u32 off) {
  u32 hash = 0x811c9dc5u;
  for (const u8 *p = e->str + off; *p != 0; p++) hash = (hash ^ *p) * 0x01000193u;
  return hash;
}

static int same_text(const struct emitter *e, u32 a, u32 b) {
  if (a == b) return 1;
  const u8 *x = e->str + a;
  const u8 *y = e->str + b;
  for (;;) {
    if (*x != *y) return 0;
    if (*x == 0) return 1;
    x++;
    y++;
  }
}

// Counts one more occurrence of the name at `off`; returns the new count (NameCounter.bump).
static u32 bump(struct emitter *e, struct name_counter *c, u32 off) {
  u32 slot = name_hash(e, off) & c->mask;
  for (;;) {
    u32 key = c->slots[2 * slot];
    if (key == 0) break;
    if (same_text(e, key - 1, off)) return ++c->slots[2 * slot + 1];
    slot = (slot + 1) & c->mask;
  }
  if (c->used + 1 > c->limit) {
    fail(e, FAIL_NAME_TABLE);
    return 1;
  }
  c->slots[2 * slot] = off + 1;
  c->slots[2 * slot + 1] = 1;
  c->used++;
  return 1;
}

// The `___n` number of a type's name, counted in `c` the first time it is asked for (NameResolver.resolve).
static u32 resolve_suffix(struct emitter *e, u32 id, struct name_counter *c) {
  u32 known = e->suffix[id];
  if (known != 0) return known;
  u32 off = name_of_id(e, id);
  if (off == 0) return 1;
  u32 kind = kind_of_id(e, id);
  // Forward declarations and empty enums keep their name: they never define anything.
  u32 n = kind == K_FWD || (kind == K_ENUM && vlen_of_id(e, id) == 0) ? 1 : bump(e, c, off);
  if (n >= SUFFIX_LIMIT) {
    fail(e, FAIL_BIG_SUFFIX);
    return 1;
  }
  e->suffix[id] = (u16)n;
  return n;
}

static u32 tag_suffix(struct emitter *e, u32 id) {
  return resolve_suffix(e, id, &e->tags);
}
static u32 ident_suffix(struct emitter *e, u32 id) {
  return resolve_suffix(e, id, &e->idents);
}

static int is_ascii(const struct emitter *e, u32 off, u32 length) {
  for (u32 i = 0; i < length; i++)
    if (e->str[off + i] >= 0x80) return 0;
  return 1;
}

// The name at `off`, renamed `name___n` when n > 1 (DumpState.writeName). A renamed name longer than 255 is cut
// there, in UTF-16 units of the decoded text: for an ASCII name those are bytes; any other is left to the
// TypeScript.
static void write_name(struct emitter *e, u32 off, u32 n) {
  if (n <= 1) {
    put_name(e, off);
    return;
  }
  u32 length = name_length(e, off);
  int too_long = length + 3 + decimal_digits(n) > MAX_RENAMED_LENGTH;
  if (too_long && !is_ascii(e, off, length)) {
    fail(e, FAIL_LONG_NAME);
    return;
  }
  u32 start = e->out_len;
  put_name(e, off);
  LIT(e, "___");
  put_u64(e, n);
  if (too_long && e->failed == 0) e->out_len = start + MAX_RENAMED_LENGTH;
}

static void write_tag_name(struct emitter *e, u32 id) {
  u32 off = name_of_id(e, id);
  if (off != 0) write_name(e, off, tag_suffix(e, id));
}

static void write_ident_name(struct emitter *e, u32 id) {
  u32 off = name_of_id(e, id);
  if (off != 0) write_name(e, off, ident_suffix(e, id));
}

// ---- Sizes and alignments (layout.ts). ----

// btf__resolve_size: bytes of a type, or -1 where libbpf fails.
static i64 resolve_size(const struct emitter *e, u32 type_id) {
  const u32 *w = e->words;
  u32 id = type_id;
  u64 nelems = 1;
  i64 size = -1;
  for (u32 depth = 0; depth < MAX_RESOLVE_DEPTH && id != 0; depth++) {
    u32 kind = kind_of_id(e, id);
    u32 at = e->starts[id];
    if (kind == K_FWD) break;
    if (kind == K_INT || kind == K_STRUCT || kind == K_UNION || kind == K_ENUM || kind == K_ENUM64 ||
        kind == K_DATASEC || kind == K_FLOAT) {
      size = w[at + 2];
      break;
    }
    if (kind == K_PTR) {
      size = e->pointer_size;
      break;
    }
    if (kind == K_TYPEDEF || kind == K_VOLATILE || kind == K_CONST || kind == K_RESTRICT || kind == K_VAR ||
        kind == K_DECL_TAG || kind == K_TYPE_TAG) {
      id = w[at + 2];
    } else if (kind == K_ARRAY) {
      u32 count = w[at + 5];
      if (nelems != 0 && count > U32_MAX / nelems) return -1;
      nelems *= count;
      id = w[at + 3];
    } else {
      return -1;
    }
  }
  if (size < 0) return -1;
  if (nelems != 0 && (u64)size > U32_MAX / nelems) return -1;
  return (i64)(nelems * (u64)size);
}

static u32 align_of(struct emitter *e, u32 id, u32 depth);

static u32 compute_align(struct emitter *e, u32 id, u32 depth) {
  const u32 *w = e->words;
  u32 kind = kind_of_id(e, id);
  u32 at = e->starts[id];
  switch (kind) {
  case K_INT:
  case K_ENUM:
  case K_ENUM64:
  case K_FLOAT:
    return w[at + 2] < e->pointer_size ? w[at + 2] : e->pointer_size;
  case K_PTR:
    return e->pointer_size;
  case K_TYPEDEF:
  case K_VOLATILE:
  case K_CONST:
  case K_RESTRICT:
  case K_TYPE_TAG:
    return align_of(e, w[at + 2], depth + 1);
  case K_ARRAY:
    return align_of(e, w[at + 3], depth + 1);
  case K_STRUCT:
  case K_UNION: {
    u32 info = w[at + 1];
    u32 vlen = info & 0xffff;
    int bitfields = info >> 31;
    u32 max_align = 1;
    for (u32 i = 0, p = at + 3; i < vlen && e->failed == 0; i++, p += 3) {
      u32 align = align_of(e, w[p + 1], depth + 1);
      if (align == 0) return 0;
      if (align > max_align) max_align = align;
      u32 offset = w[p + 2];
      u32 bit_size = bitfields ? offset >> 24 : 0;
      u32 bit_offset = bitfields ? offset & 0xffffff : offset;
      // A field off its natural alignment can only come from a packed struct.
      if (bit_size == 0 && bit_offset % (8 * align) != 0) return 1;
    }
    if (w[at + 2] % max_align != 0) return 1;
    return max_align;
  }
  default:
    return 0;
  }
}

// btf__align_of, cached per id.
static u32 align_of(struct emitter *e, u32 id, u32 depth) {
  u32 cached = cached_align_plus_one(e, id);
  if (cached != 0) return cached - 1;
  if (depth > MAX_ALIGN_DEPTH) {
    fail(e, FAIL_TOO_DEEP);
    return 0;
  }
  u32 align = compute_align(e, id, depth);
  if (e->failed) return 0;
  cache_align(e, id, align);
  return align;
}

// Whether a struct needs __attribute__((packed)) to get its recorded layout (Layout.isStructPacked).
static int is_struct_packed(struct emitter *e, u32 id) {
  const u32 *w = e->words;
  u32 at = e->starts[id];
  u32 info = w[at + 1];
  u32 vlen = info & 0xffff;
  int bitfields = info >> 31;
  u32 max_align = 1;
  for (u32 i = 0, p = at + 3; i < vlen; i++, p += 3) {
    u32 align = align_of(e, w[p + 1], 0);
    u32 offset = w[p + 2];
    u32 bit_size = bitfields ? offset >> 24 : 0;
    // libbpf tests the raw offset word here, bitfield size bits included.
    if (align != 0 && bit_size == 0 && offset % (8 * align) != 0) return 1;
    if (align > max_align) max_align = align;
  }
  return w[at + 2] % max_align != 0;
}

// ---- Padding (padding.ts). Units: 0 long, 1 int, 2 short, 3 char; `long` is as wide as a pointer. ----

static u32 unit_bits(const struct emitter *e, u32 unit) {
  switch (unit) {
  case 0:
    return e->pointer_size == 4 ? 32 : 64;
  case 1:
    return 32;
  case 2:
    return 16;
  default:
    return 8;
  }
}

// One anonymous padding bitfield: `\n<tabs><unit>: <bits>;`.
static void write_unit(struct emitter *e, u32 tabs, u32 unit, i64 bits) {
  put_newline(e, tabs);
  switch (unit) {
  case 0:
    LIT(e, "long: ");
    break;
  case 1:
    LIT(e, "int: ");
    break;
  case 2:
    LIT(e, "short: ");
    break;
  default:
    LIT(e, "char: ");
    break;
  }
  put_i64(e, bits);
  put_byte(e, ';');
}

// The kernel's roundup() with C int division (truncating), on values that do not overflow 64 bits.
static i64 round_up(i64 value, i64 step) {
  return (value + step - 1) / step * step;
}

// Padding for the bits between `from` and `to` (writeBitPadding; same decisions, same order).
static void write_bit_padding(struct emitter *e, i32 from, i32 to, u32 next_align, int in_bitfield, u32 level) {
  if (from >= to) return;
  u32 pad = indent(level);
  i64 cur = from;
  // The widest unit whose next boundary does not overshoot the gap; the last (char) when none fits.
  u32 unit = 0;
  i64 new_offset = 0;
  for (; unit < 4; unit++) {
    new_offset = round_up(cur, unit_bits(e, unit));
    if (new_offset <= to) break;
  }
  if (unit == 4) unit = 3;
  i64 bits_per_unit = unit_bits(e, unit);

  if (new_offset > cur && new_offset <= to) {
    // The TypeScript's roundUp(cur, 0) is NaN, never equal: an unknown alignment always needs the jump.
    i64 next_align_bits = (i64)next_align * 8;
    int lands_naturally = next_align_bits != 0 && round_up(cur, next_align_bits) == new_offset;
    if (in_bitfield || (new_offset == to && !lands_naturally) ||
        (new_offset != to && to - new_offset <= new_offset - cur)) {
      write_unit(e, pad, unit, in_bitfield ? new_offset - cur : 0);
    }
    cur = new_offset;
  }

  if (to - cur > (i64)MAX_PADDING_LINES * bits_per_unit) {
    fail(e, FAIL_TOO_LARGE);
    return;
  }
  while (cur != to && e->failed == 0) {
    i64 bits = to - cur < bits_per_unit ? to - cur : bits_per_unit;
    if (bits == bits_per_unit) {
      write_unit(e, pad, unit, bits_per_unit);
      cur += bits;
      continue;
    }
    // The smallest unit that covers the remainder; it stays the unit from here on.
    for (i32 u = 3; u >= 0; u--) {
      unit = (u32)u;
      bits_per_unit = unit_bits(e, unit);
      if (bits_per_unit < bits) continue;
      write_unit(e, pad, unit, bits);
      cur += bits;
      break;
    }
  }
}

// ---- Definitions and declarations (definitions.ts, declarations.ts). ----

static void write_type_decl(struct emitter *e, u32 id, u32 name_off, u32 name_suffix, u32 level);

static void write_struct_forward(struct emitter *e, u32 id) {
  if (kind_of_id(e, id) == K_STRUCT) LIT(e, "struct");
  else LIT(e, "union");
  if (name_of_id(e, id) != 0) {
    put_byte(e, ' ');
    write_tag_name(e, id);
  }
}

static void write_struct_definition(struct emitter *e, u32 id, u32 level) {
  const u32 *w = e->words;
  u32 at = e->starts[id];
  u32 info = w[at + 1];
  u32 vlen = info & 0xffff;
  int bitfields = info >> 31;
  u32 size = w[at + 2];
  int is_struct = kind_of_id(e, id) == K_STRUCT;
  u32 align = align_of(e, id, 0);
  int packed = is_struct && is_struct_packed(e, id);
  if (e->failed) return;
  write_struct_forward(e, id);
  LIT(e, " {");

  u32 member_indent = indent(level + 1);
  // Bit offsets are C ints in libbpf: the sums wrap around at 32 bits, like the TypeScript's `| 0`.
  i32 offset = 0;
  int prev_bitfield = 0;
  for (u32 i = 0, p = at + 3; i < vlen && e->failed == 0; i++, p += 3) {
    u32 member_type = w[p + 1];
    u32 raw_offset = w[p + 2];
    u32 bit_size = bitfields ? raw_offset >> 24 : 0;
    i32 bit_offset = (i32)(bitfields ? raw_offset & 0xffffff : raw_offset);
    if (offset < bit_offset) {
      u32 member_align = packed ? 1 : align_of(e, member_type, 0);
      write_bit_padding(e, offset, bit_offset, member_align, prev_bitfield && bit_size != 0, level + 1);
    }
    put_newline(e, member_indent);
    write_type_decl(e, member_type, w[p], 1, level + 1);
    if (bit_size != 0) {
      LIT(e, ": ");
      put_u64(e, bit_size);
      offset = (i32)((u32)bit_offset + bit_size);
      prev_bitfield = 1;
    } else {
      i64 member_size = resolve_size(e, member_type);
      u32 bytes = member_size < 0 ? 0 : (u32)member_size;
      offset = (i32)((u32)bit_offset + bytes * 8u);
      prev_bitfield = 0;
    }
    put_byte(e, ';');
  }
  if (is_struct) write_bit_padding(e, offset, (i32)(size * 8u), align, 0, level + 1);
  // An empty struct stays on one line: `struct empty {}`.
  if (vlen != 0 || size != 0) put_newline(e, indent(level));
  put_byte(e, '}');
  if (packed) LIT(e, " __attribute__((packed))");
}

static void write_enum_forward(struct emitter *e, u32 id) {
  LIT(e, "enum ");
  write_tag_name(e, id);
}

// Enumerators share the identifier namespace with typedefs; a repeated one gets a `___n` suffix.
static void write_enumerator(struct emitter *e, u32 name_off) {
  write_name(e, name_off, bump(e, &e->idents, name_off));
}

static void write_enum_definition(struct emitter *e, u32 id, u32 level) {
  const u32 *w = e->words;
  u32 at = e->starts[id];
  u32 info = w[at + 1];
  u32 vlen = info & 0xffff;
  int is_signed = info >> 31;
  LIT(e, "enum");
  if (w[at] != 0) {
    put_byte(e, ' ');
    write_tag_name(e, id);
  }
  if (vlen == 0) return;
  LIT(e, " {");
  u32 value_indent = indent(level + 1);
  if (kind_of_id(e, id) == K_ENUM) {
    for (u32 i = 0, p = at + 3; i < vlen && e->failed == 0; i++, p += 2) {
      put_newline(e, value_indent);
      write_enumerator(e, w[p]);
      LIT(e, " = ");
      if (is_signed) put_i64(e, (i32)w[p + 1]);
      else put_u64(e, w[p + 1]);
      put_byte(e, ',');
    }
  } else {
    for (u32 i = 0, p = at + 3; i < vlen && e->failed == 0; i++, p += 3) {
      put_newline(e, value_indent);
      write_enumerator(e, w[p]);
      LIT(e, " = ");
      u64 value = ((u64)w[p + 2] << 32) | w[p + 1];
      if (is_signed) {
        put_i64(e, (i64)value);
        LIT(e, "LL,");
      } else {
        put_u64(e, value);
        LIT(e, "ULL,");
      }
    }
  }
  put_newline(e, indent(level));
  put_byte(e, '}');
}

static void write_fwd_definition(struct emitter *e, u32 id) {
  if (e->words[e->starts[id] + 1] >> 31) LIT(e, "union ");
  else LIT(e, "struct ");
  write_tag_name(e, id);
}

static void write_typedef_definition(struct emitter *e, u32 id, u32 level) {
  u32 target = e->words[e->starts[id] + 2];
  u32 name_off = name_of_id(e, id);
  u32 suffix = ident_suffix(e, id);
  // Old GCC emitted __gnuc_va_list as a typedef of void; libbpf repairs it to the builtin.
  if (target == 0 && suffix <= 1 && NAME_IS(e, name_off, "__gnuc_va_list")) {
    LIT(e, "typedef __builtin_va_list __gnuc_va_list");
    return;
  }
  LIT(e, "typedef ");
  write_type_decl(e, target, name_off, suffix, level);
}

// __builtin_va_list is the compiler's own; redefining it breaks compilation with another compiler.
static int is_compiler_builtin(const struct emitter *e, u32 id) {
  u32 off = name_of_id(e, id);
  return off != 0 && NAME_IS(e, off, "__builtin_va_list");
}

// Qualifiers sitting directly on top of a base type, written as a prefix; returns the new top.
static u32 write_leading_qualifiers(struct emitter *e, u32 base, u32 top) {
  while (top > base) {
    u32 kind = kind_of_id(e, e->decl[top - 1]);
    if (kind == K_VOLATILE) LIT(e, "volatile ");
    else if (kind == K_CONST) LIT(e, "const ");
    else if (kind == K_RESTRICT) LIT(e, "restrict ");
    else break;
    top--;
  }
  return top;
}

// Drops qualifiers and type tags on an array or function type.
static u32 drop_modifiers(const struct emitter *e, u32 base, u32 top) {
  while (top > base && is_modifier(kind_of_id(e, e->decl[top - 1]))) top--;
  return top;
}

static int has_name(const struct emitter *e, u32 name_off) {
  return name_off != 0 && !is_empty_name(e, name_off);
}

static void write_decl_name(struct emitter *e, u32 name_off, u32 name_suffix, int last_was_pointer) {
  if (!has_name(e, name_off)) return;
  if (!last_was_pointer) put_byte(e, ' ');
  write_name(e, name_off, name_suffix);
}

static void write_array_length(struct emitter *e, u32 elements) {
  put_byte(e, '[');
  put_u64(e, elements);
  put_byte(e, ']');
}

static void write_function_proto(struct emitter *e, u32 id, u32 base, u32 top, u32 name_off, u32 name_suffix,
                                 u32 level, int last_was_pointer);

// A declaration chain [base, top) of the stack, base type first (writeChain).
static void write_chain(struct emitter *e, u32 base, u32 top, u32 name_off, u32 name_suffix, u32 level) {
  const u32 *w = e->words;
  // `int ***` rather than `int * * *`; starts true so a lone pointer before a prototype prints as `(*name)`.
  int last_was_pointer = 1;
  while (top > base && e->failed == 0) {
    u32 id = e->decl[--top];
    if (id == 0) {
      top = write_leading_qualifiers(e, base, top);
      LIT(e, "void");
      last_was_pointer = 0;
      continue;
    }
    u32 kind = kind_of_id(e, id);
    u32 at = e->starts[id];
    switch (kind) {
    case K_INT:
    case K_FLOAT:
      top = write_leading_qualifiers(e, base, top);
      put_name(e, w[at]);
      break;
    case K_STRUCT:
    case K_UNION:
      top = write_leading_qualifiers(e, base, top);
      if (w[at] == 0) write_struct_definition(e, id, level);
      else write_struct_forward(e, id);
      break;
    case K_ENUM:
    case K_ENUM64:
      top = write_leading_qualifiers(e, base, top);
      if (w[at] == 0) write_enum_definition(e, id, level);
      else write_enum_forward(e, id);
      break;
    case K_FWD:
      top = write_leading_qualifiers(e, base, top);
      write_fwd_definition(e, id);
      break;
    case K_TYPEDEF:
      top = write_leading_qualifiers(e, base, top);
      write_ident_name(e, id);
      break;
    case K_PTR:
      if (last_was_pointer) put_byte(e, '*');
      else LIT(e, " *");
      break;
    case K_VOLATILE:
      LIT(e, " volatile");
      break;
    case K_CONST:
      LIT(e, " const");
      break;
    case K_RESTRICT:
      LIT(e, " restrict");
      break;
    case K_TYPE_TAG:
      top = write_leading_qualifiers(e, base, top);
      LIT(e, " __attribute__((btf_type_tag(\"");
      put_name(e, w[at]);
      LIT(e, "\")))");
      break;
    case K_ARRAY: {
      u32 elements = w[at + 5];
      top = drop_modifiers(e, base, top);
      if (top == base) {
        write_decl_name(e, name_off, name_suffix, last_was_pointer);
        write_array_length(e, elements);
        return;
      }
      // Arrays of arrays nest without parentheses: a[2][3].
      int multi_dimensional = kind_of_id(e, e->decl[top - 1]) == K_ARRAY;
      if (has_name(e, name_off) && !last_was_pointer) put_byte(e, ' ');
      if (!multi_dimensional) put_byte(e, '(');
      write_chain(e, base, top, name_off, name_suffix, level);
      if (!multi_dimensional) put_byte(e, ')');
      write_array_length(e, elements);
      return;
    }
    case K_FUNC_PROTO:
      write_function_proto(e, id, base, top, name_off, name_suffix, level, last_was_pointer);
      return;
    default:
      // FUNC, VAR, DATASEC, DECL_TAG have no C spelling inside a declaration.
      return;
    }
    last_was_pointer = kind == K_PTR;
  }
  write_decl_name(e, name_off, name_suffix, last_was_pointer);
}

static void write_function_proto(struct emitter *e, u32 id, u32 base, u32 top, u32 name_off, u32 name_suffix,
                                 u32 level, int last_was_pointer) {
  const u32 *w = e->words;
  u32 at = e->starts[id];
  u32 vlen = w[at + 1] & 0xffff;
  // GCC adds `volatile` to noreturn function pointers; dropped.
  u32 rest = drop_modifiers(e, base, top);
  if (rest > base) {
    LIT(e, " (");
    write_chain(e, base, rest, name_off, name_suffix, level);
    put_byte(e, ')');
  } else {
    write_decl_name(e, name_off, name_suffix, last_was_pointer);
  }
  put_byte(e, '(');
  // No parameters, or Clang's single void parameter: `f(void)`.
  if (vlen == 0 || (vlen == 1 && w[at + 4] == 0)) {
    LIT(e, "void)");
    return;
  }
  for (u32 i = 0, p = at + 3; i < vlen && e->failed == 0; i++, p += 2) {
    if (i > 0) LIT(e, ", ");
    // A trailing void parameter means varargs.
    if (i == vlen - 1 && w[p + 1] == 0) {
      LIT(e, "...");
      break;
    }
    write_type_decl(e, w[p + 1], w[p], 1, level);
  }
  put_byte(e, ')');
}

// The declaration of the name at `name_off` with type `id` (writeTypeDecl): push the chain down to its base type,
// then write it.
static void write_type_decl(struct emitter *e, u32 id, u32 name_off, u32 name_suffix, u32 level) {
  u32 base = e->decl_top;
  if (!enter(e)) return;
  // A chain longer than the number of types must revisit a type: a malformed pointer/modifier cycle.
  i64 guard = e->count;
  for (;;) {
    if (e->decl_top == e->decl_cap) {
      fail(e, FAIL_DECL_STACK);
      return;
    }
    e->decl[e->decl_top++] = id;
    if (id == 0) break;
    u32 kind = kind_of_id(e, id);
    if (kind == K_ARRAY) id = e->words[e->starts[id] + 3];
    else if (kind == K_PTR || kind == K_FUNC_PROTO || is_modifier(kind)) id = e->words[e->starts[id] + 2];
    else break;
    if (--guard < 0) {
      fail(e, FAIL_TOO_DEEP);
      return;
    }
  }
  write_chain(e, base, e->decl_top, name_off, name_suffix, level);
  e->decl_top = base;
  leave(e);
}

// ---- Emission (emit.ts). ----

// An int named like a GCC NEON base type stands for a standard type: 1..4 for which, 0 for none. Asking for the
// name registers it in the tag namespace, as libbpf does.
static u32 missing_base_type(struct emitter *e, u32 id) {
  u32 off = name_of_id(e, id);
  if (off == 0 || tag_suffix(e, id) > 1) return 0;
  if (NAME_IS(e, off, "__Poly8_t")) return 1;
  if (NAME_IS(e, off, "__Poly16_t")) return 2;
  if (NAME_IS(e, off, "__Poly64_t")) return 3;
  if (NAME_IS(e, off, "__Poly128_t")) return 4;
  return 0;
}

static void end_definition(struct emitter *e) {
  LIT(e, ";\n\n");
}

static void emit_type(struct emitter *e, u32 id, u32 container);

static void emit_struct(struct emitter *e, u32 id, u32 at, u32 container) {
  const u32 *w = e->words;
  int named = w[at] != 0;
  int top_level = container == 0;
  set_emit_state(e, id, EMITTING);
  if (top_level || !named) {
    // The body will be written out, so its member types need their declarations first. An anonymous body
    // belongs to the enclosing container.
    u32 inner = named ? id : container;
    u32 vlen = w[at + 1] & 0xffff;
    for (u32 i = 0, p = at + 4; i < vlen && e->failed == 0; i++, p += 3) emit_type(e, w[p], inner);
  } else if (!forward_done(e, id) && id != container) {
    write_struct_forward(e, id);
    end_definition(e);
    set_forward_done(e, id);
  }
  if (top_level) {
    write_struct_definition(e, id, 0);
    end_definition(e);
    set_emit_state(e, id, EMITTED);
  } else {
    set_emit_state(e, id, NOT_EMITTED);
  }
}

// A type met again while its own definition is being prepared: a forward declaration may be due.
static void emit_forward_while_emitting(struct emitter *e, u32 id, u32 kind, u32 container) {
  if (forward_done(e, id)) return;
  if (kind == K_STRUCT || kind == K_UNION) {
    if (id == container || name_of_id(e, id) == 0) return;
    write_struct_forward(e, id);
    end_definition(e);
    set_forward_done(e, id);
  } else if (kind == K_TYPEDEF) {
    if (!is_compiler_builtin(e, id)) {
      write_typedef_definition(e, id, 0);
      end_definition(e);
    }
    set_forward_done(e, id);
  }
}

static void emit_type(struct emitter *e, u32 id, u32 container) {
  u32 state = emit_state_of(e, id);
  if (state == EMITTED) return;
  const u32 *w = e->words;
  u32 kind = kind_of_id(e, id);
  u32 at = e->starts[id];
  if (state == EMITTING) {
    emit_forward_while_emitting(e, id, kind, container);
    return;
  }
  if (!enter(e)) return;
  switch (kind) {
  case K_INT: {
    u32 alias = missing_base_type(e, id);
    if (alias != 0) {
      if (alias == 1) LIT(e, "typedef unsigned char ");
      else if (alias == 2) LIT(e, "typedef unsigned short ");
      else if (alias == 3) LIT(e, "typedef unsigned long long ");
      else LIT(e, "typedef unsigned __int128 ");
      write_tag_name(e, id);
      end_definition(e);
    }
    set_emit_state(e, id, EMITTED);
    break;
  }
  case K_ENUM:
  case K_ENUM64:
    if (container == 0) {
      write_enum_definition(e, id, 0);
      end_definition(e);
    }
    set_emit_state(e, id, EMITTED);
    break;
  case K_PTR:
  case K_VOLATILE:
  case K_CONST:
  case K_RESTRICT:
  case K_TYPE_TAG:
    emit_type(e, w[at + 2], container);
    break;
  case K_ARRAY:
    emit_type(e, w[at + 3], container);
    break;
  case K_FWD:
    write_fwd_definition(e, id);
    end_definition(e);
    set_emit_state(e, id, EMITTED);
    break;
  case K_TYPEDEF:
    set_emit_state(e, id, EMITTING);
    emit_type(e, w[at + 2], id);
    // Someone may already have needed this typedef as a forward declaration and got it written.
    if (!forward_done(e, id) && !is_compiler_builtin(e, id)) {
      write_typedef_definition(e, id, 0);
      end_definition(e);
    }
    set_emit_state(e, id, EMITTED);
    break;
  case K_STRUCT:
  case K_UNION:
    emit_struct(e, id, at, container);
    break;
  case K_FUNC_PROTO: {
    emit_type(e, w[at + 2], container);
    u32 vlen = w[at + 1] & 0xffff;
    for (u32 i = 0, p = at + 4; i < vlen && e->failed == 0; i++, p += 2) emit_type(e, w[p], container);
    break;
  }
  default:
    // FLOAT needs nothing; FUNC, VAR, DATASEC and DECL_TAG are not part of a C header.
    break;
  }
  leave(e);
}

// ---- Exports. ----

// Name table slots for `expected` names, as NameCounter sizes them (load at most 3/4, never grown).
static u32 table_slots(u32 expected) {
  u32 slots = 1024;
  while ((u64)slots * 3 < (u64)expected * 4) slots *= 2;
  return slots;
}

static void setup_counter(struct name_counter *c, u32 *slots, u32 expected) {
  u32 n = table_slots(expected);
  for (u32 i = 0; i < 2 * n; i++) slots[i] = 0;
  c->slots = slots;
  c->mask = n - 1;
  c->used = 0;
  c->limit = n / 4 * 3;
}

// Prepares the name tables (sized like NameResolver, in the caller's area), the ordering state of `p` and the
// per-run scalars, in one pass over the types that also finds the end of the names the dump can print (head names
// of the kinds it writes, member, enumerator and parameter names). The string section need not be in place yet:
// the caller copies it up to there (vmlinux keeps its function, variable and section names, which a C header never
// prints, after the type names: almost half the section need not be faulted in). The per-type arrays must be
// zeroed by the caller. Returns the offset of that last name; `failed` is set when the area is too small.
__attribute__((export_name("emit_setup"))) u32 emit_setup(struct emitter *e, struct plan *p) {
  const u32 *w = e->words;
  u32 tags = 0, idents = 0, last_name = 0;
  for (u32 id = 1; id < e->count; id++) {
    u32 at = e->starts[id];
    u32 info = w[at + 1];
    u32 kind = kind_of(info);
    u32 vlen = info & 0xffff;
    u32 stride = 0;
    switch (kind) {
    case K_FUNC:
    case K_VAR:
    case K_DATASEC:
    case K_DECL_TAG:
      continue;
    case K_TYPEDEF:
      idents++;
      break;
    case K_ENUM:
    case K_ENUM64:
      tags++;
      idents += vlen;
      stride = kind == K_ENUM ? 2 : 3;
      break;
    case K_STRUCT:
    case K_UNION:
      tags++;
      stride = 3;
      break;
    case K_INT:
      tags++;
      break;
    case K_FUNC_PROTO:
      stride = 2;
      break;
    default:
      break;
    }
    if (w[at] > last_name) last_name = w[at];
    for (u32 i = 0, m = at + 3; i < vlen && stride != 0; i++, m += stride)
      if (w[m] > last_name) last_name = w[m];
  }
  u32 tag_words = 2 * table_slots(tags);
  u32 ident_words = 2 * table_slots(idents);
  if ((u64)tag_words + ident_words > e->names_area_words) {
    fail(e, FAIL_NAME_TABLE);
    return 0;
  }
  setup_counter(&e->tags, e->names_area, tags);
  setup_counter(&e->idents, e->names_area + tag_words, idents);
  set_emit_state(e, 0, EMITTED);
  e->decl_top = 0;
  e->nesting = 0;
  e->failed = 0;
  mark_referenced(p->words, p->starts, e->count, (u8 *)p->referenced);
  p->order[0] = ORDERED;
  p->queue_end = 0;
  p->nesting = 0;
  return last_name;
}

// Dumps top-level ids from `id` on, each as libbpf does (btf_dump__dump_type): order it, which queues what it
// needs (dump-c-order.c, with the state in `p`), then emit the queue. Stops once at least CHUNK_SIZE bytes are
// buffered after a complete id, or at `end`. Returns the next id to dump; `failed` says whether it gave up.
__attribute__((export_name("emit_types"))) u32 emit_types(struct emitter *e, struct plan *p, u32 id, u32 end) {
  while (id < end) {
    p->queue_end = 0;
    if (order_type(p, id, 0) == GIVE_UP) {
      fail(e, FAIL_ORDER);
      return id;
    }
    for (u32 i = 0; i < p->queue_end; i++) {
      emit_type(e, p->queue[i], 0);
      if (e->failed) return id;
    }
    id++;
    if (e->out_len >= CHUNK_SIZE) break;
  }
  return id;
}

