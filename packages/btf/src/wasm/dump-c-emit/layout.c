// Twin of dump-c/layout.ts (Layout: btf__resolve_size, btf__align_of, packed detection).

// layout.ts limits.
#define MAX_RESOLVE_DEPTH 32
#define MAX_ALIGN_DEPTH 1000
#define U32_MAX 0xffffffffu

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
