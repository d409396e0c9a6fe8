// A TypeTable over a parsed Btf: the package's Btf already holds the type section as host-order words with the
// start of each type, so for base BTF the table shares those words (no copy). Split BTF (a module on top of
// vmlinux) is flattened into one id space: base words, then the split's, with the string sections joined the same
// way, because the C dump of split BTF covers the base types too (bpftool dumps ids 1..N).
import type { Btf } from "../btf.js";
import { concatBytes } from "../byte-sink.js";
import { TypeTable } from "./type-table.js";

/** The chain of blobs from the outermost base to `btf`. */
function chainOf(btf: Btf): Btf[] {
  const chain: Btf[] = [];
  for (let b: Btf | undefined = btf; b !== undefined; b = b.base) chain.unshift(b);
  return chain;
}

/**
 * A base Btf's starts (index id - 1) as the table's (index id, void's entry 0): a view when a zero word precedes
 * them in their buffer (Btf.parse leaves one on both its scan paths), else a copy.
 */
function startsById(own: Uint32Array): Uint32Array {
  if (own.byteOffset >= 4) {
    const view = new Uint32Array(own.buffer, own.byteOffset - 4, own.length + 1);
    if (view[0] === 0) return view;
  }
  const starts = new Uint32Array(own.length + 1);
  starts.set(own, 1);
  return starts;
}

export function typeTableFromBtf(btf: Btf): TypeTable {
  const chain = chainOf(btf);
  let starts: Uint32Array;
  let words: Uint32Array;
  if (chain.length === 1) {
    words = btf.words;
    starts = startsById(btf.starts);
  } else {
    starts = new Uint32Array(btf.typeCount);
    words = new Uint32Array(chain.reduce((n, b) => n + b.words.length, 0));
    let wordBase = 0;
    for (const b of chain) {
      words.set(b.words, wordBase);
      const own = b.starts;
      for (let i = 0; i < own.length; i++) starts[b.firstOwnId + i] = own[i]! + wordBase;
      wordBase += b.words.length;
    }
  }
  const strings = concatBytes(chain.map((b) => b.strings.bytes));
  // Btf.parse has already checked every kind, name offset and type id of these records.
  return TypeTable.from({ words, starts, strings }, true);
}
