// Every ts example of packages/btf/README.md, run as written; what it prints is checked.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { useTempDir } from "../../../test/support/env.js";
import { describeReadme, runExample, trailingComment } from "../../../test/support/readme.js";
import { readFixture, readVmlinux } from "../test-support/fixtures.js";
import { Btf, Kind, parseObjectBtf } from "./btf-api.js";

// Where the C dump example writes its vmlinux.h.
const cDumpDir = useTempDir("bpfkit-readme-btf-");

describeReadme("packages/btf/README.md", {
  "Open vmlinux BTF, find `task_struct`, print member offsets": {
    does: "prints the size of task_struct and one line per member",
    needs: ["vmlinux-btf"],
    async run(example) {
      const { lines } = await runExample(example);
      const btf = Btf.parse(readVmlinux());
      const id = btf.findByName("task_struct", Kind.STRUCT)!;
      expect(lines[0]).toBe(`struct task_struct: ${btf.resolveSize(id)} bytes, align ${btf.alignOf(id)}`);
      expect(lines.length).toBe(btf.vlen(id) + 1);
      for (const line of lines.slice(1)) expect(line).toMatch(/^ {2}\+\d+(\.\d+)?( \(bitfield :\d+\))? \S* \[\w+\]$/);
      expect(lines).toContain(`  +${btf.memberBitOffset(id, memberIndex(btf, id, "pid")) / 8} pid [${Kind.INT}]`);
    },
  },
  "Build BTF": {
    does: "writes the raw dump of the BTF it built",
    async run(example) {
      const { text } = await runExample(example);
      expect(text).toBe(
        [
          "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
          "[2] STRUCT 'pair' size=8 vlen=2",
          "\t'lo' type_id=1 bits_offset=0 bitfield_size=16",
          "\t'hi' type_id=1 bits_offset=32",
          "[3] PTR '(anon)' type_id=2",
          "[4] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1",
          "\t'p' type_id=3",
          "[5] FUNC 'sum' type_id=4 linkage=global",
          "",
        ].join("\n"),
      );
    },
  },
  "Split BTF": {
    does: "finds vmlinux's task_struct through the split BTF and decodes the split BTF's own type",
    needs: ["vmlinux-btf"],
    async run(example) {
      expect(trailingComment(example, "console.log(")).toBe("lookups and accessors span base and split");
      const { lines } = await runExample(example);
      const vmlinux = Btf.parse(readVmlinux());
      const taskStruct = vmlinux.findByName("task_struct");
      expect(taskStruct).toBeGreaterThan(0);
      expect(lines).toEqual([`${taskStruct} { kind: ${Kind.PTR}, name: '', nameOff: 0, type: ${taskStruct} }`]);
    },
  },
  ".BTF.ext and objects": {
    does: "lists the CO-RE relocations of core_task.bpf.o",
    async run(example) {
      const { lines } = await runExample(example);
      const { ext } = parseObjectBtf(readFixture("core_task.bpf.o"));
      const records = (ext?.coreRelo?.sections ?? []).reduce((n, s) => n + s.records.length, 0);
      expect(records).toBeGreaterThan(10);
      expect(lines.length).toBe(records);
      for (const line of lines) expect(line).toMatch(/^\S+ \d+ \w+ [\d:]+$/);
      expect(lines.some((l) => / task_struct /.test(l))).toBe(true);
    },
  },
  "C dump": {
    does: "writes vmlinux.h",
    needs: ["vmlinux-btf"],
    async run(example) {
      const { lines } = await runExample(example, { cwd: cDumpDir() });
      expect(lines).toEqual([]);
      const header = readFileSync(join(cDumpDir(), "vmlinux.h"), "utf8");
      expect(header.startsWith("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n")).toBe(true);
      expect(header).toContain("\nstruct task_struct {\n");
      expect(header.endsWith("#endif /* __VMLINUX_H__ */\n")).toBe(true);
    },
  },
});

function memberIndex(btf: Btf, id: number, name: string): number {
  for (let i = 0; i < btf.vlen(id); i++) if (btf.memberName(id, i) === name) return i;
  throw new Error(`no member ${name}`);
}
