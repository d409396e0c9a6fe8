// Type words in and out: a byte range of a BTF blob as host-order u32 words, and the one writer of BTF blobs.
// When the blob already has the host's byte order and sits 4-byte aligned, the words are a view (no copy);
// otherwise they are copied, byte-swapped if needed.

import { BTF_HEADER_SIZE, BTF_MAGIC } from "./header.js";

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

/** What a BTF blob is written from; the header fields not listed here are computed. */
export interface BtfBlobParts {
  /** Header fields kept from an input (default: version 1, flags 0, hdr_len 24, type_off 0). */
  readonly header?: {
    readonly version?: number;
    readonly flags?: number;
    readonly hdrLen?: number;
    readonly typeOff?: number;
  };
  /** The type section as host-order u32 words. */
  readonly words: Uint32Array;
  readonly strings: Uint8Array;
  readonly littleEndian: boolean;
}

/**
 * The one BTF writer: header, type section, string section, in the given byte order, the types right after the
 * header and the strings right after the types (str_off = type_len). Header bytes past the 24 known ones are
 * written as zeros. A `typeOff` other than 0 is written as given, which is what libbpf's btf__raw_data() does
 * after dedup (dedup reproduces it); the blob is then only consistent when it is 0.
 */
export function writeBtfBlob(parts: BtfBlobParts, memory?: (size: number) => Uint8Array): Uint8Array {
  const { words, strings, littleEndian: le } = parts;
  const hdrLen = parts.header?.hdrLen ?? BTF_HEADER_SIZE;
  const typeLen = words.length * 4;
  const size = hdrLen + typeLen + strings.length;
  // `memory` (a dedup's scratch, 4-byte aligned) is not zeroed: every byte is written below.
  const out = memory ? memory(size) : new Uint8Array(size);
  const view = new DataView(out.buffer, out.byteOffset, size);
  view.setUint16(0, BTF_MAGIC, le);
  view.setUint8(2, parts.header?.version ?? 1);
  view.setUint8(3, parts.header?.flags ?? 0);
  view.setUint32(4, hdrLen, le);
  view.setUint32(8, parts.header?.typeOff ?? 0, le);
  view.setUint32(12, typeLen, le);
  view.setUint32(16, typeLen, le);
  view.setUint32(20, strings.length, le);
  if (hdrLen > BTF_HEADER_SIZE) out.fill(0, BTF_HEADER_SIZE, hdrLen);
  if (le === HOST_LITTLE_ENDIAN && (out.byteOffset + hdrLen) % 4 === 0) {
    new Uint32Array(out.buffer, out.byteOffset + hdrLen, words.length).set(words);
  } else {
    for (let i = 0; i < words.length; i++) view.setUint32(hdrLen + 4 * i, words[i]!, le);
  }
  out.set(strings, hdrLen + typeLen);
  return out;
}
