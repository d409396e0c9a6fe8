// Oracle: bpftool 7.1 itself. Every fixture that loads on this kernel is loaded with `bpftool prog loadall`; for
// each program the raw xlated bytes (`dump xlated ... file F`) are decoded and disassembled by us with the
// bpftool-xlated symbolizer and the v6.1 dialect, then compared line by line with `bpftool prog dump xlated` and
// with `bpftool -j prog dump xlated ... opcodes`. A program compiled with -mcpu=v4 covers the newer instructions.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWith, multiarchIncludes, useTempDir } from "../../../test/support/env.js";
import { FIXTURE_DIR } from "../test-support/fixtures.js";
import { bpftoolXlatedSymbolizer, type KernelSymbol, parseKallsyms } from "./bpftool-xlated.js";
import { decodeInstructions } from "./codec.js";
import { disassemble, disassembleJson } from "./listing.js";
import { BPFTOOL_HELPER_NAMES } from "./tables.generated.js";

// sections.bpf.o and bss_custom.bpf.o do not load here (see the brief); big-endian twins never load on x86.
const LOADABLE = ["xdp_pass", "xdp_parse", "globals", "maps", "subprogs", "externs", "core_task"];
const SUPPORT = fileURLToPath(new URL("../test-support/", import.meta.url));

interface LoadedProgram {
  object: string;
  pin: string;
  id: number;
}

const bpftool = (args: string[]) => execFileSync("bpftool", args, { encoding: "utf8", maxBuffer: 64 << 20 });

describeWith(
  ["bpftool", "root", "bpffs", "clang", "libbpf-dev"],
  "disassembly identical to bpftool prog dump xlated",
  () => {
    // Every program is loaded once for the whole suite (beforeAll), so the suite has one pin directory.
    const pinRoot = `/sys/fs/bpf/bpfkit-asm-${process.pid}-${Date.now()}`;
    const work = useTempDir("bpfkit-asm-");
    const programs: LoadedProgram[] = [];
    let kallsyms: KernelSymbol[] = [];
    // maps.bpf.o pins a LIBBPF_PIN_BY_NAME map at the default pin root; remove it afterwards only if we created it.
    const pinnedByName = "/sys/fs/bpf/lru_pinned";
    let hadPinnedByName = true;
    let ksymsTool = "";

    beforeAll(() => {
      hadPinnedByName = existsSync(pinnedByName);
      mkdirSync(pinRoot);
      ksymsTool = join(work(), "prog_ksyms");
      execFileSync("cc", ["-O1", "-o", ksymsTool, `${SUPPORT}prog_ksyms.c`, "-lbpf"]);
      const v4 = join(work(), "isa_v4.bpf.o");
      execFileSync("clang-19", [
        "-target",
        "bpf",
        "-mcpu=v4",
        "-g",
        "-O2",
        ...multiarchIncludes(),
        "-c",
        `${SUPPORT}isa_v4.bpf.c`,
        "-o",
        v4,
      ]);
      const objects = [
        ...LOADABLE.map((n) => ({ name: n, path: `${FIXTURE_DIR}${n}.bpf.o` })),
        { name: "isa_v4", path: v4 },
      ];
      for (const { name, path } of objects) {
        const dir = `${pinRoot}/${name}`;
        execFileSync("bpftool", ["prog", "loadall", path, dir], { stdio: ["ignore", "ignore", "pipe"] });
        for (const prog of readdirSync(dir).sort()) {
          const pin = `${dir}/${prog}`;
          const info = JSON.parse(bpftool(["-j", "prog", "show", "pinned", pin])) as { id: number };
          programs.push({ object: name, pin, id: info.id });
        }
      }
      // Read after loading: the programs' own symbols (bpf_prog_<tag>_<name>) must be in the table.
      kallsyms = parseKallsyms(readFileSync("/proc/kallsyms", "utf8"));
    });

    afterAll(() => {
      rmSync(pinRoot, { recursive: true, force: true });
      if (!hadPinnedByName) rmSync(pinnedByName, { force: true });
    });

    function ours(p: LoadedProgram) {
      const file = join(work(), `xlated-${p.id}.bin`);
      bpftool(["prog", "dump", "xlated", "id", String(p.id), "file", file]);
      const insns = decodeInstructions(new Uint8Array(readFileSync(file)), "little", { lenient: true });
      const jitedKsyms = execFileSync(ksymsTool, [String(p.id)], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean)
        .map((a) => BigInt(`0x${a}`));
      const options = {
        dialect: "v6.1" as const,
        helperNames: BPFTOOL_HELPER_NAMES,
        symbolizer: bpftoolXlatedSymbolizer({ kallsyms, jitedKsyms }),
      };
      return { insns, options };
    }

    it("loads every loadable fixture and the v4 program", () => {
      expect(new Set(programs.map((p) => p.object))).toEqual(new Set([...LOADABLE, "isa_v4"]));
      expect(programs.length).toBeGreaterThanOrEqual(LOADABLE.length + 1);
    });

    it("prints every program line by line like bpftool (plain text)", () => {
      let compared = 0;
      for (const p of programs) {
        const { insns, options } = ours(p);
        // bpftool adds BTF lines (function prototypes, "; source"); only instruction lines are compared.
        const theirs = bpftool(["prog", "dump", "xlated", "id", String(p.id)])
          .split("\n")
          .filter((l) => /^ *\d+: /.test(l));
        expect(disassemble(insns, options), `${p.object} ${p.pin}`).toEqual(theirs);
        compared += theirs.length;
      }
      expect(compared).toBeGreaterThan(300);
    });

    it("matches bpftool -j ... opcodes (disasm text and opcode bytes)", () => {
      for (const p of programs) {
        const { insns, options } = ours(p);
        const json = JSON.parse(bpftool(["-j", "prog", "dump", "xlated", "id", String(p.id), "opcodes"])) as {
          disasm: string;
          opcodes: unknown;
        }[];
        const theirs = json.map(({ disasm, opcodes }) => ({ disasm, opcodes }));
        expect(disassembleJson(insns, { ...options, opcodes: true }), `${p.object} ${p.pin}`).toEqual(theirs);
      }
    });

    it("prints the opcode bytes lines of plain `opcodes` output", () => {
      const p = programs.find((x) => x.object === "xdp_parse")!;
      const { insns, options } = ours(p);
      const theirs = bpftool(["prog", "dump", "xlated", "id", String(p.id), "opcodes"])
        .split("\n")
        .filter((l) => /^ *\d+: |^ {7}[0-9a-f]{2} /.test(l));
      expect(disassemble(insns, { ...options, opcodes: true })).toEqual(theirs);
    });

    it("exercises the v4 forms bpftool 7.1 cannot name, and prints them in the current dialect", () => {
      const p = programs.find((x) => x.object === "isa_v4")!;
      const { insns, options } = ours(p);
      const old = disassemble(insns, options).join("\n");
      expect(old).toContain("BUG_ldx_91");
      expect(old).toContain("BUG_alu64_d7");
      expect(old).toContain("atomic64_cmpxchg");
      const current = disassemble(insns, { ...options, dialect: "current" }).join("\n");
      expect(current).toContain("r2 = *(s8 *)(r0 +8)");
      expect(current).toContain("r5 = bswap32 r5");
      expect(current).not.toContain("BUG_");
    });
  },
);
