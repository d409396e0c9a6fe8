// C names for BTF types. BTF may hold several different types with one name (vmlinux has a few); C cannot, so
// the n-th distinct type with a given name (n > 1) is called `name___n`. Struct/union/enum tags count in one
// namespace, typedefs and enumerators in another, in the order the dumper first asks for each name, exactly
// like libbpf's btf_dump. Forward declarations and empty enums keep their name: they never define anything.
import { ENUM, FWD } from "./kinds.js";
import type { TypeTable } from "./type-table.js";

/** libbpf formats the renamed identifier into a 256-byte buffer. */
const MAX_NAME_LENGTH = 255;

export class NameResolver {
  /** How often each tag name was handed out so far. */
  private readonly tagCounts = new Map<string, number>();
  /** How often each typedef / enumerator name was handed out so far. */
  private readonly identCounts = new Map<string, number>();
  /** The renamed form, for ids whose name needed a suffix. */
  private readonly renamed = new Map<number, string>();
  private readonly resolved: Uint8Array;

  constructor(private readonly table: TypeTable) {
    this.resolved = new Uint8Array(table.count);
  }

  /** Name of a struct, union, enum or fwd in the tag namespace ("" when anonymous). */
  tagName(id: number): string {
    return this.resolve(id, this.tagCounts);
  }

  /** Name of a typedef in the identifier namespace. */
  identName(id: number): string {
    return this.resolve(id, this.identCounts);
  }

  /** Counts one more use of an enumerator name and returns how many there have been (1 for the first). */
  enumeratorOccurrence(name: string): number {
    return bump(this.identCounts, name);
  }

  private resolve(id: number, counts: Map<string, number>): string {
    const table = this.table;
    const nameOffset = table.nameOffset(id);
    if (nameOffset === 0) return "";
    const original = table.string(nameOffset);
    if (this.resolved[id] === 1) return this.renamed.get(id) ?? original;
    this.resolved[id] = 1;
    const kind = table.kinds[id];
    if (kind === FWD || (kind === ENUM && table.vlen(id) === 0)) return original;
    const occurrence = bump(counts, original);
    if (occurrence === 1) return original;
    const name = `${original}___${occurrence}`.slice(0, MAX_NAME_LENGTH);
    this.renamed.set(id, name);
    return name;
  }
}

function bump(counts: Map<string, number>, name: string): number {
  const n = (counts.get(name) ?? 0) + 1;
  counts.set(name, n);
  return n;
}
