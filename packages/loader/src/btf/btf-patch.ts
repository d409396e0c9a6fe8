// In-place edits of a private copy of .BTF bytes, for the fixups libbpf applies before the object's BTF can be
// loaded into the kernel (DATASEC sizes and VAR offsets clang leaves at 0, extern sections rewritten as
// allocated variables, hidden symbols made static). Only fixed-size fields are rewritten, so type offsets stay
// valid; the one structural change (a new VAR appended) rebuilds the blob.

import { BTF_HEADER_SIZE, Kind } from "@bpfkit/btf";
import { type DatasecEntry, ObjectBtf } from "./object-btf.js";

export class BtfPatcher {
  private btf: ObjectBtf;
  private bytes: Uint8Array;
  private view: DataView;

  /**
   * Patches `owned` in place: the caller hands over a BTF whose bytes nobody else uses (e.g. parsed from a
   * private copy), so no second copy or parse is needed.
   */
  constructor(owned: ObjectBtf) {
    this.bytes = owned.bytes;
    this.btf = owned;
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** The current (patched) BTF view. */
  get current(): ObjectBtf {
    return this.btf;
  }

  private put(at: number, value: number): void {
    this.view.setUint32(at, value >>> 0, this.btf.littleEndian);
  }

  setSize(id: number, size: number): void {
    this.put(this.btf.typeOffset(id) + 8, size);
  }

  setRefType(id: number, type: number): void {
    this.put(this.btf.typeOffset(id) + 8, type);
  }

  setVarLinkage(id: number, linkage: number): void {
    this.put(this.btf.typeOffset(id) + 12, linkage);
  }

  /** Rewrites the info word: kind kept, vlen replaced (FUNC linkage lives in vlen). */
  setVlen(id: number, vlen: number): void {
    const at = this.btf.typeOffset(id) + 4;
    const info = this.view.getUint32(at, this.btf.littleEndian);
    this.put(at, (info & ~0xffff) | (vlen & 0xffff));
  }

  setParamNameOffset(protoId: number, index: number, nameOff: number): void {
    this.put(this.btf.typeOffset(protoId) + 12 + index * 8, nameOff);
  }

  setDatasecEntries(id: number, entries: readonly DatasecEntry[]): void {
    const at = this.btf.typeOffset(id) + 12;
    entries.forEach((e, i) => {
      this.put(at + i * 12, e.type);
      this.put(at + i * 12 + 4, e.offset);
      this.put(at + i * 12 + 8, e.size);
    });
  }

  /** Appends `VAR name` (global allocated) of `type`; returns its id. Rebuilds the blob. */
  appendVar(name: string, linkage: number, type: number): number {
    const btf = this.btf;
    const le = btf.littleEndian;
    const nameBytes = new TextEncoder().encode(name);
    const typeLen = btf.typesLength + 16;
    const strLen = btf.stringsLength + nameBytes.length + 1;
    const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strLen);
    const view = new DataView(out.buffer);
    out.set(this.bytes.subarray(0, 4), 0); // magic, version, flags
    view.setUint32(4, BTF_HEADER_SIZE, le);
    view.setUint32(8, 0, le);
    view.setUint32(12, typeLen, le);
    view.setUint32(16, typeLen, le);
    view.setUint32(20, strLen, le);
    out.set(this.bytes.subarray(btf.typesStart, btf.typesStart + btf.typesLength), BTF_HEADER_SIZE);
    const varAt = BTF_HEADER_SIZE + btf.typesLength;
    view.setUint32(varAt, btf.stringsLength, le);
    view.setUint32(varAt + 4, Kind.VAR << 24, le);
    view.setUint32(varAt + 8, type, le);
    view.setUint32(varAt + 12, linkage, le);
    const strAt = BTF_HEADER_SIZE + typeLen;
    out.set(this.bytes.subarray(btf.stringsStart, btf.stringsStart + btf.stringsLength), strAt);
    out.set(nameBytes, strAt + btf.stringsLength);
    const id = btf.typeCount;
    this.bytes = out;
    this.view = view;
    this.btf = new ObjectBtf(out);
    return id;
  }

  finish(): Uint8Array {
    return this.bytes;
  }
}
