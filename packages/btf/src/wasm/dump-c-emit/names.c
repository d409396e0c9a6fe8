// Twin of dump-c/names.ts (NameCounter, NameResolver) and the DumpState.writeName family of state.ts.

// libbpf formats a renamed identifier into a 256-byte buffer (state.ts MAX_RENAMED_LENGTH).
#define MAX_RENAMED_LENGTH 255
// The per-type `___n` numbers are u16.
#define SUFFIX_LIMIT 0xffffu

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
