// Twin of dump-c/declarations.ts (C declarators from BTF type chains, on the shared declaration stack).

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
