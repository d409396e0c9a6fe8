// The hand-written attr/info offsets against the UAPI header, through the C compiler's offsetof().
// Fields the installed header may predate (log_true_size, btf_log_true_size) are asked of the header too: their
// offsetof() where it has them, else the end of the member they follow (the UAPI only ever appends).
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import * as L from "../packages/kernel/src/attr/layout.js";
import { describeWith, useTempDir } from "./support/env.js";

/** Layout table → (C expression prefix, our key → C member). */
const TABLES: [string, Record<string, number>, string, Record<string, string>][] = [
  [
    "MapCreate",
    L.MapCreate,
    "union bpf_attr",
    {
      mapType: "map_type",
      keySize: "key_size",
      valueSize: "value_size",
      maxEntries: "max_entries",
      mapFlags: "map_flags",
      innerMapFd: "inner_map_fd",
      numaNode: "numa_node",
      mapName: "map_name",
      mapIfindex: "map_ifindex",
      btfFd: "btf_fd",
      btfKeyTypeId: "btf_key_type_id",
      btfValueTypeId: "btf_value_type_id",
      btfVmlinuxValueTypeId: "btf_vmlinux_value_type_id",
      mapExtra: "map_extra",
    },
  ],
  ["MapElem", L.MapElem, "union bpf_attr", { mapFd: "map_fd", key: "key", value: "value", flags: "flags" }],
  [
    "MapBatch",
    L.MapBatch,
    "union bpf_attr",
    {
      inBatch: "batch.in_batch",
      outBatch: "batch.out_batch",
      keys: "batch.keys",
      values: "batch.values",
      count: "batch.count",
      mapFd: "batch.map_fd",
      elemFlags: "batch.elem_flags",
      flags: "batch.flags",
    },
  ],
  [
    "ProgLoad",
    L.ProgLoad,
    "union bpf_attr",
    {
      progType: "prog_type",
      insnCnt: "insn_cnt",
      insns: "insns",
      license: "license",
      logLevel: "log_level",
      logSize: "log_size",
      logBuf: "log_buf",
      kernVersion: "kern_version",
      progFlags: "prog_flags",
      progName: "prog_name",
      progIfindex: "prog_ifindex",
      expectedAttachType: "expected_attach_type",
      progBtfFd: "prog_btf_fd",
      funcInfoRecSize: "func_info_rec_size",
      funcInfo: "func_info",
      funcInfoCnt: "func_info_cnt",
      lineInfoRecSize: "line_info_rec_size",
      lineInfo: "line_info",
      lineInfoCnt: "line_info_cnt",
      attachBtfId: "attach_btf_id",
      attachFd: "attach_prog_fd",
      coreReloCnt: "core_relo_cnt",
      fdArray: "fd_array",
      coreRelos: "core_relos",
      coreReloRecSize: "core_relo_rec_size",
    },
  ],
  ["ObjPin", L.ObjPin, "union bpf_attr", { pathname: "pathname", bpfFd: "bpf_fd", fileFlags: "file_flags" }],
  ["ObjId", L.ObjId, "union bpf_attr", { id: "start_id", nextId: "next_id", openFlags: "open_flags" }],
  ["InfoByFd", L.InfoByFd, "union bpf_attr", { bpfFd: "info.bpf_fd", infoLen: "info.info_len", info: "info.info" }],
  [
    "TestRun",
    L.TestRun,
    "union bpf_attr",
    {
      progFd: "test.prog_fd",
      retval: "test.retval",
      dataSizeIn: "test.data_size_in",
      dataSizeOut: "test.data_size_out",
      dataIn: "test.data_in",
      dataOut: "test.data_out",
      repeat: "test.repeat",
      duration: "test.duration",
      ctxSizeIn: "test.ctx_size_in",
      ctxSizeOut: "test.ctx_size_out",
      ctxIn: "test.ctx_in",
      ctxOut: "test.ctx_out",
      flags: "test.flags",
      cpu: "test.cpu",
      batchSize: "test.batch_size",
    },
  ],
  [
    "BtfLoad",
    L.BtfLoad,
    "union bpf_attr",
    {
      btf: "btf",
      btfLogBuf: "btf_log_buf",
      btfSize: "btf_size",
      btfLogSize: "btf_log_size",
      btfLogLevel: "btf_log_level",
    },
  ],
  [
    "LinkCreate",
    L.LinkCreate,
    "union bpf_attr",
    {
      progFd: "link_create.prog_fd",
      targetFd: "link_create.target_fd",
      attachType: "link_create.attach_type",
      flags: "link_create.flags",
      targetBtfId: "link_create.target_btf_id",
      iterInfo: "link_create.iter_info",
      iterInfoLen: "link_create.iter_info_len",
      perfEventCookie: "link_create.perf_event.bpf_cookie",
      kprobeMultiFlags: "link_create.kprobe_multi.flags",
      kprobeMultiCnt: "link_create.kprobe_multi.cnt",
      kprobeMultiSyms: "link_create.kprobe_multi.syms",
      kprobeMultiAddrs: "link_create.kprobe_multi.addrs",
      kprobeMultiCookies: "link_create.kprobe_multi.cookies",
    },
  ],
  [
    "ProgBindMap",
    L.ProgBindMap,
    "union bpf_attr",
    {
      progFd: "prog_bind_map.prog_fd",
      mapFd: "prog_bind_map.map_fd",
      flags: "prog_bind_map.flags",
    },
  ],
  [
    "ProgInfoLayout",
    L.ProgInfoLayout,
    "struct bpf_prog_info",
    {
      type: "type",
      id: "id",
      tag: "tag",
      jitedProgLen: "jited_prog_len",
      xlatedProgLen: "xlated_prog_len",
      jitedProgInsns: "jited_prog_insns",
      xlatedProgInsns: "xlated_prog_insns",
      loadTime: "load_time",
      createdByUid: "created_by_uid",
      nrMapIds: "nr_map_ids",
      mapIds: "map_ids",
      name: "name",
      ifindex: "ifindex",
      netnsDev: "netns_dev",
      netnsIno: "netns_ino",
      nrJitedKsyms: "nr_jited_ksyms",
      nrJitedFuncLens: "nr_jited_func_lens",
      jitedKsyms: "jited_ksyms",
      jitedFuncLens: "jited_func_lens",
      btfId: "btf_id",
      funcInfoRecSize: "func_info_rec_size",
      funcInfo: "func_info",
      nrFuncInfo: "nr_func_info",
      nrLineInfo: "nr_line_info",
      lineInfo: "line_info",
      jitedLineInfo: "jited_line_info",
      nrJitedLineInfo: "nr_jited_line_info",
      lineInfoRecSize: "line_info_rec_size",
      jitedLineInfoRecSize: "jited_line_info_rec_size",
      nrProgTags: "nr_prog_tags",
      progTags: "prog_tags",
      runTimeNs: "run_time_ns",
      runCnt: "run_cnt",
      recursionMisses: "recursion_misses",
      verifiedInsns: "verified_insns",
      attachBtfObjId: "attach_btf_obj_id",
      attachBtfId: "attach_btf_id",
    },
  ],
  [
    "MapInfoLayout",
    L.MapInfoLayout,
    "struct bpf_map_info",
    {
      type: "type",
      id: "id",
      keySize: "key_size",
      valueSize: "value_size",
      maxEntries: "max_entries",
      mapFlags: "map_flags",
      name: "name",
      ifindex: "ifindex",
      btfVmlinuxValueTypeId: "btf_vmlinux_value_type_id",
      netnsDev: "netns_dev",
      netnsIno: "netns_ino",
      btfId: "btf_id",
      btfKeyTypeId: "btf_key_type_id",
      btfValueTypeId: "btf_value_type_id",
      mapExtra: "map_extra",
    },
  ],
  [
    "BtfInfoLayout",
    L.BtfInfoLayout,
    "struct bpf_btf_info",
    {
      btf: "btf",
      btfSize: "btf_size",
      id: "id",
      name: "name",
      nameLen: "name_len",
      kernelBtf: "kernel_btf",
    },
  ],
  [
    "ProgAttach",
    L.ProgAttach,
    "union bpf_attr",
    {
      targetFd: "target_fd",
      attachBpfFd: "attach_bpf_fd",
      attachType: "attach_type",
      attachFlags: "attach_flags",
      replaceBpfFd: "replace_bpf_fd",
    },
  ],
  [
    "ProgQuery",
    L.ProgQuery,
    "union bpf_attr",
    {
      targetFd: "query.target_fd",
      attachType: "query.attach_type",
      queryFlags: "query.query_flags",
      attachFlags: "query.attach_flags",
      progIds: "query.prog_ids",
      progCnt: "query.prog_cnt",
      progAttachFlags: "query.prog_attach_flags",
    },
  ],
  [
    "TaskFdQuery",
    L.TaskFdQuery,
    "union bpf_attr",
    {
      pid: "task_fd_query.pid",
      fd: "task_fd_query.fd",
      flags: "task_fd_query.flags",
      bufLen: "task_fd_query.buf_len",
      buf: "task_fd_query.buf",
      progId: "task_fd_query.prog_id",
      fdType: "task_fd_query.fd_type",
      probeOffset: "task_fd_query.probe_offset",
      probeAddr: "task_fd_query.probe_addr",
    },
  ],
  ["LinkDetach", L.LinkDetach, "union bpf_attr", { linkFd: "link_detach.link_fd" }],
  [
    "LinkUpdate",
    L.LinkUpdate,
    "union bpf_attr",
    {
      linkFd: "link_update.link_fd",
      newProgFd: "link_update.new_prog_fd",
      flags: "link_update.flags",
      oldProgFd: "link_update.old_prog_fd",
    },
  ],
  [
    "RawTracepointOpen",
    L.RawTracepointOpen,
    "union bpf_attr",
    { name: "raw_tracepoint.name", progFd: "raw_tracepoint.prog_fd" },
  ],
  ["LinkInfoLayout", L.LinkInfoLayout, "struct bpf_link_info", { type: "type", id: "id", progId: "prog_id" }],
];

/** Fields that are not struct members (sizes, a flags word, where a union starts). */
const NOT_IN_HEADER = new Set(["size", "flagsWord", "union"]);

/** Fields newer than some UAPI headers, each with the `union bpf_attr` member it follows. */
const NEWER: Record<string, { member: string; after: string }> = {
  "ProgLoad.logTrueSize": { member: "log_true_size", after: "core_relo_rec_size" },
  "BtfLoad.btfLogTrueSize": { member: "btf_log_true_size", after: "btf_log_level" },
};

/** Whether this machine's linux/bpf.h has `union bpf_attr` member `member` (the compiler says so, or fails). */
function headerHas(member: string): boolean {
  const run = spawnSync("cc", ["-fsyntax-only", "-x", "c", "-"], {
    input: `#include <stddef.h>\n#include <linux/bpf.h>\nint x = offsetof(union bpf_attr, ${member});\n`,
    encoding: "utf8",
  });
  if (run.status === 0) return true;
  // anything but the member being unknown is a broken toolchain, not an older header
  expect(run.stderr, `probing ${member}`).toMatch(new RegExp(`no member named .${member}`));
  return false;
}

describeWith(["libbpf-dev"], "bpf_attr / info layouts vs linux/bpf.h", () => {
  const dir = useTempDir("bpfkit-layout-");

  it("every offset we write matches offsetof() in the UAPI header", () => {
    const lines: string[] = [];
    const expected: Record<string, number> = {};
    for (const [table, layout, type, members] of TABLES) {
      for (const [key, offset] of Object.entries(layout)) {
        if (NOT_IN_HEADER.has(key)) continue;
        const newer = NEWER[`${table}.${key}`];
        if (newer !== undefined && !headerHas(newer.member)) {
          const end = `offsetof(${type}, ${newer.after}) + sizeof(((${type} *)0)->${newer.after})`;
          lines.push(`  printf("${table}.${key} %zu\\n", ${end});`);
          expected[`${table}.${key}`] = offset;
          continue;
        }
        const member = members[key] ?? newer?.member;
        expect(member, `${table}.${key} has no C member in the test table`).toBeDefined();
        lines.push(`  printf("${table}.${key} %zu\\n", offsetof(${type}, ${member}));`);
        expected[`${table}.${key}`] = offset;
      }
    }
    expect(Object.keys(expected).length).toBeGreaterThan(100);
    // Sizes of the info structs: passing a longer info_len than the kernel knows is fine, shorter loses fields.
    lines.push(`  printf("ProgInfoLayout.size %zu\\n", sizeof(struct bpf_prog_info));`);
    lines.push(`  printf("MapInfoLayout.size %zu\\n", sizeof(struct bpf_map_info));`);
    lines.push(`  printf("BtfInfoLayout.size %zu\\n", sizeof(struct bpf_btf_info));`);
    expected["ProgInfoLayout.size"] = L.ProgInfoLayout.size;
    expected["MapInfoLayout.size"] = L.MapInfoLayout.size;
    expected["BtfInfoLayout.size"] = L.BtfInfoLayout.size;
    const source = join(dir(), "layout.c");
    writeFileSync(
      source,
      `#include <stddef.h>\n#include <stdio.h>\n#include <linux/bpf.h>\nint main(void) {\n${lines.join("\n")}\n  return 0;\n}\n`,
    );
    execFileSync("cc", ["-o", join(dir(), "layout"), source]);
    const out = execFileSync(join(dir(), "layout"), { encoding: "utf8" });
    const actual = Object.fromEntries(
      out
        .trim()
        .split("\n")
        .map((l) => {
          const [name, value] = l.split(" ");
          return [name as string, Number(value)];
        }),
    );
    expect(actual).toEqual(expected);
  });
});
