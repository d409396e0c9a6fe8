// Turns a byte range of a BTF blob into host-order u32 words. When the blob already has the host's byte order
// and sits 4-byte aligned, the words are a view (no copy); otherwise they are copied, byte-swapped if needed.

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function wordsOf(bytes: Uint8Array, start: number, length: number, littleEndian: boolean): Uint32Array {
  const count = length >>> 2;
  const at = bytes.byteOffset + start;
  if (littleEndian === HOST_LITTLE_ENDIAN) {
    if (at % 4 === 0) return new Uint32Array(bytes.buffer, at, count);
    return new Uint32Array(bytes.slice(start, start + count * 4).buffer);
  }
  const out = new Uint32Array(count);
  const src = bytes.subarray(start, start + count * 4);
  for (let i = 0, j = 0; i < count; i++, j += 4) {
    out[i] = ((src[j] << 24) | (src[j + 1] << 16) | (src[j + 2] << 8) | src[j + 3]) >>> 0;
  }
  if (!HOST_LITTLE_ENDIAN) {
    // A big-endian host reading a little-endian blob: the shifts above built big-endian values; swap back.
    for (let i = 0; i < count; i++) {
      const v = out[i];
      out[i] = (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
    }
  }
  return out;
}
