// The per-type part of `link show` for link types this test machine cannot make (its kernel refuses tracing
// programs, so no fentry or iterator links): bpf_link_info unions written by hand, printed as bpftool 7.1's
// show_link_close_json / show_link_close_plain print them (formats read from its link.c).
import type { KernelLinkInfo } from "@bpfkit/kernel";
import { describe, expect, it } from "vitest";
import { JsonWriter } from "../../json-writer.js";
import { plainText, printJson, typeFields } from "./show.js";

function info(type: number, fill: (d: DataView) => void, name?: string): KernelLinkInfo {
  const details = new Uint8Array(80);
  fill(new DataView(details.buffer));
  return { type, id: 7, progId: 42, details, ...(name === undefined ? {} : { name }) };
}

function both(link: KernelLinkInfo, progType = 26): { json: string; plain: string } {
  const fields = typeFields(link, () => progType);
  const w = new JsonWriter(false);
  printJson(w, link, fields, undefined);
  return { json: w.take(), plain: plainText(link, fields, undefined) };
}

describe("link show: types this machine cannot create", () => {
  it("tracing: the linked program's type, the attach type", () => {
    const fentry = info(2, (d) => d.setUint32(0, 24, true));
    expect(both(fentry)).toEqual({
      json: '{"id":7,"type":"tracing","prog_id":42,"prog_type":"tracing","attach_type":"trace_fentry"}',
      plain: "7: tracing  prog 42  \n\tprog_type tracing  attach_type trace_fentry  \n",
    });
    // types libbpf 1.1 has no name for are numbers
    expect(
      both(
        info(2, (d) => d.setUint32(0, 60, true)),
        40,
      ).json,
    ).toBe('{"id":7,"type":"tracing","prog_id":42,"prog_type":40,"attach_type":60}');
  });

  it("iter: target name, then the map, the task or the cgroup walked", () => {
    const map = info(4, (d) => d.setUint32(12, 99, true), "bpf_map_elem");
    expect(both(map)).toEqual({
      json: '{"id":7,"type":"iter","prog_id":42,"target_name":"bpf_map_elem","map_id":99}',
      plain: "7: iter  prog 42  target_name bpf_map_elem  map_id 99  \n",
    });
    const task = info(4, (d) => d.setUint32(20, 1234, true), "task_vma");
    expect(both(task)).toEqual({
      json: '{"id":7,"type":"iter","prog_id":42,"target_name":"task_vma","pid":1234}',
      plain: "7: iter  prog 42  target_name task_vma  pid 1234 \n",
    });
    const tid = info(
      4,
      (d) => {
        d.setUint32(16, 5, true);
        d.setUint32(20, 6, true);
      },
      "task",
    );
    expect(both(tid).json).toBe('{"id":7,"type":"iter","prog_id":42,"target_name":"task","tid":5}');
    const cgroup = info(
      4,
      (d) => {
        d.setBigUint64(16, 1n << 40n, true);
        d.setUint32(24, 4, true);
      },
      "cgroup",
    );
    expect(both(cgroup)).toEqual({
      json: `{"id":7,"type":"iter","prog_id":42,"target_name":"cgroup","cgroup_id":${1n << 40n},"order":"ancestors_up"}`,
      plain: `7: iter  prog 42  target_name cgroup  cgroup_id ${1n << 40n}  order ancestors_up  \n`,
    });
    expect(both(info(4, () => {}, "bpf_prog")).plain).toBe("7: iter  prog 42  target_name bpf_prog  \n");
  });

  it("types newer than libbpf 1.1 (netfilter, tcx ...): a number, nothing else", () => {
    expect(both(info(10, (d) => d.setUint32(0, 2, true)))).toEqual({
      json: '{"id":7,"type":10,"prog_id":42}',
      plain: "7: type 10  prog 42  \n",
    });
  });
});
