import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LoaderError } from "../errors.js";
import { setMap, setProgram } from "./edit.js";
import { openObject } from "./open.js";

const fixtures = fileURLToPath(new URL("../../../../test/fixtures/", import.meta.url));
const open = (file: string) => openObject(new Uint8Array(readFileSync(fixtures + file)), { path: file });
const SCHED_ACT = 4;

describe("spec edits", () => {
  it("setProgram changes only the named program and leaves the spec passed in as it was", () => {
    const spec = open("xdp_parse.bpf.o");
    const before = structuredClone(spec);
    const edited = setProgram(spec, "tc_count", { autoload: false, type: SCHED_ACT, expectedAttachType: undefined });
    expect(spec).toEqual(before);
    const tc = edited.programs.find((p) => p.name === "tc_count")!;
    const original = spec.programs.find((p) => p.name === "tc_count")!;
    expect(tc).toEqual({ ...original, autoload: false, type: SCHED_ACT });
    expect(edited.programs.find((p) => p.name === "xdp_parse")).toBe(spec.programs.find((p) => p.name === "xdp_parse"));
  });

  it("setMap resizes, rounds ring buffers like open does, and refuses data-map layout changes", () => {
    const spec = open("maps.bpf.o");
    const edited = setMap(setMap(spec, "flows", { maxEntries: 77, flags: 1 }), "events", { maxEntries: 5000 });
    expect(edited.maps.find((m) => m.name === "flows")).toMatchObject({ maxEntries: 77, flags: 1 });
    expect(edited.maps.find((m) => m.name === "events")!.maxEntries).toBe(8192);
    const globals = open("globals.bpf.o");
    const data = globals.maps.find((m) => m.kind === "data")!;
    expect(() => setMap(globals, data.name, { maxEntries: 2 })).toThrow(/data map has one entry/);
    expect(setMap(globals, data.name, { autocreate: false }).maps.find((m) => m.name === data.name)!.autocreate).toBe(
      false,
    );
  });

  it("unknown names and out-of-range numbers are typed errors", () => {
    const spec = open("maps.bpf.o");
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof LoaderError ? e.code : "other";
      }
      return "none";
    };
    expect(code(() => setProgram(spec, "nope", { autoload: false }))).toBe("NOT_FOUND");
    expect(code(() => setMap(spec, "nope", { maxEntries: 1 }))).toBe("NOT_FOUND");
    expect(code(() => setMap(spec, "flows", { maxEntries: -1 }))).toBe("BAD_VALUE");
    expect(code(() => setProgram(spec, "maps_socket", { type: 2 ** 32 }))).toBe("BAD_VALUE");
  });
});
