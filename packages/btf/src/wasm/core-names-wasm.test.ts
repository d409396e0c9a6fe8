// The WebAssembly name lookup of the CO-RE index (core-names.c) must find exactly what its JavaScript twin
// (matchNamesJs) finds; every comparison also checks that the WebAssembly side ran to completion.
import { describe, expect, it } from "vitest";
import { describeWith } from "../../../../test/support/env.js";
import { readVmlinux } from "../../test-support/fixtures.js";
import { watchWasm } from "../../test-support/wasm-outcome.js";
import { Btf, BtfBuilder } from "../btf-api.js";
import { essentialName } from "../core/btf-view.js";
import { matchNamesJs } from "../core/essential-index.js";
import { Kind } from "../kinds.js";
import { matchNamesWasm } from "./core-names-wasm.js";

/** Kinds CO-RE looks names up among (the index's INDEXED_KINDS): all up to ENUM64 but FUNC, VAR, DATASEC, DECL_TAG. */
const INDEXED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 16, 18, 19].reduce((bits, k) => bits | (1 << k), 0);

function bothWays(btf: Btf, names: readonly string[]): void {
  const records = { words: btf.words, starts: btf.starts, strings: btf.strings.bytes, firstString: 0 };
  const bytes = names.map((n) => new TextEncoder().encode(n));
  const js = matchNamesJs(records, bytes, (offset) => btf.stringAt(offset) ?? "");
  const { value: wasm, wasm: ending } = watchWasm("core-names", () => matchNamesWasm(records, bytes, INDEXED));
  expect(ending).toBe("complete");
  expect(wasm).toEqual(js);
}

describe("CO-RE name lookup: WebAssembly = JavaScript", () => {
  it("on exact names, flavors, near-flavors, other kinds and anonymous types", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4);
    for (const name of ["foo", "foo___v1", "foo___", "foo____x", "foo__x", "a___b___c", "a___b", "bar", "ba", "_"]) {
      b.addStruct(name, 4, [{ name: "x", type: int, bitOffset: 0 }]);
    }
    b.addTypedef("foo", int);
    b.addTypedef("", int);
    b.addFunc("foo", b.addFuncProto(int, []));
    const btf = b.build();
    bothWays(btf, ["foo", "a___b", "a", "bar", "b", "_", "zzz", "int", "foo___v1"]);
    // Not vacuous: the lookup finds the flavors of foo, and the FUNC named foo is not among them.
    const [foo] = matchNamesJs(
      { words: btf.words, starts: btf.starts, strings: btf.strings.bytes, firstString: 0 },
      [new TextEncoder().encode("foo")],
      (offset) => btf.stringAt(offset) ?? "",
    );
    expect(foo!.map((i) => btf.nameOf(btf.firstOwnId + i))).toEqual(["foo", "foo___v1", "foo"]);
    expect(foo!.every((i) => btf.kind(btf.firstOwnId + i) !== Kind.FUNC)).toBe(true);
  });
});

describeWith(["vmlinux-btf"], "CO-RE name lookup on vmlinux: WebAssembly = JavaScript", () => {
  it("for a sample of ~500 names in groups of 16, and for names no type has", () => {
    const btf = Btf.parse(readVmlinux());
    const names: string[] = [];
    for (let id = 1; id < btf.typeCount && names.length < 480; id += 29) {
      const name = btf.nameOf(id);
      if (name !== "") names.push(essentialName(name));
    }
    names.push("task_struct", "no_such_type_anywhere", "t");
    for (let start = 0; start < names.length; start += 16) bothWays(btf, names.slice(start, start + 16));
  });
});
