// The one-pass name lookup of the CO-RE name index (core/essential-index.ts, prefetch), compiled to WebAssembly by
// scripts/gen-btf-wasm.mjs. In a fresh process the JavaScript loop over every type of vmlinux runs mostly in the
// interpreter; here it runs compiled from the first iteration. The rules are the JavaScript's exactly, and a
// differential test holds the two to the same answers.
//
// No data segments and no stack use (see scan.c).
typedef unsigned int u32;
typedef unsigned char u8;

// Length of the name at s before its last flavor suffix ("task_struct___v2" -> 11), libbpf's essential name:
// the last i with s[i] != '_', s[i+1..i+3] == "___" and s[i+4] a byte other than '_' or NUL.
static u32 essential_len(const u8 *s, u32 len) {
  for (u32 i = len >= 5 ? len - 5 + 1 : 0; i-- > 0;) {
    if (s[i] != '_' && s[i + 1] == '_' && s[i + 2] == '_' && s[i + 3] == '_' && s[i + 4] != '_') return i + 1;
  }
  return len;
}

// For each own type (index i) of an indexed kind whose name is a wanted name, or that name plus a flavor suffix:
// out_which[n] = the wanted name's index, out_index[n] = i. Returns n, or capacity + 1 when the hits do not fit. The wanted names are bytes at
// wanted + wanted_at[k], wanted_len[k] long; head[b] is the first wanted name starting with byte b (-1: none) and
// next_wanted[k] the next one with the same first byte. Name offsets below first_string or past the strings are
// skipped (the caller passes base BTF, whose names all live in its own strings).
__attribute__((export_name("match_names"))) u32 match_names(const u32 *w, const u32 *starts, u32 count,
                                                           const u8 *str, u32 str_len, u32 first_string,
                                                           const u8 *wanted, const u32 *wanted_at,
                                                           const u32 *wanted_len, const int *head,
                                                           const int *next_wanted, u32 indexed_kinds, u32 *out_which,
                                                           u32 *out_index, u32 capacity) {
  u32 n = 0;
  for (u32 i = 0; i < count; i++) {
    u32 record = starts[i];
    u32 offset = w[record];
    u32 at = offset - first_string;
    if (offset == 0 || offset < first_string || at >= str_len) continue;
    if (!((indexed_kinds >> ((w[record + 1] >> 24) & 31)) & 1)) continue;
    for (int k = head[str[at]]; k >= 0; k = next_wanted[k]) {
      const u8 *name = wanted + wanted_at[k];
      u32 len = wanted_len[k];
      u32 j = 1;
      while (j < len && at + j < str_len && str[at + j] == name[j]) j++;
      if (j < len || at + j >= str_len) continue;
      u8 after = str[at + j];
      int hit = after == 0;
      if (after == '_') {
        u32 end = at + j;
        while (end < str_len && str[end]) end++;
        hit = essential_len(str + at, end - at) == len;
      }
      if (!hit) continue;
      if (n == capacity) return capacity + 1;
      out_which[n] = (u32)k;
      out_index[n++] = i;
    }
  }
  return n;
}
