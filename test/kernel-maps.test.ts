// Map commands against the real kernel: create several types, CRUD, iteration, batch ops, freeze, mmap.
import { encodeInstructions, exit, MapType, mov64Imm, ProgType, R0 } from "@bpfkit/asm";
import { BpfSyscallError, KernelBackend, KernelBackendError, MapFlag, possibleCpus, UpdateFlag } from "@bpfkit/kernel";
import { afterAll, beforeAll, expect, it } from "vitest";
import { getMemlockLimit } from "../packages/kernel/src/libc.js";
import { describeWith } from "./support/env.js";

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);
const readU32 = (b: Uint8Array, off = 0) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const readU64 = (b: Uint8Array, off = 0) => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);

describeWith(["root"], "kernel backend: maps", () => {
  let backend: KernelBackend;
  beforeAll(() => {
    backend = new KernelBackend();
  });
  afterAll(() => backend.close());

  it("creates a hash map and does lookup/update/delete with kernel semantics", () => {
    using map = backend.createMap({ mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: "t_hash" });
    const value = new Uint8Array(8);
    expect(backend.mapLookup(map, u32(1), value)).toBe(false);
    backend.mapUpdate(map, u32(1), u64(0x1122334455667788n));
    expect(backend.mapLookup(map, u32(1), value)).toBe(true);
    expect(readU64(value)).toBe(0x1122334455667788n);
    // BPF_NOEXIST on an existing key is EEXIST; BPF_EXIST on a missing key is ENOENT.
    expect(() => backend.mapUpdate(map, u32(1), u64(1n), UpdateFlag.NOEXIST)).toThrow(
      expect.objectContaining({ code: "EEXIST", command: "BPF_MAP_UPDATE_ELEM" }),
    );
    expect(() => backend.mapUpdate(map, u32(2), u64(1n), UpdateFlag.EXIST)).toThrow(
      expect.objectContaining({ code: "ENOENT" }),
    );
    expect(backend.mapDelete(map, u32(1))).toBe(true);
    expect(backend.mapDelete(map, u32(1))).toBe(false);
    // A full map refuses new keys with E2BIG.
    for (let i = 0; i < 4; i++) backend.mapUpdate(map, u32(i), u64(BigInt(i)));
    expect(() => backend.mapUpdate(map, u32(9), u64(9n))).toThrow(expect.objectContaining({ code: "E2BIG" }));
  });

  it("rejects buffers smaller than the map's key/value before calling the kernel", () => {
    using map = backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 2 });
    expect(() => backend.mapLookup(map, u32(0), new Uint8Array(8))).toThrow(KernelBackendError);
    expect(() => backend.mapUpdate(map, new Uint8Array(2), new Uint8Array(16))).toThrow(KernelBackendError);
  });

  it("iterates every key with get_next_key from a null cursor", () => {
    using map = backend.createMap({ mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 64 });
    const keys = [5, 17, 3, 99, 42];
    for (const k of keys) backend.mapUpdate(map, u32(k), u32(k * 10));
    const seen: number[] = [];
    const next = new Uint8Array(4);
    let cursor: Uint8Array | null = null;
    while (backend.mapGetNextKey(map, cursor, next)) {
      seen.push(readU32(next));
      cursor = next.slice();
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([...keys].sort((a, b) => a - b));
  });

  it("array maps: every index exists, delete is EINVAL", () => {
    using map = backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 3 });
    const v = new Uint8Array(4);
    expect(backend.mapLookup(map, u32(2), v)).toBe(true);
    expect(readU32(v)).toBe(0);
    expect(backend.mapLookup(map, u32(3), v)).toBe(false);
    expect(() => backend.mapDelete(map, u32(0))).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("per-CPU maps read one 8-byte-aligned slot per possible CPU", () => {
    const cpus = possibleCpus();
    using map = backend.createMap({ mapType: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const values = new Uint8Array(8 * cpus);
    for (let c = 0; c < cpus; c++) new DataView(values.buffer).setUint32(c * 8, 100 + c, true);
    backend.mapUpdate(map, u32(0), values);
    const out = new Uint8Array(8 * cpus);
    expect(backend.mapLookup(map, u32(0), out)).toBe(true);
    for (let c = 0; c < cpus; c++) expect(readU32(out, c * 8)).toBe(100 + c);
    expect(() => backend.mapLookup(map, u32(0), new Uint8Array(4))).toThrow(KernelBackendError);
  });

  it("queue maps: push with a null key, peek and pop", () => {
    using map = backend.createMap({ mapType: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 4 });
    backend.mapUpdate(map, null, u32(7));
    backend.mapUpdate(map, null, u32(8));
    const v = new Uint8Array(4);
    expect(backend.mapLookup(map, null, v)).toBe(true);
    expect(readU32(v)).toBe(7);
    expect(backend.mapLookupAndDelete(map, null, v)).toBe(true);
    expect(readU32(v)).toBe(7);
    expect(backend.mapLookupAndDelete(map, null, v)).toBe(true);
    expect(readU32(v)).toBe(8);
    expect(backend.mapLookupAndDelete(map, null, v)).toBe(false);
  });

  it("batch update, lookup (in chunks) and delete on a hash map", () => {
    const n = 100;
    using map = backend.createMap({ mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 128 });
    const keys = new Uint8Array(4 * n);
    const values = new Uint8Array(8 * n);
    for (let i = 0; i < n; i++) {
      new DataView(keys.buffer).setUint32(i * 4, i + 1000, true);
      new DataView(values.buffer).setBigUint64(i * 8, BigInt(i) * 3n, true);
    }
    expect(backend.mapUpdateBatch(map, { keys, values, count: n })).toBe(n);

    const found = new Map<number, bigint>();
    let inBatch: Uint8Array | null = null;
    const outBatch = new Uint8Array(4);
    for (let round = 0; round < 20; round++) {
      const chunkKeys = new Uint8Array(4 * 16);
      const chunkValues = new Uint8Array(8 * 16);
      const r = backend.mapLookupBatch(map, { inBatch, outBatch, keys: chunkKeys, values: chunkValues, count: 16 });
      for (let i = 0; i < r.count; i++) found.set(readU32(chunkKeys, i * 4), readU64(chunkValues, i * 8));
      if (r.done) break;
      inBatch = outBatch.slice();
    }
    expect(found.size).toBe(n);
    for (let i = 0; i < n; i++) expect(found.get(i + 1000)).toBe(BigInt(i) * 3n);

    expect(backend.mapDeleteBatch(map, { keys: keys.subarray(0, 40), count: 10 })).toBe(10);
    const next = new Uint8Array(4);
    let remaining = 0;
    let cursor: Uint8Array | null = null;
    while (backend.mapGetNextKey(map, cursor, next)) {
      remaining++;
      cursor = next.slice();
    }
    expect(remaining).toBe(n - 10);

    // Lookup-and-delete batch drains the map.
    let drained = 0;
    let token: Uint8Array | null = null;
    for (let round = 0; round < 20; round++) {
      const r = backend.mapLookupAndDeleteBatch(map, {
        inBatch: token,
        outBatch,
        keys: new Uint8Array(4 * 32),
        values: new Uint8Array(8 * 32),
        count: 32,
      });
      drained += r.count;
      if (r.done) break;
      token = outBatch.slice();
    }
    expect(drained).toBe(n - 10);
    expect(backend.mapGetNextKey(map, null, next)).toBe(false);
  });

  it("map-in-map and prog array slots take fds and read back ids", () => {
    using inner = backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    using outer = backend.createMap({
      mapType: MapType.ARRAY_OF_MAPS,
      keySize: 4,
      valueSize: 4,
      maxEntries: 2,
      innerMap: inner,
    });
    backend.mapUpdate(outer, u32(1), u32(inner.value));
    const id = new Uint8Array(4);
    expect(backend.mapLookup(outer, u32(1), id)).toBe(true);
    expect(readU32(id)).toBe(backend.mapInfo(inner).id);
    expect(backend.mapLookup(outer, u32(0), id)).toBe(false);

    using progs = backend.createMap({ mapType: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    const { fd: prog } = backend.loadProgram({
      progType: ProgType.XDP,
      insns: encodeInstructions([mov64Imm(R0, 2), exit()], "little"),
      license: "GPL",
    });
    using _prog = prog;
    backend.mapUpdate(progs, u32(0), u32(prog.value));
    expect(backend.mapLookup(progs, u32(0), id)).toBe(true);
    expect(readU32(id)).toBe(backend.progInfo(prog).id);
  });

  it("freeze makes the map read-only for user space", () => {
    using map = backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    backend.mapUpdate(map, u32(0), u32(5));
    backend.mapFreeze(map);
    expect(() => backend.mapUpdate(map, u32(0), u32(6))).toThrow(expect.objectContaining({ code: "EPERM" }));
    const v = new Uint8Array(4);
    backend.mapLookup(map, u32(0), v);
    expect(readU32(v)).toBe(5);
    expect(backend.mapInfo(map).type).toBe(MapType.ARRAY);
  });

  it("mmaps an mmapable array: writes through memory are seen by syscalls and back", () => {
    using map = backend.createMap({
      mapType: MapType.ARRAY,
      keySize: 4,
      valueSize: 64,
      maxEntries: 1,
      flags: MapFlag.MMAPABLE,
    });
    using memory = backend.mapMemory(map, 64);
    expect(memory.bytes.length).toBe(64);
    new DataView(memory.bytes.buffer, memory.bytes.byteOffset).setUint32(8, 0xdeadbeef, true);
    const v = new Uint8Array(64);
    backend.mapLookup(map, u32(0), v);
    expect(readU32(v, 8)).toBe(0xdeadbeef);
    v[63] = 0x5a;
    backend.mapUpdate(map, u32(0), v);
    expect(memory.bytes[63]).toBe(0x5a);
    const stale = memory.bytes;
    memory.unmap();
    expect(memory.closed).toBe(true);
    expect(memory.bytes.length).toBe(0);
    // A view kept from before unmap() reads zero pages instead of faulting.
    expect(stale[63]).toBe(0);
  });

  it("mmap of a map without BPF_F_MMAPABLE fails with a typed error", () => {
    using map = backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    expect(() => backend.mapMemory(map, 8)).toThrow(BpfSyscallError);
  });

  it("leaves RLIMIT_MEMLOCK alone on kernels with memcg accounting, as libbpf does", () => {
    const before = getMemlockLimit();
    const fresh = new KernelBackend();
    try {
      fresh.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }).close();
      if (fresh.features().memcgAccount) expect(getMemlockLimit()).toEqual(before);
      else expect(getMemlockLimit()?.[0]).toBe(2n ** 64n - 1n);
    } finally {
      fresh.close();
    }
  });

  it("map create errors carry the command and errno name", () => {
    expect(() => backend.createMap({ mapType: MapType.HASH, keySize: 0, valueSize: 4, maxEntries: 1 })).toThrow(
      expect.objectContaining({ name: "BpfSyscallError", command: "BPF_MAP_CREATE", code: "EINVAL", errno: 22 }),
    );
  });
});
