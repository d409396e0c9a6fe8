const encoder = new TextEncoder();

/**
 * A string table's layout: where each string starts and its size; its bytes are written straight into the output
 * (writeTo), or made on demand (bytes).
 */
export class BuiltStringTable {
  constructor(
    readonly size: number,
    readonly offsets: Map<string, number>,
    /** The strings that own their bytes, each with its offset (the others are tails of them). */
    private readonly placed: Iterable<{ text: string; offset: number }> | Map<string, number>,
  ) {}

  /** Writes the table at `at` of `out`, which must be zero there (the separators are not written). */
  writeTo(out: Uint8Array, at: number): void {
    if (this.placed instanceof Map) {
      // Keys, then a lookup: iterating entries makes a [text, offset] array per string.
      const placed = this.placed;
      for (const text of placed.keys()) if (text !== "") writeString(out, text, at + placed.get(text)!);
    } else {
      for (const { text, offset } of this.placed) writeString(out, text, at + offset);
    }
  }

  get bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    this.writeTo(out, 0);
    return out;
  }
}

/** UTF-8 length of a string without encoding it (names are almost always ASCII). */
function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      length += 1;
    } else {
      // 3 bytes for one unit; a surrogate pair is 2 units and 4 bytes (a lone surrogate encodes as U+FFFD, 3 bytes).
      length += 2;
      const next = text.charCodeAt(i + 1);
      if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return length;
}

/** Writes `text` as UTF-8 at `offset`: ASCII byte by byte (no subarray per string), the rest through the encoder. */
function writeString(out: Uint8Array, text: string, offset: number): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      encoder.encodeInto(text, out.subarray(offset));
      return;
    }
    out[offset + i] = code;
  }
}

function reverse(text: string): string {
  let out = "";
  for (let i = text.length - 1; i >= 0; i--) out += text[i];
  return out;
}

/**
 * Builds a NUL-separated string table (offset 0 = the empty string) with tail merging: a string that ends
 * another one shares its bytes (`xdp` inside `.relxdp`), as LLVM's string table builder does, so our tables are
 * as small as clang's. Sorting the reversed strings in descending order puts every string right after the
 * strings it is a suffix of (a UTF-8 suffix of a valid string is also a suffix in UTF-16 units, and back).
 */
export function buildStringTable(strings: Iterable<string>, tailMerge = true): BuiltStringTable {
  if (!tailMerge) return inOrder(strings);
  const unique = new Set(strings);
  unique.delete("");
  const keyed = [...unique].map((text) => ({ text, key: reverse(text) }));
  keyed.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  const offsets = new Map<string, number>([["", 0]]);
  const placed: { text: string; offset: number }[] = [];
  let size = 1;
  let previous: { text: string; offset: number; length: number } | undefined;
  for (const { text } of keyed) {
    if (previous?.text.endsWith(text)) {
      offsets.set(text, previous.offset + previous.length - utf8Length(text));
      continue;
    }
    const length = utf8Length(text);
    previous = { text, offset: size, length };
    placed.push(previous);
    offsets.set(text, size);
    size += length + 1;
  }
  return new BuiltStringTable(size, offsets, placed);
}

/** Each string once, in first-seen order (libbpf's strset, as its linker writes `.strtab`): no sort. */
function inOrder(strings: Iterable<string>): BuiltStringTable {
  // The offsets map is the set of strings seen (no Set first).
  const offsets = new Map<string, number>([["", 0]]);
  let size = 1;
  for (const text of strings) {
    if (offsets.has(text)) continue;
    offsets.set(text, size);
    size += utf8Length(text) + 1;
  }
  // Every string owns its bytes: the offsets are the placement.
  return new BuiltStringTable(size, offsets, offsets);
}
