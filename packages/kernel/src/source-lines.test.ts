import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Btf } from "@bpfkit/btf";
import { openObject } from "@bpfkit/loader";
import { describe, expect, it } from "vitest";
import { decodeLineInfo } from "./source-lines.js";

const fixtures = fileURLToPath(new URL("../../../test/fixtures/", import.meta.url));

/** Packs line_info records the way BPF_PROG_LOAD takes them. */
function pack(records: readonly { insnOff: number; fileNameOff: number; lineOff: number; lineCol: number }[]) {
  const bytes = new Uint8Array(records.length * 16);
  const view = new DataView(bytes.buffer);
  records.forEach((r, i) => {
    view.setUint32(i * 16, r.insnOff, true);
    view.setUint32(i * 16 + 4, r.fileNameOff, true);
    view.setUint32(i * 16 + 8, r.lineOff, true);
    view.setUint32(i * 16 + 12, r.lineCol, true);
  });
  return { bytes, recordSize: 16 };
}

describe("decodeLineInfo", () => {
  it("turns clang's line_info into file, line, column and the C text of that line", () => {
    const path = `${fixtures}verifier_reject.bpf.o`;
    const spec = openObject(new Uint8Array(readFileSync(path)), { path });
    const btf = Btf.parse(spec.btf!);
    const program = spec.programs[0]!;
    const lines = decodeLineInfo(pack(program.lineInfo), btf);
    expect(lines.length).toBe(program.lineInfo.length);
    expect(lines.length).toBeGreaterThan(0);
    const source = readFileSync(`${fixtures}verifier_reject.bpf.c`, "utf8").split("\n");
    for (const line of lines) {
      expect(line.file).toMatch(/verifier_reject\.bpf\.c$/);
      expect(source[line.line - 1]?.trim()).toBe(line.text?.trim());
    }
    expect(lines.some((l) => l.text?.includes("__u8 first = *(__u8 *)data;"))).toBe(true);
  });

  it("gives nothing without BTF or with a record size too small for line_info", () => {
    expect(decodeLineInfo({ bytes: new Uint8Array(16), recordSize: 16 }, undefined)).toEqual([]);
    expect(decodeLineInfo({ bytes: new Uint8Array(16), recordSize: 8 }, Btf.parse(minimalBtf()))).toEqual([]);
    expect(decodeLineInfo(undefined, Btf.parse(minimalBtf()))).toEqual([]);
  });

  it("ignores a trailing partial record and out-of-range string offsets", () => {
    const btf = Btf.parse(minimalBtf());
    const info = pack([{ insnOff: 3, fileNameOff: 999, lineOff: 999, lineCol: (12 << 10) | 5 }]);
    const lines = decodeLineInfo({ bytes: new Uint8Array([...info.bytes, 1, 2, 3]), recordSize: 16 }, btf);
    expect(lines).toEqual([{ insnIndex: 3, file: undefined, text: undefined, line: 12, column: 5 }]);
  });
});

/** Header + no types + the one-byte string section. */
function minimalBtf(): Uint8Array {
  const bytes = new Uint8Array(25);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0xeb9f, true);
  view.setUint8(2, 1);
  view.setUint32(4, 24, true);
  view.setUint32(16, 0, true); // str_off
  view.setUint32(20, 1, true); // str_len
  return bytes;
}
