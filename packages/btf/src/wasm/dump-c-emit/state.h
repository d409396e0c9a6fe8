// Twin of dump-c/state.ts (DumpState), with the type-table.ts and kinds.ts accessors the emitter uses.
// Shared by every file of the dump-c-emit.c unity build, which includes dump-c-order.c (u32, u8, K_*) first.
#pragma once

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

// Nesting guard (DumpState enter/leave).
static int enter(struct emitter *e) {
  if (++e->nesting > MAX_NESTING) fail(e, FAIL_TOO_DEEP);
  return e->failed == 0;
}
static void leave(struct emitter *e) {
  e->nesting--;
}
