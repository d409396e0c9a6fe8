// `bpftool iter pin OBJ PATH [map MAP]`: ours against bpftool 7.1.0. This kernel refuses tracing programs (and so
// every iterator: EPERM for root too), so what both tools can be compared on is everything up to the attach: the
// object opened and loaded whole (libbpf's messages when that fails), the first program attached as an iterator
// (refused when it is not one), MAP specs, and bpftool's odd exit statuses (a failed open exits 95 or 254).
import { MapType } from "@bpfkit/asm";
import { KernelBackend } from "@bpfkit/kernel";
import { afterAll, beforeAll, expect, it } from "vitest";
import { same } from "./bpftool-oracle-support.js";
import { oursProcess, theirs } from "./support/bpftool.js";
import { describeWith, usePinRoot, useTempDir } from "./support/env.js";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

describeWith(["root", "bpftool", "bpffs"], "bpftool iter vs bpftool 7.1.0", () => {
  const pinRoot = usePinRoot();
  const tmp = useTempDir("bpfkit-iter-");
  let backend: KernelBackend;
  let mapId: number;
  beforeAll(() => {
    backend = new KernelBackend();
    const map = backend.createMap({
      mapType: MapType.HASH,
      keySize: 4,
      valueSize: 4,
      maxEntries: 4,
      name: "iter_target",
    });
    mapId = backend.mapInfo(map).id;
  });
  afterAll(() => backend?.close());

  it("help, usage and argument errors", async () => {
    for (const args of [
      ["iter"],
      ["iter", "help"],
      ["iter", "bogus"],
      ["iter", "pin"],
      ["iter", "pin", "x"],
      ["iter", "pin", "x", "y", "map"],
      ["iter", "pin", "x", "y", "map", "id"],
      ["iter", "pin", "x", "y", "map", "id", "0x7ffffff0"],
      ["iter", "pin", "x", "y", "map", "nope", "1"],
    ]) {
      await same(args);
      await same(["-j", ...args]);
    }
  });

  it("objects that do not open or load: libbpf's words, bpftool's error and status", async () => {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(`${tmp()}/not-elf.o`, "not an object\n");
    for (const obj of ["/nonexistent.o", `${tmp()}/not-elf.o`, fixture("verifier_reject.bpf.o")]) {
      await same(["iter", "pin", obj, `${pinRoot()}/it`]);
      await same(["-j", "iter", "pin", obj, `${pinRoot()}/it`]);
    }
  });

  it("a first program that is not an iterator is refused at attach, with or without a map; nothing is pinned", async () => {
    const obj = fixture("xdp_pass.bpf.o");
    for (const extra of [[], ["map", "id", String(mapId)], ["map", "name", "iter_target"], ["ignored", "words"]]) {
      const a = await same(["iter", "pin", obj, `${pinRoot()}/it`, ...extra]);
      expect(a.status).toBe(234);
      await same(["-j", "iter", "pin", obj, `${pinRoot()}/it`, ...extra]);
    }
    const { existsSync } = await import("node:fs");
    expect(existsSync(`${pinRoot()}/it`)).toBe(false);
    expect(oursProcess(["iter", "pin", obj, `${pinRoot()}/it`])).toEqual(
      theirs(["iter", "pin", obj, `${pinRoot()}/it`]),
    );
  });
});
