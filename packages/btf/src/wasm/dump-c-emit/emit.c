// Twin of dump-c/emit.ts (emitType: forward declarations, then the queued definitions).

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
