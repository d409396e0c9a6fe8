// What the host offers beyond the language. Node's Buffer does base64 and multi-byte search natively; the package
// imports no Node module (it must run in a browser too), so it takes Buffer from the global scope when there is
// one and otherwise falls back to the plain loops below, which give the same answers (tested against Buffer).

interface NativeBuffer {
  indexOf(value: Uint8Array, byteOffset?: number): number;
}

interface NativeBufferClass {
  from(text: string, encoding: "base64"): Uint8Array;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): NativeBuffer;
}

const nativeBuffer = (globalThis as { Buffer?: NativeBufferClass }).Buffer;

const BASE64_VALUES = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/** Bytes of standard base64 text (padding optional; other characters are skipped, as Buffer does). */
export function base64Bytes(text: string, useNative = true): Uint8Array {
  if (useNative && nativeBuffer !== undefined) return nativeBuffer.from(text, "base64");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let count = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) break; // '='
    const value = c < 128 ? (BASE64_VALUES[c] as number) : -1;
    if (value < 0) continue;
    bits = (bits << 6) | value;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[n++] = (bits >>> count) & 0xff;
    }
  }
  return out.subarray(0, n);
}

/** Searches one byte array for byte strings: the first index at or after `from` where `needle` starts, or -1. */
export type ByteSearch = (needle: Uint8Array, from?: number) => number;

/** A search over `haystack` (natively where the host can; the view is made once per haystack). */
export function byteSearch(haystack: Uint8Array, useNative = true): ByteSearch {
  if (useNative && nativeBuffer !== undefined) {
    const view = nativeBuffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
    return (needle, from = 0) => view.indexOf(needle, from);
  }
  return (needle, from = 0) => {
    if (needle.length === 0) return Math.min(from, haystack.length);
    const first = needle[0] as number;
    const last = haystack.length - needle.length;
    for (let at = haystack.indexOf(first, from); at >= 0 && at <= last; at = haystack.indexOf(first, at + 1)) {
      let i = 1;
      while (i < needle.length && haystack[at + i] === needle[i]) i++;
      if (i === needle.length) return at;
    }
    return -1;
  };
}
