// The VM's program tag: SHA-256 as FIPS 180-4 (checked against node:crypto), bpf_prog_calc_tag's zeroing of map
// references, and VmBackend.progInfo hashing the instructions as loaded although the VM rewrote its map references.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { VmBackend } from "./backend.js";
import { progTag, sha256 } from "./prog-tag.js";

/** Assembles instructions given as [code, dst, src, off, imm]. */
function insns(...list: [number, number, number, number, number][]): Uint8Array {
  const bytes = new Uint8Array(list.length * 8);
  const view = new DataView(bytes.buffer);
  list.forEach(([code, dst, src, off, imm], i) => {
    bytes[i * 8] = code;
    bytes[i * 8 + 1] = (src << 4) | dst;
    view.setInt16(i * 8 + 2, off, true);
    view.setInt32(i * 8 + 4, imm, true);
  });
  return bytes;
}

const nodeTag = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex").slice(0, 16);

describe("program tags", () => {
  it("sha256 is SHA-256 at every padding boundary", () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
      expect(Buffer.from(sha256(data)).toString("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    }
  });

  it("zeroes both immediates of map references, and nothing else", () => {
    // r1 = map fd 7; r2 = map value (fd 8) + 16; r3 = 0x1234_0000_0005 ll; exit
    const loaded = insns(
      [0x18, 1, 1, 0, 7],
      [0, 0, 0, 0, 0],
      [0x18, 2, 2, 0, 8],
      [0, 0, 0, 0, 16],
      [0x18, 3, 0, 0, 5],
      [0, 0, 0, 0, 0x1234],
      [0x95, 0, 0, 0, 0],
    );
    const zeroed = insns(
      [0x18, 1, 1, 0, 0],
      [0, 0, 0, 0, 0],
      [0x18, 2, 2, 0, 0],
      [0, 0, 0, 0, 0],
      [0x18, 3, 0, 0, 5],
      [0, 0, 0, 0, 0x1234],
      [0x95, 0, 0, 0, 0],
    );
    expect(progTag(loaded)).toBe(nodeTag(zeroed));
  });

  it("VmBackend.progInfo tags the program as it was loaded", () => {
    const vm = new VmBackend();
    const array = vm.createMap({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, name: "data" });
    const hash = vm.createMap({ mapType: 1, keySize: 4, valueSize: 4, maxEntries: 4, name: "h" });
    const loaded = insns(
      [0x18, 1, 1, 0, hash.value],
      [0, 0, 0, 0, 0],
      [0x18, 2, 2, 0, array.value],
      [0, 0, 0, 0, 4],
      [0xb7, 0, 0, 0, 0],
      [0x95, 0, 0, 0, 0],
    );
    const { fd } = vm.loadProgram({ progType: 6, insns: loaded, license: "GPL" });
    // the VM runs its own translation of the references; the tag is over what the load received
    expect(vm.progInfo(fd).tag).toBe(progTag(loaded));
    expect(vm.progInfo(fd).tag).toBe(
      nodeTag(
        insns(
          [0x18, 1, 1, 0, 0],
          [0, 0, 0, 0, 0],
          [0x18, 2, 2, 0, 0],
          [0, 0, 0, 0, 0],
          [0xb7, 0, 0, 0, 0],
          [0x95, 0, 0, 0, 0],
        ),
      ),
    );
  });
});
