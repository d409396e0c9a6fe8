// Helpers for the BTF dedup tests: raw .BTF/.BTF.ext out of fixture objects, the linker-style concatenation
// of several BTFs into one (or into split BTF on a base), and the libbpf oracle (bench/c/btf_dedup_bench.c).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Btf } from "../packages/btf/src/btf.js";
import { forEachStringWord, forEachTypeIdWord } from "../packages/btf/src/kinds.js";
import { writeBtfBlob } from "../packages/btf/src/words.js";
import { useTempDir } from "./support/env.js";

export const fixtureDir = fileURLToPath(new URL("./fixtures/", import.meta.url));
const harnessSource = fileURLToPath(new URL("../bench/c/btf_dedup_bench.c", import.meta.url));

/** Contents of a named section of an ELF64 object (either byte order), or undefined. */
export function elfSection(elf: Uint8Array, name: string): Uint8Array | undefined {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const le = elf[5] === 1;
  const shoff = Number(view.getBigUint64(0x28, le));
  const shentsize = view.getUint16(0x3a, le);
  const shnum = view.getUint16(0x3c, le);
  const shstrndx = view.getUint16(0x3e, le);
  const header = (i: number) => shoff + i * shentsize;
  const strOff = Number(view.getBigUint64(header(shstrndx) + 0x18, le));
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    let end = strOff + view.getUint32(h, le);
    const start = end;
    while (elf[end] !== 0) end++;
    if (new TextDecoder().decode(elf.subarray(start, end)) !== name) continue;
    const off = Number(view.getBigUint64(h + 0x18, le));
    return elf.slice(off, off + Number(view.getBigUint64(h + 0x20, le)));
  }
  return undefined;
}

export function fixtureSection(object: string, name: string): Uint8Array | undefined {
  return elfSection(new Uint8Array(readFileSync(join(fixtureDir, object))), name);
}

export function fixtureBtf(object: string): Uint8Array {
  const btf = fixtureSection(object, ".BTF");
  if (!btf) throw new Error(`${object} has no .BTF`);
  return btf;
}

/**
 * Concatenates little-endian raw BTFs the way the static linker appends per-object BTF: ids and string offsets of
 * each blob shifted past the previous ones. With `base`, the result is split BTF whose ids start after the
 * base's and whose string offsets start at the base's string length. With `shareStrings`, equal strings of all
 * blobs share one offset (like btf__add_str), so that repeated types are exact duplicates, names included.
 */
export function concatRawBtf(
  blobs: readonly Uint8Array[],
  base?: Uint8Array,
  { shareStrings = false }: { shareStrings?: boolean } = {},
): Uint8Array {
  const baseRaw = base ? Btf.parse(base) : undefined;
  let idShift = baseRaw ? baseRaw.ownTypeCount : 0;
  let strShift = baseRaw ? baseRaw.strings.bytes.length : 0;
  const words: Uint32Array[] = [];
  const strings: Uint8Array[] = [];
  const shared = new Map<string, number>([["", 0]]);
  let sharedLength = baseRaw ? 0 : 1;
  const sharedParts: Uint8Array[] = baseRaw ? [] : [new Uint8Array(1)];
  for (const blob of blobs) {
    const raw = Btf.parse(blob);
    const w = raw.words.slice();
    const nameOf = (off: number): number => {
      if (!shareStrings) return off + strShift;
      const bytes = raw.strings.bytes.subarray(off, raw.strings.bytes.indexOf(0, off) + 1);
      const key = Buffer.from(bytes).toString("latin1");
      let at = shared.get(key);
      if (at === undefined) {
        at = sharedLength + (baseRaw ? baseRaw.strings.bytes.length : 0);
        shared.set(key, at);
        sharedParts.push(bytes);
        sharedLength += bytes.length;
      }
      return at;
    };
    for (const at of raw.starts) {
      forEachTypeIdWord(w, at, (i) => {
        if (w[i] !== 0) w[i] = (w[i] as number) + idShift;
      });
      forEachStringWord(w, at, (i) => {
        if (w[i] !== 0) w[i] = nameOf(w[i] as number);
      });
    }
    words.push(w);
    strings.push(raw.strings.bytes);
    idShift += raw.ownTypeCount;
    strShift += raw.strings.bytes.length;
  }
  const join = (parts: readonly Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const allWords = new Uint32Array(words.reduce((n, w) => n + w.length, 0));
  let at = 0;
  for (const w of words) {
    allWords.set(w, at);
    at += w.length;
  }
  return writeBtfBlob({
    words: allWords,
    strings: shareStrings ? join(sharedParts) : join(strings),
    littleEndian: true,
  });
}

let harness: string | undefined;
// Registered while the importing test file is collected, so its hooks belong to that file: the directory is made
// before the file's tests and removed with everything in it after them. Read it only in hooks and tests.
const workDir = useTempDir("bpfkit-dedup-");

/** A path in the importing test file's temporary directory, written with `data` when given. */
export function scratchFile(name: string, data?: Uint8Array): string {
  const path = join(workDir(), name);
  if (data) writeFileSync(path, data);
  return path;
}

/** Builds the libbpf harness once per test file. */
export function libbpfHarness(): string {
  if (harness && existsSync(harness)) return harness;
  harness = scratchFile("btf_dedup_bench");
  execFileSync("cc", ["-O2", "-o", harness, harnessSource, "-lbpf"], { stdio: "pipe" });
  return harness;
}

export interface OracleResult {
  readonly btf: Uint8Array;
  readonly btfExt?: Uint8Array;
  readonly types: number;
  readonly kinds: Record<string, number>;
}

let counter = 0;

/** libbpf's btf__dedup on the same input. */
export function libbpfDedup(btf: Uint8Array, options: { base?: Uint8Array; btfExt?: Uint8Array } = {}): OracleResult {
  const n = counter++;
  const args = ["dedup", scratchFile(`in${n}.btf`, btf), scratchFile(`out${n}.btf`)];
  if (options.base) args.push("--base", scratchFile(`base${n}.btf`, options.base));
  if (options.btfExt) args.push("--ext", scratchFile(`in${n}.ext`, options.btfExt), scratchFile(`out${n}.ext`));
  const summary = JSON.parse(execFileSync(libbpfHarness(), args, { encoding: "utf8" })) as {
    types: number;
    kinds: Record<string, number>;
  };
  return {
    btf: new Uint8Array(readFileSync(scratchFile(`out${n}.btf`))),
    ...(options.btfExt ? { btfExt: new Uint8Array(readFileSync(scratchFile(`out${n}.ext`))) } : {}),
    types: summary.types,
    kinds: summary.kinds,
  };
}
