// Setting global variables before load: typed encoding from BTF, and the loaded program really sees the values.
import { describe, expect, it } from "vitest";
import { KernelBackend } from "../packages/kernel/src/index.js";
import { LoaderError, openObject } from "../packages/loader/src/object/index.js";
import { setVariable, variableBytes } from "../packages/loader/src/object/variables.js";
import { load } from "../packages/loader/src/prepare/index.js";
import { coreOptions, fixtureBytes, fixturePath, hex, kernelFacts } from "./loader-support.js";
import { describeWith } from "./support/env.js";

const open = (name = "globals") => openObject(fixtureBytes(name), { path: fixturePath(name) });

describe("setVariable", () => {
  it("lists the variables of every data section with their BTF layout", () => {
    const spec = open();
    expect(spec.variables.map((v) => [v.name, v.section, v.offset, v.size, v.linkage, v.readonly])).toEqual([
      ["counter", ".data", 0, 4, "global", false],
      ["pair_value", ".data", 8, 16, "global", false],
      ["config_threshold", ".rodata", 0, 4, "global", true],
      ["config_name", ".rodata", 4, 16, "global", true],
      ["globals_socket.____fmt", ".rodata", 20, 23, "static", true],
      ["custom_data", ".data.custom", 0, 4, "global", false],
      ["custom_ro", ".rodata.custom", 0, 4, "global", true],
      ["local_hits", ".bss", 0, 4, "static", false],
      ["zeroed", ".bss", 8, 32, "global", false],
    ]);
  });

  it("encodes integers, strings and raw bytes in the object's byte order, leaving the input spec alone", () => {
    const spec = open();
    const before = structuredClone(spec);
    let next = setVariable(spec, "config_threshold", 0x01020304);
    next = setVariable(next, "config_name", "hello");
    next = setVariable(next, "zeroed", new Uint8Array(32).fill(7));
    expect(hex(variableBytes(next, "config_threshold"))).toBe("04030201");
    expect(hex(variableBytes(next, "config_name"))).toBe(`${hex(new TextEncoder().encode("hello"))}${"00".repeat(11)}`);
    expect(variableBytes(next, "zeroed").every((b) => b === 7)).toBe(true);
    expect(spec).toEqual(before);
    const be = openObject(fixtureBytes("globals.bpfeb.o"), { path: "globals.bpfeb.o" });
    expect(hex(variableBytes(setVariable(be, "config_threshold", 0x01020304), "config_threshold"))).toBe("01020304");
  });

  it("refuses values that do not fit, unknown names and untyped values", () => {
    const spec = open();
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(LoaderError);
        return (error as LoaderError).code;
      }
      return "no error";
    };
    expect(code(() => setVariable(spec, "config_threshold", 2 ** 31))).toBe("BAD_VALUE");
    expect(code(() => setVariable(spec, "config_threshold", -(2 ** 31)))).not.toBe("BAD_VALUE");
    expect(code(() => setVariable(spec, "config_threshold", 1.5))).toBe("BAD_VALUE");
    expect(code(() => setVariable(spec, "config_name", "x".repeat(16)))).toBe("BAD_VALUE");
    expect(code(() => setVariable(spec, "pair_value", 3))).toBe("BAD_VALUE");
    expect(code(() => setVariable(spec, "zeroed", new Uint8Array(31)))).toBe("BAD_VALUE");
    expect(code(() => setVariable(spec, "nope", 1))).toBe("NOT_FOUND");
  });
});

describeWith(["root", "vmlinux-btf"], "global variables seen by the loaded program", () => {
  it("a .rodata config value set before load decides what the program returns", () => {
    const packet = new Uint8Array(64);
    const run = (threshold: number) => {
      const spec = setVariable(open(), "config_threshold", threshold);
      const backend = new KernelBackend();
      const loaded = load(spec, backend, { externs: kernelFacts(), core: coreOptions() });
      try {
        const prog = loaded.programs.get("globals_socket")!;
        const { retval } = backend.testRun(prog, { dataIn: packet });
        const data = new Uint8Array(24);
        backend.mapLookup(loaded.maps.get("globals.data")!, new Uint8Array(4), data);
        return { retval, counter: new DataView(data.buffer).getInt32(0, true) };
      } finally {
        loaded.close();
        backend.close();
      }
    };
    expect(run(10)).toEqual({ retval: 1, counter: 11 });
    expect(run(100)).toEqual({ retval: 0, counter: 101 });
  });
});
