import type { MapSpec } from "@bpfkit/loader";
import { describe, expect, it } from "vitest";
import {
  datasecIdent,
  headerGuard,
  mapIdent,
  mmapableIdent,
  objectNameFromFile,
  sanitizeIdentifier,
  truncateBytes,
} from "./names.js";

const map = (name: string, kind: MapSpec["kind"], flags = 0) => ({ name, kind, flags }) as MapSpec;

describe("gen skeleton names", () => {
  it("makes C identifiers byte by byte", () => {
    expect(sanitizeIdentifier("func.var")).toBe("func_var");
    expect(sanitizeIdentifier("a-b c9_Z")).toBe("a_b_c9_Z");
    expect(sanitizeIdentifier("é")).toBe("__"); // two UTF-8 bytes
  });

  it("names the object after the file: basename, 63 bytes, no final .o", () => {
    expect(objectNameFromFile("/x/y/xdp_pass.bpf.o")).toBe("xdp_pass_bpf");
    expect(objectNameFromFile("prog.o")).toBe("prog");
    expect(objectNameFromFile("dir/")).toBe("");
    expect(objectNameFromFile(`${"a".repeat(70)}.o`)).toBe("a".repeat(63));
    expect(truncateBytes("abc", 2)).toBe("ab");
  });

  it("upper-cases the header guard in ASCII only", () => {
    expect(headerGuard("xdp_pass_bpf", "SKEL_H")).toBe("__XDP_PASS_BPF_SKEL_H__");
  });

  it("names maps and data sections as bpftool's get_map_ident / get_datasec_ident", () => {
    expect(mapIdent(map("counters", "user"))).toBe("counters");
    expect(mapIdent(map("globals_.rodata", "rodata"))).toBe("rodata");
    expect(mapIdent(map(".data.custom", "data"))).toBe("data_custom");
    expect(mapIdent(map("x.kconfig", "kconfig"))).toBe("kconfig");
    expect(mapIdent(map("weird", "bss"))).toBeUndefined();
    expect(datasecIdent(".rodata.str1.1")).toBe("rodata_str1_1");
    expect(datasecIdent(".maps")).toBeUndefined();
    expect(mmapableIdent(map("o.bss", "bss", 0x400))).toBe("bss");
    expect(mmapableIdent(map("o.bss", "bss", 0))).toBeUndefined();
    expect(mmapableIdent(map("m", "user", 0x400))).toBeUndefined();
  });
});
