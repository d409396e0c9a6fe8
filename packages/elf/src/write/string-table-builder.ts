const encoder = new TextEncoder();

/** A string table's bytes and where each string starts in it. */
export interface BuiltStringTable {
  bytes: Uint8Array;
  offsets: Map<string, number>;
}

function compareReversed(a: Uint8Array, b: Uint8Array): number {
  for (let i = a.length - 1, j = b.length - 1; i >= 0 && j >= 0; i--, j--) {
    if (a[i] !== b[j]) return a[i]! - b[j]!;
  }
  return a.length - b.length;
}

function isSuffix(suffix: Uint8Array, of: Uint8Array): boolean {
  if (suffix.length > of.length) return false;
  for (let i = 1; i <= suffix.length; i++) if (suffix[suffix.length - i] !== of[of.length - i]) return false;
  return true;
}

/**
 * Builds a NUL-separated string table (offset 0 = the empty string) with tail merging: a string that ends
 * another one shares its bytes (`xdp` inside `.relxdp`), as LLVM's string table builder does, so our tables are
 * as small as clang's. Sorting by reversed bytes, longest first, puts every string right after a string it may
 * be a suffix of.
 */
export function buildStringTable(strings: Iterable<string>): BuiltStringTable {
  const unique = new Map<string, Uint8Array>();
  for (const s of strings) if (s !== "" && !unique.has(s)) unique.set(s, encoder.encode(s));
  const sorted = [...unique].sort((a, b) => compareReversed(b[1], a[1]));
  const offsets = new Map<string, number>([["", 0]]);
  let size = 1;
  let previous: { bytes: Uint8Array; offset: number } | undefined;
  const placed: { bytes: Uint8Array; offset: number }[] = [];
  for (const [text, bytes] of sorted) {
    if (previous && isSuffix(bytes, previous.bytes)) {
      offsets.set(text, previous.offset + previous.bytes.length - bytes.length);
      continue;
    }
    previous = { bytes, offset: size };
    placed.push(previous);
    offsets.set(text, size);
    size += bytes.length + 1;
  }
  const out = new Uint8Array(size);
  for (const { bytes, offset } of placed) out.set(bytes, offset);
  return { bytes: out, offsets };
}
