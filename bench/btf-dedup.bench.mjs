// BTF dedup: bpfkit's dedupRawBtf vs libbpf 1.1 btf__dedup (bench/c/btf_dedup_bench.c), same inputs, same run.
// Ours is timed from raw bytes to raw bytes (parse + validate + dedup + encode); libbpf's figure is btf__dedup
// alone (its parse is excluded), so the ratio is slightly unfavourable to us. Needs `pnpm build` and libbpf-dev.
// Split BTF: both sides prepare the base once, outside the timed part.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dedupRawBtf, prepareDedupBase } from "../packages/btf/dist/dedup/index.js";
import { Btf, forEachStringWord, forEachTypeIdWord, writeBtfBlob } from "../packages/btf/dist/index.js";
import { median } from "./util.mjs";

/** Samples are taken in alternating rounds (theirs, ours, theirs, ...) so load from other processes hits both. */
const ROUNDS = 3;

// Inputs: raw .BTF out of fixture objects, and linker-style concatenation (ids and string offsets of each blob
// shifted past the previous ones; with a base, the result is split BTF). Twin of test/btf-dedup-support.ts.
const fixtureDir = fileURLToPath(new URL("../test/fixtures/", import.meta.url));

function fixtureBtf(object) {
  const elf = new Uint8Array(readFileSync(fixtureDir + object));
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const le = elf[5] === 1;
  const shoff = Number(view.getBigUint64(0x28, le));
  const shentsize = view.getUint16(0x3a, le);
  const shnum = view.getUint16(0x3c, le);
  const strOff = Number(view.getBigUint64(shoff + view.getUint16(0x3e, le) * shentsize + 0x18, le));
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    const start = strOff + view.getUint32(h, le);
    const end = elf.indexOf(0, start);
    if (new TextDecoder().decode(elf.subarray(start, end)) !== ".BTF") continue;
    const off = Number(view.getBigUint64(h + 0x18, le));
    return elf.slice(off, off + Number(view.getBigUint64(h + 0x20, le)));
  }
  throw new Error(`${object} has no .BTF`);
}

function concatRawBtf(blobs, base) {
  const baseRaw = base ? Btf.parse(base) : undefined;
  let idShift = baseRaw ? baseRaw.ownTypeCount : 0;
  let strShift = baseRaw ? baseRaw.strings.bytes.length : 0;
  const words = [];
  const strings = [];
  for (const blob of blobs) {
    const raw = Btf.parse(blob);
    const w = raw.words.slice();
    for (const at of raw.starts) {
      forEachTypeIdWord(w, at, (i) => {
        if (w[i] !== 0) w[i] += idShift;
      });
      forEachStringWord(w, at, (i) => {
        if (w[i] !== 0) w[i] += strShift;
      });
    }
    words.push(w);
    strings.push(raw.strings.bytes);
    idShift += raw.ownTypeCount;
    strShift += raw.strings.bytes.length;
  }
  const join = (parts, Ctor) => {
    const out = new Ctor(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return writeBtfBlob({ words: join(words, Uint32Array), strings: join(strings, Uint8Array), littleEndian: true });
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-dedup-bench-"));
  const harness = join(dir, "btf_dedup_bench");
  const source = fileURLToPath(new URL("./c/btf_dedup_bench.c", import.meta.url));
  execFileSync("cc", ["-O2", "-o", harness, source, "-lbpf"], { stdio: "pipe" });

  const vmlinux = new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux"));
  const fixtures = ["core_task", "externs", "maps", "globals"].map((n) => fixtureBtf(`${n}.bpf.o`));
  const cases = [
    { what: "btf dedup: vmlinux (126k types, already deduped)", btf: vmlinux },
    { what: "btf dedup: core_task+externs+maps+globals concatenated", btf: concatRawBtf(fixtures) },
    { what: "btf dedup: vmlinux+those 4 fixtures concatenated", btf: concatRawBtf([vmlinux, ...fixtures]) },
    { what: "btf dedup: vmlinux twice concatenated (253k types)", btf: concatRawBtf([vmlinux, vmlinux]) },
    {
      what: "btf dedup: those 4 fixtures as split BTF on vmlinux",
      btf: concatRawBtf(fixtures, vmlinux),
      base: vmlinux,
    },
  ];

  const rows = [];
  for (const c of cases) {
    const input = join(dir, "in.btf");
    writeFileSync(input, c.btf);
    const small = c.btf.length < 1 << 20;
    const perRound = small ? 60 : 5;
    const args = ["time", input, String(perRound)];
    if (c.base) {
      writeFileSync(join(dir, "base.btf"), c.base);
      args.push("--base", join(dir, "base.btf"));
    }
    // libbpf's harness parses the base once and reuses it; the prepared base is our equivalent.
    const options = c.base ? { base: prepareDedupBase(c.base) } : {};
    for (let i = 0; i < (small ? 50 : 2); i++) dedupRawBtf(c.btf, options); // JIT warm-up
    const theirs = [];
    const ours = [];
    for (let round = 0; round < ROUNDS; round++) {
      theirs.push(...JSON.parse(execFileSync(harness, args, { encoding: "utf8" })).times_ms);
      for (let i = 0; i < perRound; i++) {
        const t0 = process.hrtime.bigint();
        dedupRawBtf(c.btf, options);
        ours.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    rows.push({
      what: c.what,
      ours: median(ours),
      reference: median(theirs),
      unit: "ms",
      note: `${ours.length} runs each, interleaved`,
    });
  }
  return rows;
}
