// Twin of dump-c/definitions.ts (struct/union/enum/typedef bodies and the short `struct x` forms).

// In declarations.c, which calls back here for anonymous bodies.
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
