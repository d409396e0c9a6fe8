// bpftool's build_pinned_obj_table, for `-f`: every object of one kind pinned on any mounted bpffs, by id. Each bpf
// mount is walked as nftw(FTW_PHYS) walks it (directory order as the file system returns it, depth first). The
// paths of one id come back in the order libbpf's hashmap gives them: entries are prepended to their bucket, and
// each growth of the table moves them bucket by bucket, prepending again (which reverses them); the table is
// simulated so that ids pinned several times list their paths as bpftool does.
import type { KernelBackend } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import { mountTable, readDirInOrder } from "./dirs.js";
import { fdObjectType } from "./pinned-object.js";

export type PinnedKind = "prog" | "map" | "link";

const GOLDEN_RATIO_64 = 0x9e3779b97f4a7c15n;
const MASK_64 = (1n << 64n) - 1n;

/** libbpf's hash_bits (LP64): the top `bits` bits of key times the 64-bit golden ratio. */
function hashBits(key: number, bits: number): number {
  return bits === 0 ? 0 : Number(((BigInt(key) * GOLDEN_RATIO_64) & MASK_64) >> BigInt(64 - bits));
}

export class PinnedTable {
  #buckets: { id: number; path: string }[][] = [];
  #bits = 0;
  #count = 0;

  /** hashmap__append: grows first when the new entry would pass 75% of the buckets. */
  add(id: number, path: string): void {
    if (this.#buckets.length === 0 || Math.floor(((this.#count + 1) * 4) / 3) > this.#buckets.length) this.#grow();
    this.#buckets[hashBits(id, this.#bits)]?.unshift({ id, path });
    this.#count++;
  }

  #grow(): void {
    const bits = Math.max(this.#bits + 1, 2);
    const buckets: { id: number; path: string }[][] = Array.from({ length: 1 << bits }, () => []);
    for (const bucket of this.#buckets) for (const entry of bucket) buckets[hashBits(entry.id, bits)]?.unshift(entry);
    this.#buckets = buckets;
    this.#bits = bits;
  }

  get size(): number {
    return this.#count;
  }

  /** bpftool prints `pinned` for every object when anything of the kind is pinned at all. */
  get empty(): boolean {
    return this.#count === 0;
  }

  /** The paths of `id`, in hashmap__for_each_key_entry order. */
  paths(id: number): string[] {
    if (this.#buckets.length === 0) return [];
    return (this.#buckets[hashBits(id, this.#bits)] ?? []).filter((e) => e.id === id).map((e) => e.path);
  }

  get(id: number): string[] {
    return this.paths(id);
  }
}

/** bpf file system mount points, in /proc/mounts order (types starting with "bpf", as bpftool tests them). */
export function bpfMounts(): string[] {
  return (mountTable() ?? []).filter((m) => m.type.startsWith("bpf")).map((m) => m.dir);
}

/** nftw(FTW_PHYS): depth first, directory order, symbolic links neither followed nor visited. */
function walk(dir: string, visit: (path: string) => void): void {
  for (const entry of readDirInOrder(dir)) {
    const path = `${dir === "/" ? "" : dir}/${entry.name}`;
    if (entry.isDirectory()) walk(path, visit);
    else if (!entry.isSymbolicLink()) visit(path);
  }
}

function idOf(backend: KernelBackend, fd: Fd, kind: PinnedKind): number {
  if (kind === "prog") return backend.progInfo(fd).id;
  if (kind === "map") return backend.mapInfo(fd).id;
  return backend.linkInfo(fd).id;
}

export function buildPinnedTable(backend: KernelBackend, kind: PinnedKind): PinnedTable {
  const table = new PinnedTable();
  for (const mount of bpfMounts()) {
    walk(mount, (path) => {
      let fd: Fd;
      try {
        fd = backend.getPinned(path);
      } catch {
        return;
      }
      try {
        if (fdObjectType(backend, fd) === kind) table.add(idOf(backend, fd, kind), path);
      } catch {
        // gone while we looked, or not readable: bpftool skips it too
      } finally {
        fd.close();
      }
    });
  }
  return table;
}
