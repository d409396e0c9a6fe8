// The hot loops of Btf.parse for large BTF (vmlinux), compiled to WebAssembly by scripts/gen-btf-wasm.mjs.
// WebAssembly runs at full speed from the first iteration, while the same loop in JavaScript spends most of a
// one-shot parse in the interpreter waiting for the optimizing compiler. The checks mirror fastScan in scan.ts
// exactly; when anything is off the caller re-runs the JavaScript diagnosis for a precise BtfError.
//
// No data segments (lookup tables are packed into integer constants) and no stack use, so the compiled object
// runs without a linker: it only imports its memory.

typedef unsigned int u32;
typedef unsigned long long u64;

// Two bits per kind (kind k at bits 2k..2k+1).
#define F2(k, v) ((u64)(v) << ((k) * 2))
// Extra words before the vlen records: INT 1, ARRAY 3, VAR 1, DECL_TAG 1.
#define FIXED_WORDS (F2(1, 1) | F2(3, 3) | F2(14, 1) | F2(17, 1))
// Words per vlen record: STRUCT/UNION/DATASEC/ENUM64 3, ENUM/FUNC_PROTO 2.
#define RECORD_WORDS (F2(4, 3) | F2(5, 3) | F2(6, 2) | F2(13, 2) | F2(15, 3) | F2(19, 3))
// Record contents: 1 name + type (STRUCT, UNION, FUNC_PROTO), 2 name (ENUM, ENUM64), 3 type (DATASEC).
#define RECORD_SHAPE (F2(4, 1) | F2(5, 1) | F2(13, 1) | F2(6, 2) | F2(19, 2) | F2(15, 3))
// Third header word: 2 a chain link (see cycles.ts), 1 another type id (FUNC_PROTO's return type).
#define HEADER_REF \
  (F2(2, 2) | F2(8, 2) | F2(9, 2) | F2(10, 2) | F2(11, 2) | F2(12, 2) | F2(14, 2) | F2(17, 2) | F2(18, 2) | F2(13, 1))
#define BIT(k) (1u << (k))
#define KNOWN_KINDS 0x000ffffeu
#define KIND_FLAG_OK (BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(17) | BIT(18) | BIT(19))
#define INFO_RESERVED 0x60ff0000u
#define INT_RESERVED 0xf000ff00u

static inline u32 field(u64 table, u32 kind) { return (u32)(table >> (kind * 2)) & 3; }

// Returns the number of types, or -1 when anything is malformed. starts[i] = word index of type i;
// fwd[0..out[0]) = own indexes whose chain link points at the same or a later id.
__attribute__((export_name("scan"))) int scan(const u32 *w, u32 total, u32 *starts, u32 *fwd, u32 *out,
                                               u32 string_end, u32 first_id) {
  u32 pos = 0, count = 0, bad = 0, max_name = 0, max_ref = 0, nfwd = 0;
  while (pos < total) {
    if (total - pos < 3) return -1;
    u32 name = w[pos], info = w[pos + 1], kind = (info >> 24) & 31, vlen = info & 0xffff;
    if (!(KNOWN_KINDS & BIT(kind))) return -1;
    u32 per = field(RECORD_WORDS, kind);
    bad |= info & INFO_RESERVED;
    if ((info >> 31) && !(KIND_FLAG_OK & BIT(kind))) bad = 1;
    if (per == 0 && vlen != 0 && !(kind == 12 && vlen <= 2)) bad = 1;
    if (name > max_name) max_name = name;
    u32 href = field(HEADER_REF, kind);
    if (href) {
      u32 ref = w[pos + 2];
      if (ref > max_ref) max_ref = ref;
      if (href == 2 && ref >= first_id + count) fwd[nfwd++] = count;
    }
    starts[count++] = pos;
    u32 records = pos + 3 + field(FIXED_WORDS, kind);
    // per <= 3 and vlen <= 0xffff: the product cannot overflow, and no division runs per record.
    if (records > total || per * vlen > total - records) return -1;
    u32 end = records + per * vlen;
    switch (field(RECORD_SHAPE, kind)) {
      case 1:
        for (u32 i = records; i < end; i += per) {
          if (w[i] > max_name) max_name = w[i];
          if (w[i + 1] > max_ref) max_ref = w[i + 1];
        }
        break;
      case 2:
        for (u32 i = records; i < end; i += per)
          if (w[i] > max_name) max_name = w[i];
        break;
      case 3:
        for (u32 i = records; i < end; i += per)
          if (w[i] > max_ref) max_ref = w[i];
        break;
      default:
        if (kind == 3) {
          if (w[end - 3] > max_ref) max_ref = w[end - 3];
          if (w[end - 2] > max_ref) max_ref = w[end - 2];
          if (w[end - 3] >= first_id + count - 1) fwd[nfwd++] = count - 1;
        } else if (kind == 1) {
          bad |= w[end - 1] & INT_RESERVED;
        }
    }
    pos = end;
  }
  out[0] = nfwd;
  if (bad || max_name >= string_end || max_ref >= first_id + count) return -1;
  return (int)count;
}

// Word (after the record start) holding the chain link of a kind, 0 when the kind ends chains.
#define LINK_WORD \
  (F2(2, 2) | F2(8, 2) | F2(9, 2) | F2(10, 2) | F2(11, 2) | F2(18, 2) | F2(12, 2) | F2(14, 2) | F2(17, 2) | F2(3, 3))

static inline u32 link_word(const u32 *w, u32 start) { return field(LINK_WORD, (w[start + 1] >> 24) & 31); }

// Colours chains from each forward link (state: 0 unseen, 1 on the current path, 2 ends). Returns -1 when no
// chain loops, else the own index of a type on a loop.
__attribute__((export_name("cycles"))) int cycles(const u32 *w, const u32 *starts, u32 count, const u32 *fwd,
                                                   u32 nfwd, unsigned char *state, u32 first_id) {
  for (u32 k = 0; k < nfwd; k++) {
    u32 i = fwd[k];
    if (state[i]) continue;
    u32 cur = i;
    for (;;) {
      if (state[cur] == 2) break;
      if (state[cur] == 1) return (int)cur;
      u32 link = link_word(w, starts[cur]);
      if (!link) {
        state[cur] = 2;
        break;
      }
      state[cur] = 1;
      u32 next = w[starts[cur] + link];
      if (next < first_id) break;
      cur = next - first_id;
    }
    cur = i;
    while (state[cur] == 1) {
      state[cur] = 2;
      u32 next = w[starts[cur] + link_word(w, starts[cur])];
      if (next < first_id) break;
      cur = next - first_id;
    }
  }
  return -1;
}

// The name index of name-index.ts for a BTF whose names all live in its own string section: FNV-1a hash of each
// type's name bytes into an open-addressing table (slot_hash / slot_head, chains in next, ids ascending).
__attribute__((export_name("hash_names"))) void hash_names(const u32 *w, const u32 *starts, u32 count,
                                                           const unsigned char *str, u32 str_len, u32 *slot_hash,
                                                           u32 *slot_head, u32 *next, u32 mask) {
  for (u32 local = count; local-- > 0;) {
    u32 off = w[starts[local]];
    if (off == 0 || off >= str_len) continue;
    u32 h = 0x811c9dc5u;
    for (u32 i = off; i < str_len && str[i]; i++) h = (h ^ str[i]) * 16777619u;
    u32 s = h & mask;
    while (slot_head[s] != 0 && slot_hash[s] != h) s = (s + 1) & mask;
    slot_hash[s] = h;
    next[local] = slot_head[s];
    slot_head[s] = local + 1;
  }
}
