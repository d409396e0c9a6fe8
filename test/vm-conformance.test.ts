// The BPF ISA conformance corpus (../shared/conformance, read in place, never copied) through both VM engines:
// every `result` test returns its expected r0 and every `reject` test is refused, at load or at run time. `callx`,
// which no reference engine confirms (reference_ok false), follows the kernel: refused. The compiled engine must
// agree with the interpreter on every record, instruction count included (counted per basic block in the
// WebAssembly module, per instruction in the interpreter), which also shows the module really ran. The suite's
// plugin protocol is checked through the installed bin, as the upstream runner would call it.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bytesOfHex, type Engine, runConformance } from "@bpfkit/vm";
import { describe, expect, it } from "vitest";

const CORPUS = fileURLToPath(new URL("../../shared/conformance/corpus.jsonl", import.meta.url));
const PLUGIN = fileURLToPath(new URL("../node_modules/.bin/bpfkit-vm-conformance", import.meta.url));

interface Record {
  name: string;
  program_hex: string;
  mem_hex: string;
  expected: string | null;
  kind: "result" | "reject";
  reference_ok: boolean;
}

const corpus = (): Record[] =>
  readFileSync(CORPUS, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record);

/** The suite's MEM argument: each byte as two hex digits and two blanks. */
const memArg = (hex: string) => (hex.match(/../g) ?? []).map((b) => `${b}  `).join("");

if (!existsSync(CORPUS)) console.warn(`skipping the conformance corpus: ${CORPUS} is absent`);

describe.skipIf(!existsSync(CORPUS))("BPF ISA conformance corpus", () => {
  it.each(["interpreter", "compiled"] as Engine[])(
    "%s: every result test returns its r0, every reject test is refused",
    (engine) => {
      const records = corpus();
      expect(records).toHaveLength(424);
      const wrong: string[] = [];
      for (const r of records) {
        const outcome = runConformance(bytesOfHex(r.program_hex), bytesOfHex(r.mem_hex), engine);
        const refused = r.kind === "reject" || !r.reference_ok;
        if (refused ? outcome.ok : !outcome.ok || outcome.value !== BigInt(r.expected!) || outcome.engine !== engine) {
          wrong.push(`${r.name}: ${outcome.ok ? `0x${outcome.value.toString(16)}` : outcome.error}`);
        }
      }
      expect(wrong).toEqual([]);
    },
  );

  it("the two engines agree on every record: value, refusal and instructions executed", () => {
    const differ: string[] = [];
    for (const r of corpus()) {
      const [a, b] = (["interpreter", "compiled"] as Engine[]).map((e) =>
        runConformance(bytesOfHex(r.program_hex), bytesOfHex(r.mem_hex), e),
      );
      const key = (o: typeof a) => (o!.ok ? `${o!.value} in ${o!.steps} steps` : "refused");
      if (key(a) !== key(b)) differ.push(`${r.name}: ${key(a)} vs ${key(b)}`);
    }
    expect(differ).toEqual([]);
  });

  it("the plugin speaks the suite's protocol (hex program on stdin, MEM argument, r0 or a refusal)", () => {
    const records = corpus();
    const pick = (pred: (r: Record) => boolean) => records.find(pred)!;
    const withMemory = pick((r) => r.kind === "result" && r.mem_hex !== "" && r.reference_ok);
    const plain = pick((r) => r.name === "add64");
    const reject = pick((r) => r.name === "ubpf/errors/err-jmp-out");
    const run = (r: Record) => {
      const engine = r === withMemory ? "compiled" : "interpreter";
      const args = r.mem_hex ? [memArg(r.mem_hex), "--engine", engine] : ["--engine", engine];
      return spawnSync(PLUGIN, args, { input: `${memArg(r.program_hex)}\n`, encoding: "utf8" });
    };
    for (const r of [withMemory, plain]) {
      const out = run(r);
      expect([out.status, BigInt(out.stdout.trim())]).toEqual([0, BigInt(r.expected!)]);
    }
    const refused = run(reject);
    expect(refused.status).not.toBe(0);
    expect(refused.stdout).toContain("jump out of range");
  });
});
