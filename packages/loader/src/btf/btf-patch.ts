// In-place edits of the object's BTF, for the fixups libbpf applies before it can be loaded into the kernel
// (DATASEC sizes and VAR offsets clang leaves at 0, extern sections rewritten as allocated variables, hidden
// symbols made static). Edits go to the type words of a Btf made with `withPrivateWords()` (host order, so no byte
// order here) and only rewrite fixed-size fields, so every type keeps its place; the one structural change (a VAR
// appended) re-encodes the blob and parses it again. `finish()` writes the result in the blob's own byte order.

import { Btf, Kind, writeBtfBlob } from "@bpfkit/btf";
import type { DatasecEntry } from "./datasec.js";

const encoder = new TextEncoder();

export class BtfPatcher {
  private btf: Btf;

  /**
   * Patches `owned` in place: the caller hands over a Btf whose type words nobody else reads (one made by
   * `withPrivateWords()`), so no second copy is needed.
   */
  constructor(owned: Btf) {
    this.btf = owned;
  }

  /** The current (patched) BTF: accessors see every edit made so far. */
  get current(): Btf {
    return this.btf;
  }

  /** Sets word `word` of own type `id`'s record (0 name_off, 1 info, 2 size/type, 3... kind-specific). */
  private put(id: number, word: number, value: number): void {
    this.btf.words[this.btf.wordIndex(id) + word] = value >>> 0;
  }

  setSize(id: number, size: number): void {
    this.put(id, 2, size);
  }

  setRefType(id: number, type: number): void {
    this.put(id, 2, type);
  }

  setVarLinkage(id: number, linkage: number): void {
    this.put(id, 3, linkage);
  }

  /** Rewrites the info word: kind kept, vlen replaced (FUNC linkage lives in vlen). */
  setVlen(id: number, vlen: number): void {
    const info = this.btf.info(id);
    this.put(id, 1, (info & ~0xffff) | (vlen & 0xffff));
  }

  setParamNameOffset(protoId: number, index: number, nameOff: number): void {
    this.put(protoId, 3 + index * 2, nameOff);
  }

  setDatasecEntries(id: number, entries: readonly DatasecEntry[]): void {
    entries.forEach((e, i) => {
      this.put(id, 3 + i * 3, e.type);
      this.put(id, 4 + i * 3, e.offset);
      this.put(id, 5 + i * 3, e.size);
    });
  }

  /** Appends `VAR name` of `type` with `linkage`; returns its id. Re-encodes and re-parses the blob. */
  appendVar(name: string, linkage: number, type: number): number {
    const btf = this.btf;
    const own = btf.strings.bytes;
    const nameBytes = encoder.encode(name);
    const words = new Uint32Array(btf.words.length + 4);
    words.set(btf.words);
    words.set([btf.strings.end, Kind.VAR << 24, type, linkage], btf.words.length);
    const strings = new Uint8Array(own.length + nameBytes.length + 1);
    strings.set(own);
    strings.set(nameBytes, own.length);
    const id = btf.typeCount;
    const { version, flags, hdrLen } = btf.header;
    const bytes = writeBtfBlob({ header: { version, flags, hdrLen }, words, strings, littleEndian: btf.littleEndian });
    // The blob is ours alone, so the parsed words (a view of it where the byte order allows) may be patched on.
    this.btf = Btf.parse(bytes, { base: btf.base });
    return id;
  }

  /** The patched blob: header, types, strings, in the blob's byte order (libbpf's btf__raw_data layout). */
  finish(): Uint8Array {
    return this.btf.toBytes();
  }
}
