// dedupBtf: the dedup passes on a parsed Btf (the package's model) instead of raw bytes. Btf.parse already did
// every check dedup needs, and its type words and string bytes are exactly what the passes read, so nothing is
// decoded twice; the result is parsed back into a Btf (on the same base for split BTF).
import { Btf } from "../btf.js";
import { BTF_MAGIC } from "../header.js";
import { type DedupBase, indexDedupBase } from "./base.js";
import { dedupParsed } from "./dedup.js";
import { BtfDedupError } from "./errors.js";
import type { RawBtf } from "./raw-btf.js";

export interface DedupBtfOptions {
  /** Raw .BTF.ext that goes with `btf`: its strings and type ids are rewritten to match the output. */
  readonly btfExt?: Uint8Array;
}

export interface DedupBtfResult {
  /** The deduplicated BTF (split on the input's base when the input is split). */
  readonly btf: Btf;
  /** The same BTF as raw bytes: byte-identical to libbpf's btf__raw_data() after btf__dedup(). */
  readonly raw: Uint8Array;
  /** Input type id -> output type id, for every id of the input (void and base ids included). */
  readonly typeIdMap: Uint32Array;
  /** Rewritten .BTF.ext, when one was given. */
  readonly btfExt?: Uint8Array;
}

/** Indexed bases, so that many split BTFs on one vmlinux index it once. */
const indexedBases = new WeakMap<Btf, DedupBase>();

/** The header libbpf re-emits: the parsed fields, in the blob's byte order, zero-padded to hdr_len. */
function headerBytes(btf: Btf): Uint8Array {
  const h = btf.header;
  const le = h.littleEndian;
  const header = new Uint8Array(h.hdrLen);
  const view = new DataView(header.buffer);
  view.setUint16(0, BTF_MAGIC, le);
  view.setUint8(2, h.version);
  view.setUint8(3, h.flags);
  view.setUint32(4, h.hdrLen, le);
  view.setUint32(8, h.typeOff, le);
  view.setUint32(12, h.typeLen, le);
  view.setUint32(16, h.strOff, le);
  view.setUint32(20, h.strLen, le);
  return header;
}

function rawOf(btf: Btf): RawBtf {
  return {
    littleEndian: btf.littleEndian,
    header: headerBytes(btf),
    words: btf.words,
    typeStarts: btf.starts,
    strings: btf.strings.bytes,
  };
}

/** Deduplicates a parsed BTF the way libbpf 1.1's btf__dedup() does. */
export function dedupBtf(btf: Btf, options: DedupBtfOptions = {}): DedupBtfResult {
  let base: DedupBase | undefined;
  if (btf.base) {
    if (btf.base.base) {
      throw new BtfDedupError("BAD_ARGUMENT", "dedup of split BTF whose base is itself split is not supported", {
        section: ".BTF",
      });
    }
    base = indexedBases.get(btf.base);
    if (!base) {
      base = indexDedupBase(rawOf(btf.base));
      indexedBases.set(btf.base, base);
    }
  }
  const result = dedupParsed(rawOf(btf), base, options.btfExt);
  return {
    btf: Btf.parse(result.btf, btf.base ? { base: btf.base } : {}),
    raw: result.btf,
    typeIdMap: result.typeIdMap,
    ...(result.btfExt ? { btfExt: result.btfExt } : {}),
  };
}
