// The raw text and JSON dumps (`bpftool [-j] btf dump file F`) of a base BTF in WebAssembly, compiled by
// scripts/gen-btf-wasm.mjs. They write exactly the bytes of dump-raw.ts / dump-json.ts (differential tests
// hold them together); the TypeScript writers stay the reference and handle what this does not (split BTF,
// oversized types). A one-shot dump of vmlinux in JavaScript spends most of its time before the optimizing
// compiler has caught up; this runs at full speed at once. No data segments, no stack: constants are immediate
// stores.

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned char u8;

// Constant text as immediate byte stores (the loop is fully unrolled and the literal folded away), so the
// module keeps no data segment.
#define LIT(o, pos, s) put_lit((o), (pos), (s), (u32)(sizeof(s) - 1))
static inline __attribute__((always_inline)) u32 put_lit(u8 *o, u32 pos, const char *s, u32 n) {
#pragma clang loop unroll(full)
  for (u32 k = 0; k < 32; k++) {
    if (k == n) break;
    o[pos + k] = (u8)s[k];
  }
  return pos + n;
}

static inline u32 digits32(u32 v) {
  u32 n = 1;
  while (v >= 10) { v /= 10; n++; }
  return n;
}
static u32 put_u32(u8 *o, u32 pos, u32 v) {
  u32 n = digits32(v), end = pos + n;
  do { o[--end] = (u8)('0' + v % 10); v /= 10; } while (v);
  return pos + n;
}
static u32 put_i32(u8 *o, u32 pos, int v) {
  if (v < 0) { o[pos++] = '-'; return put_u32(o, pos, (u32)(-(long long)v)); }
  return put_u32(o, pos, (u32)v);
}
static u32 put_u64(u8 *o, u32 pos, u64 v) {
  u32 n = 1; for (u64 t = v; t >= 10; t /= 10) n++;
  u32 end = pos + n;
  do { o[--end] = (u8)('0' + v % 10); v /= 10; } while (v);
  return pos + n;
}
static u32 put_i64(u8 *o, u32 pos, long long v) {
  if (v < 0) { o[pos++] = '-'; return put_u64(o, pos, (u64)0 - (u64)v); }
  return put_u64(o, pos, (u64)v);
}
static u32 put_name(u8 *o, u32 pos, const u8 *str, u32 str_len, u32 off) {
  if (off == 0) return LIT(o, pos, "(anon)");
  if (off >= str_len) return LIT(o, pos, "(invalid)");
  for (u32 i = off; i < str_len && str[i]; i++) o[pos++] = str[i];
  return pos;
}
static u32 put_kind(u8 *o, u32 pos, u32 kind) {
  switch (kind) {
    case 1: return LIT(o, pos, "INT");
    case 2: return LIT(o, pos, "PTR");
    case 3: return LIT(o, pos, "ARRAY");
    case 4: return LIT(o, pos, "STRUCT");
    case 5: return LIT(o, pos, "UNION");
    case 6: return LIT(o, pos, "ENUM");
    case 7: return LIT(o, pos, "FWD");
    case 8: return LIT(o, pos, "TYPEDEF");
    case 9: return LIT(o, pos, "VOLATILE");
    case 10: return LIT(o, pos, "CONST");
    case 11: return LIT(o, pos, "RESTRICT");
    case 12: return LIT(o, pos, "FUNC");
    case 13: return LIT(o, pos, "FUNC_PROTO");
    case 14: return LIT(o, pos, "VAR");
    case 15: return LIT(o, pos, "DATASEC");
    case 16: return LIT(o, pos, "FLOAT");
    case 17: return LIT(o, pos, "DECL_TAG");
    case 18: return LIT(o, pos, "TYPE_TAG");
    case 19: return LIT(o, pos, "ENUM64");
    default: return LIT(o, pos, "UNKNOWN");
  }
}
static u32 put_linkage(u8 *o, u32 pos, u32 l) {
  switch (l) {
    case 0: return LIT(o, pos, "static");
    case 1: return LIT(o, pos, "global");
    case 2: return LIT(o, pos, "extern");
    default: return LIT(o, pos, "(unknown)");
  }
}
static u32 put_int_enc(u8 *o, u32 pos, u32 e) {
  switch (e) {
    case 0: return LIT(o, pos, "(none)");
    case 1: return LIT(o, pos, "SIGNED");
    case 2: return LIT(o, pos, "CHAR");
    case 4: return LIT(o, pos, "BOOL");
    default: return LIT(o, pos, "UNKN");
  }
}

// Length of the longest string in the section (bounds the bytes one line can take).
__attribute__((export_name("max_string"))) u32 max_string(const u8 *str, u32 str_len) {
  u32 best = 0, run = 0;
  for (u32 i = 0; i < str_len; i++) {
    if (str[i]) run++;
    else {
      if (run > best) best = run;
      run = 0;
    }
  }
  return run > best ? run : best;
}

// Writes the lines of own types [id, end_id) into o (capacity cap) while the next type surely fits; returns the
// next id to write and stores the bytes written in out[0]. A type that cannot fit even an empty buffer is left
// to the caller (returned id unchanged, nothing written).
__attribute__((export_name("dump_raw"))) u32 dump_raw(const u32 *w, const u32 *starts, u32 first_id, u32 id,
                                                     u32 end_id, const u8 *str, u32 str_len, u32 max_name, u8 *o,
                                                     u32 cap, u32 *out) {
  u32 pos = 0;
  for (; id < end_id; id++) {
    u32 p = starts[id - first_id];
    u32 info = w[p + 1], kind = (info >> 24) & 31, vlen = info & 0xffff;
    // Worst case: each line holds at most two names (datasec entries) and ~100 bytes of text and numbers.
    u64 need = (u64)(vlen + 1) * (128 + 2 * (u64)max_name);
    if (pos + need > cap) break;
    o[pos++] = '[';
    pos = put_u32(o, pos, id);
    pos = LIT(o, pos, "] ");
    pos = put_kind(o, pos, kind);
    pos = LIT(o, pos, " '");
    pos = put_name(o, pos, str, str_len, w[p]);
    o[pos++] = '\'';
    switch (kind) {
      case 1: {
        u32 d = w[p + 3];
        pos = LIT(o, pos, " size=");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, " bits_offset=");
        pos = put_u32(o, pos, (d >> 16) & 0xff);
        pos = LIT(o, pos, " nr_bits=");
        pos = put_u32(o, pos, d & 0xff);
        pos = LIT(o, pos, " encoding=");
        pos = put_int_enc(o, pos, (d >> 24) & 0xf);
        break;
      }
      case 2: case 8: case 9: case 10: case 11: case 18:
        pos = LIT(o, pos, " type_id=");
        pos = put_u32(o, pos, w[p + 2]);
        break;
      case 3:
        pos = LIT(o, pos, " type_id=");
        pos = put_u32(o, pos, w[p + 3]);
        pos = LIT(o, pos, " index_type_id=");
        pos = put_u32(o, pos, w[p + 4]);
        pos = LIT(o, pos, " nr_elems=");
        pos = put_u32(o, pos, w[p + 5]);
        break;
      case 4: case 5: {
        u32 kf = info >> 31;
        pos = LIT(o, pos, " size=");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, " vlen=");
        pos = put_u32(o, pos, vlen);
        for (u32 i = p + 3, e = p + 3 + vlen * 3; i < e; i += 3) {
          u32 off = w[i + 2];
          pos = LIT(o, pos, "\n\t'");
          pos = put_name(o, pos, str, str_len, w[i]);
          pos = LIT(o, pos, "' type_id=");
          pos = put_u32(o, pos, w[i + 1]);
          pos = LIT(o, pos, " bits_offset=");
          pos = put_u32(o, pos, kf ? off & 0xffffff : off);
          if (kf && (off >> 24)) {
            pos = LIT(o, pos, " bitfield_size=");
            pos = put_u32(o, pos, off >> 24);
          }
        }
        break;
      }
      case 6: case 19: {
        u32 sgn = info >> 31;
        if (sgn) pos = LIT(o, pos, " encoding=SIGNED size=");
        else pos = LIT(o, pos, " encoding=UNSIGNED size=");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, " vlen=");
        pos = put_u32(o, pos, vlen);
        u32 stride = kind == 6 ? 2 : 3;
        for (u32 i = p + 3, e = p + 3 + vlen * stride; i < e; i += stride) {
          pos = LIT(o, pos, "\n\t'");
          pos = put_name(o, pos, str, str_len, w[i]);
          pos = LIT(o, pos, "' val=");
          if (kind == 6) {
            if (sgn) pos = put_i32(o, pos, (int)w[i + 1]);
            else pos = put_u32(o, pos, w[i + 1]);
          } else {
            u64 v = ((u64)w[i + 2] << 32) | w[i + 1];
            if (sgn) { pos = put_i64(o, pos, (long long)v); pos = LIT(o, pos, "LL"); }
            else { pos = put_u64(o, pos, v); pos = LIT(o, pos, "ULL"); }
          }
        }
        break;
      }
      case 7:
        if (info >> 31) pos = LIT(o, pos, " fwd_kind=union");
        else pos = LIT(o, pos, " fwd_kind=struct");
        break;
      case 12:
        pos = LIT(o, pos, " type_id=");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, " linkage=");
        pos = put_linkage(o, pos, vlen);
        break;
      case 13:
        pos = LIT(o, pos, " ret_type_id=");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, " vlen=");
        pos = put_u32(o, pos, vlen);
        for (u32 i = p + 3, e = p + 3 + vlen * 2; i < e; i += 2) {
          pos = LIT(o, pos, "\n\t'");
          pos = put_name(o, pos, str, str_len, w[i]);
          pos = LIT(o, pos, "' type_id=");
          pos = put_u32(o, pos, w[i + 1]);
        }
        break;
      case 14:
        pos = LIT(o, pos, " type_id=");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, ", linkage=");
        pos = put_linkage(o, pos, w[p + 3]);
        break;
      case 15: {
        pos = LIT(o, pos, " size=");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, " vlen=");
        pos = put_u32(o, pos, vlen);
        for (u32 i = p + 3, e = p + 3 + vlen * 3; i < e; i += 3) {
          u32 t = w[i];
          pos = LIT(o, pos, "\n\ttype_id=");
          pos = put_u32(o, pos, t);
          pos = LIT(o, pos, " offset=");
          pos = put_u32(o, pos, w[i + 1]);
          pos = LIT(o, pos, " size=");
          pos = put_u32(o, pos, w[i + 2]);
          if (t < end_id) {
            // Type 0 is void: kind UNKNOWN, anonymous, as bpftool prints it.
            u32 tp = t >= first_id ? starts[t - first_id] : 0;
            pos = LIT(o, pos, " (");
            pos = put_kind(o, pos, t >= first_id ? (w[tp + 1] >> 24) & 31 : 0);
            pos = LIT(o, pos, " '");
            pos = put_name(o, pos, str, str_len, t >= first_id ? w[tp] : 0);
            pos = LIT(o, pos, "')");
          }
        }
        break;
      }
      case 16:
        pos = LIT(o, pos, " size=");
        pos = put_u32(o, pos, w[p + 2]);
        break;
      case 17:
        pos = LIT(o, pos, " type_id=");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, " component_idx=");
        pos = put_i32(o, pos, (int)w[p + 3]);
        break;
    }
    o[pos++] = '\n';
  }
  out[0] = pos;
  return id;
}

// A name as a JSON string the way bpftool's json_writer writes it (its escapes, including "\\" -> "\n").
static u32 put_json_name(u8 *o, u32 pos, const u8 *str, u32 str_len, u32 off) {
  if (off == 0) return LIT(o, pos, "\"(anon)\"");
  if (off >= str_len) return LIT(o, pos, "\"(invalid)\"");
  o[pos++] = '"';
  for (u32 i = off; i < str_len && str[i]; i++) {
    u8 b = str[i], e = 0;
    switch (b) {
      case '\t': e = 't'; break;
      case '\n': e = 'n'; break;
      case '\r': e = 'r'; break;
      case '\f': e = 'f'; break;
      case '\b': e = 'b'; break;
      case '\\': e = 'n'; break;
      case '"': e = '"'; break;
      case '\'': e = '\''; break;
    }
    if (e) {
      o[pos++] = '\\';
      o[pos++] = e;
    } else {
      o[pos++] = b;
    }
  }
  o[pos++] = '"';
  return pos;
}

static u32 put_json_linkage(u8 *o, u32 pos, u32 l) {
  pos = LIT(o, pos, ",\"linkage\":\"");
  pos = put_linkage(o, pos, l);
  o[pos++] = '"';
  return pos;
}

// Like dump_raw, for the objects of `bpftool -j btf dump`, each preceded by a comma unless it is the first type
// (the caller writes the {"types":[ ... ]} frame).
__attribute__((export_name("dump_json"))) u32 dump_json(const u32 *w, const u32 *starts, u32 first_id, u32 id,
                                                       u32 end_id, const u8 *str, u32 str_len, u32 max_name, u8 *o,
                                                       u32 cap, u32 *out) {
  u32 pos = 0;
  for (; id < end_id; id++) {
    u32 p = starts[id - first_id];
    u32 info = w[p + 1], kind = (info >> 24) & 31, vlen = info & 0xffff;
    u64 need = (u64)(vlen + 1) * (160 + 2 * 2 * (u64)max_name);
    if (pos + need > cap) break;
    if (id != first_id) o[pos++] = ',';
    pos = LIT(o, pos, "{\"id\":");
    pos = put_u32(o, pos, id);
    pos = LIT(o, pos, ",\"kind\":\"");
    pos = put_kind(o, pos, kind);
    pos = LIT(o, pos, "\",\"name\":");
    pos = put_json_name(o, pos, str, str_len, w[p]);
    switch (kind) {
      case 1: {
        u32 d = w[p + 3];
        pos = LIT(o, pos, ",\"size\":");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, ",\"bits_offset\":");
        pos = put_u32(o, pos, (d >> 16) & 0xff);
        pos = LIT(o, pos, ",\"nr_bits\":");
        pos = put_u32(o, pos, d & 0xff);
        pos = LIT(o, pos, ",\"encoding\":\"");
        pos = put_int_enc(o, pos, (d >> 24) & 0xf);
        o[pos++] = '"';
        break;
      }
      case 2: case 8: case 9: case 10: case 11: case 18:
        pos = LIT(o, pos, ",\"type_id\":");
        pos = put_u32(o, pos, w[p + 2]);
        break;
      case 3:
        pos = LIT(o, pos, ",\"type_id\":");
        pos = put_u32(o, pos, w[p + 3]);
        pos = LIT(o, pos, ",\"index_type_id\":");
        pos = put_u32(o, pos, w[p + 4]);
        pos = LIT(o, pos, ",\"nr_elems\":");
        pos = put_u32(o, pos, w[p + 5]);
        break;
      case 4: case 5: {
        u32 kf = info >> 31;
        pos = LIT(o, pos, ",\"size\":");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, ",\"vlen\":");
        pos = put_u32(o, pos, vlen);
        pos = LIT(o, pos, ",\"members\":[");
        for (u32 i = p + 3, e = p + 3 + vlen * 3; i < e; i += 3) {
          u32 off = w[i + 2];
          if (i != p + 3) o[pos++] = ',';
          pos = LIT(o, pos, "{\"name\":");
          pos = put_json_name(o, pos, str, str_len, w[i]);
          pos = LIT(o, pos, ",\"type_id\":");
          pos = put_u32(o, pos, w[i + 1]);
          pos = LIT(o, pos, ",\"bits_offset\":");
          pos = put_u32(o, pos, kf ? off & 0xffffff : off);
          if (kf && (off >> 24)) {
            pos = LIT(o, pos, ",\"bitfield_size\":");
            pos = put_u32(o, pos, off >> 24);
          }
          o[pos++] = '}';
        }
        o[pos++] = ']';
        break;
      }
      case 6: case 19: {
        u32 sgn = info >> 31;
        if (sgn) pos = LIT(o, pos, ",\"encoding\":\"SIGNED\",\"size\":");
        else pos = LIT(o, pos, ",\"encoding\":\"UNSIGNED\",\"size\":");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, ",\"vlen\":");
        pos = put_u32(o, pos, vlen);
        pos = LIT(o, pos, ",\"values\":[");
        u32 stride = kind == 6 ? 2 : 3;
        for (u32 i = p + 3, e = p + 3 + vlen * stride; i < e; i += stride) {
          if (i != p + 3) o[pos++] = ',';
          pos = LIT(o, pos, "{\"name\":");
          pos = put_json_name(o, pos, str, str_len, w[i]);
          pos = LIT(o, pos, ",\"val\":");
          if (kind == 6) {
            // bpftool 7.1 widens unsigned 32-bit values through a signed field: the top bit sign-extends.
            if (sgn) pos = put_i32(o, pos, (int)w[i + 1]);
            else pos = put_u64(o, pos, (u64)(long long)(int)w[i + 1]);
          } else {
            u64 v = ((u64)w[i + 2] << 32) | w[i + 1];
            if (sgn) pos = put_i64(o, pos, (long long)v);
            else pos = put_u64(o, pos, v);
          }
          o[pos++] = '}';
        }
        o[pos++] = ']';
        break;
      }
      case 7:
        if (info >> 31) pos = LIT(o, pos, ",\"fwd_kind\":\"union\"");
        else pos = LIT(o, pos, ",\"fwd_kind\":\"struct\"");
        break;
      case 12:
        pos = LIT(o, pos, ",\"type_id\":");
        pos = put_u32(o, pos, w[p + 2]);
        pos = put_json_linkage(o, pos, vlen);
        break;
      case 13:
        pos = LIT(o, pos, ",\"ret_type_id\":");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, ",\"vlen\":");
        pos = put_u32(o, pos, vlen);
        pos = LIT(o, pos, ",\"params\":[");
        for (u32 i = p + 3, e = p + 3 + vlen * 2; i < e; i += 2) {
          if (i != p + 3) o[pos++] = ',';
          pos = LIT(o, pos, "{\"name\":");
          pos = put_json_name(o, pos, str, str_len, w[i]);
          pos = LIT(o, pos, ",\"type_id\":");
          pos = put_u32(o, pos, w[i + 1]);
          o[pos++] = '}';
        }
        o[pos++] = ']';
        break;
      case 14:
        pos = LIT(o, pos, ",\"type_id\":");
        pos = put_u32(o, pos, w[p + 2]);
        pos = put_json_linkage(o, pos, w[p + 3]);
        break;
      case 15:
        pos = LIT(o, pos, ",\"size\":");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, ",\"vlen\":");
        pos = put_u32(o, pos, vlen);
        pos = LIT(o, pos, ",\"vars\":[");
        for (u32 i = p + 3, e = p + 3 + vlen * 3; i < e; i += 3) {
          if (i != p + 3) o[pos++] = ',';
          pos = LIT(o, pos, "{\"type_id\":");
          pos = put_u32(o, pos, w[i]);
          pos = LIT(o, pos, ",\"offset\":");
          pos = put_u32(o, pos, w[i + 1]);
          pos = LIT(o, pos, ",\"size\":");
          pos = put_u32(o, pos, w[i + 2]);
          o[pos++] = '}';
        }
        o[pos++] = ']';
        break;
      case 16:
        pos = LIT(o, pos, ",\"size\":");
        pos = put_u32(o, pos, w[p + 2]);
        break;
      case 17:
        pos = LIT(o, pos, ",\"type_id\":");
        pos = put_u32(o, pos, w[p + 2]);
        pos = LIT(o, pos, ",\"component_idx\":");
        pos = put_i32(o, pos, (int)w[p + 3]);
        break;
    }
    o[pos++] = '}';
  }
  out[0] = pos;
  return id;
}
