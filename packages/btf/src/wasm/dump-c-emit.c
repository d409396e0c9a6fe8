// Twin of wasm/dump-c-emit.ts (its loader): the whole-BTF C dump as one WebAssembly module, compiled by
// scripts/gen-btf-wasm.mjs. The emission phase of the C dump (dump-c/emit.ts, definitions.ts, declarations.ts,
// padding.ts, layout.ts, names.ts and the byte writer) lives in dump-c-emit/, one file per TypeScript twin; this
// file includes them as one translation unit (no linker needed, see the script) and holds the exports. In a
// fresh process the TypeScript emitter runs unoptimized for most of one vmlinux dump while the optimizing compiler
// catches up; this copy runs compiled from the first type. The TypeScript files are the specification: every
// function mirrors one there, in the same order of name resolution and with the same arithmetic, so the bytes are
// identical (emit-wasm.test.ts holds the two together).
//
// The ordering pass (dump-c-order.c) is included so that one instance, in one memory, orders and emits, type by
// type like libbpf: no plan of the whole dump is kept. Anything the TypeScript would turn into a BtfDumpError
// (a cycle, too deep, too large), and anything this copy does not handle (an output buffer too small for one
// top-level type, a non-ASCII renamed identifier past 255 bytes, a full table), sets `failed`, and the caller
// redoes the whole dump in TypeScript, which reports the exact error after the exact partial output.
//
// Like the other modules here: no data segments, no static variables, no address-taken locals.

#include "dump-c-order.c"
#include "dump-c-emit/state.h"
#include "dump-c-emit/writer.h"
#include "dump-c-emit/names.c"
#include "dump-c-emit/layout.c"
#include "dump-c-emit/padding.c"
#include "dump-c-emit/definitions.c"
#include "dump-c-emit/declarations.c"
#include "dump-c-emit/emit.c"

// Chunks are handed out once at least this much is buffered after a complete top-level type (dump.ts CHUNK_SIZE).
#define CHUNK_SIZE (64 * 1024)

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
