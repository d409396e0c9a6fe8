// The ordering pass of the C dump (dump-c/order.ts, libbpf's btf_dump_order_type) for a whole-BTF dump, compiled
// to WebAssembly by scripts/gen-btf-wasm.mjs. In a fresh process the recursive JavaScript walk runs in the
// interpreter for most of the dump while the optimizing compiler works on its large, deeply inlined graph; this
// copy runs at full speed from the first type. It also marks which types are referenced (state.ts). The result
// is a plan: every queued id in emission order plus, per top-level id, where its queue ends. Anything unusual
// (a cycle, too deep a nesting, an unknown kind) makes it give up, and the caller runs the JavaScript pass,
// which reports the exact error after the exact partial output.
//
// Like the other modules here: no data segments, no static variables, no address-taken locals, so the object
// needs no linker and only imports its memory.

typedef unsigned int u32;
typedef unsigned char u8;

enum {
  K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5, K_ENUM = 6, K_FWD = 7, K_TYPEDEF = 8,
  K_VOLATILE = 9, K_CONST = 10, K_RESTRICT = 11, K_FUNC = 12, K_FUNC_PROTO = 13, K_VAR = 14, K_DATASEC = 15,
  K_FLOAT = 16, K_DECL_TAG = 17, K_TYPE_TAG = 18, K_ENUM64 = 19
};

enum { ORDERING = 1, ORDERED = 2 };

// Same bound as MAX_NESTING in state.ts: deeper means a malformed cycle, and the JavaScript pass reports it.
#define MAX_NESTING 1000
// Returned by order_type when the pass gives up.
#define GIVE_UP (-1)

// Shared by the whole walk; lives in the module's memory at an address the caller picks.
struct plan {
  const u32 *words;
  const u32 *starts;
  u8 *order;
  const u8 *referenced;
  u32 *queue;
  u32 queue_end;
  u32 nesting;
};

static u32 kind_of(u32 info) { return (info >> 24) & 0x1f; }

static int order_type(struct plan *p, u32 id, int through_pointer);

// One kind's rule; returns 1 for a strong link, 0 for a weak one, GIVE_UP on anything odd.
static int order_kind(struct plan *p, u32 id, u32 kind, u32 at, int through_pointer) {
  const u32 *w = p->words;
  switch (kind) {
  case K_INT:
  case K_FLOAT:
    p->order[id] = ORDERED;
    return 0;
  case K_PTR: {
    int strong = order_type(p, w[at + 2], 1);
    if (strong == GIVE_UP) return GIVE_UP;
    p->order[id] = ORDERED;
    return strong;
  }
  case K_ARRAY:
    return order_type(p, w[at + 3], 0);
  case K_STRUCT:
  case K_UNION: {
    if (through_pointer && w[at] != 0) return 0;
    p->order[id] = ORDERING;
    u32 vlen = w[at + 1] & 0xffff;
    for (u32 i = 0, m = at + 4; i < vlen; i++, m += 3)
      if (order_type(p, w[m], 0) == GIVE_UP) return GIVE_UP;
    if (w[at] != 0) p->queue[p->queue_end++] = id;
    p->order[id] = ORDERED;
    return 1;
  }
  case K_ENUM:
  case K_ENUM64:
  case K_FWD:
    if (w[at] != 0 || p->referenced[id] == 0) p->queue[p->queue_end++] = id;
    p->order[id] = ORDERED;
    return 1;
  case K_TYPEDEF: {
    int strong = order_type(p, w[at + 2], through_pointer);
    if (strong == GIVE_UP) return GIVE_UP;
    if (through_pointer && !strong) return 0;
    p->queue[p->queue_end++] = id;
    p->order[id] = ORDERED;
    return 1;
  }
  case K_VOLATILE:
  case K_CONST:
  case K_RESTRICT:
  case K_TYPE_TAG:
    return order_type(p, w[at + 2], through_pointer);
  case K_FUNC_PROTO: {
    int strong = order_type(p, w[at + 2], through_pointer);
    if (strong == GIVE_UP) return GIVE_UP;
    u32 vlen = w[at + 1] & 0xffff;
    for (u32 i = 0, m = at + 4; i < vlen; i++, m += 2) {
      int link = order_type(p, w[m], through_pointer);
      if (link == GIVE_UP) return GIVE_UP;
      if (link) strong = 1;
    }
    return strong;
  }
  case K_FUNC:
  case K_VAR:
  case K_DATASEC:
  case K_DECL_TAG:
    p->order[id] = ORDERED;
    return 0;
  default:
    return GIVE_UP;
  }
}

static int order_type(struct plan *p, u32 id, int through_pointer) {
  u8 state = p->order[id];
  if (state == ORDERED) return 1;
  u32 at = p->starts[id];
  u32 kind = kind_of(p->words[at + 1]);
  if (state == ORDERING) {
    if ((kind == K_STRUCT || kind == K_UNION) && through_pointer && p->words[at] != 0) return 0;
    return GIVE_UP;
  }
  if (++p->nesting > MAX_NESTING) return GIVE_UP;
  int strong = order_kind(p, id, kind, at, through_pointer);
  p->nesting--;
  return strong;
}

// Sets referenced[id] for every type another type points at (prototype return types excepted), like
// DumpState.markReferenced. `referenced` must be zeroed.
static void mark_referenced(const u32 *w, const u32 *starts, u32 count, u8 *referenced) {
  for (u32 id = 1; id < count; id++) {
    u32 at = starts[id];
    u32 info = w[at + 1];
    u32 kind = kind_of(info);
    u32 vlen = info & 0xffff;
    switch (kind) {
    case K_ARRAY:
      referenced[w[at + 4]] = 1;
      referenced[w[at + 3]] = 1;
      break;
    case K_STRUCT:
    case K_UNION:
      for (u32 i = 0, m = at + 4; i < vlen; i++, m += 3) referenced[w[m]] = 1;
      break;
    case K_FUNC_PROTO:
      for (u32 i = 0, m = at + 4; i < vlen; i++, m += 2) referenced[w[m]] = 1;
      break;
    case K_DATASEC:
      for (u32 i = 0, m = at + 3; i < vlen; i++, m += 3) referenced[w[m]] = 1;
      break;
    case K_PTR:
    case K_TYPEDEF:
    case K_VOLATILE:
    case K_CONST:
    case K_RESTRICT:
    case K_FUNC:
    case K_VAR:
    case K_DECL_TAG:
    case K_TYPE_TAG:
      referenced[w[at + 2]] = 1;
      break;
    default:
      break;
    }
  }
}

// Plans the dump of ids 1..count-1 into `p` (words, starts, order, referenced, queue set by the caller; order and
// referenced zeroed) and `ends` (ends[id]: queue length after ordering id). Returns 0, or the id where it gave up.
__attribute__((export_name("plan_dump"))) u32 plan_dump(struct plan *p, u32 count, u32 *ends) {
  mark_referenced(p->words, p->starts, count, (u8 *)p->referenced);
  p->order[0] = ORDERED;
  p->queue_end = 0;
  p->nesting = 0;
  for (u32 id = 1; id < count; id++) {
    if (order_type(p, id, 0) == GIVE_UP) return id;
    ends[id] = p->queue_end;
  }
  return 0;
}
