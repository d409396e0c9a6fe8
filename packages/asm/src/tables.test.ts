import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { describeWith, multiarchIncludes } from "../../../test/support/env.js";
import {
  ATTACH_TYPE_NAMES,
  AttachType,
  BPFTOOL_ATTACH_TYPE_NAMES,
  BPFTOOL_HELPER_NAMES,
  BPFTOOL_LINK_TYPE_NAMES,
  BPFTOOL_MAP_TYPE_NAMES,
  BPFTOOL_PROG_TYPE_NAMES,
  HELPER_NAMES,
  HelperId,
  LINK_TYPE_NAMES,
  LinkType,
  MAP_TYPE_NAMES,
  MapType,
  PROG_TYPE_NAMES,
  ProgType,
} from "./tables.generated.js";
import { bpftoolMapType, bpftoolProgType, helperId, helperName, mapTypeId, progTypeName } from "./tables.js";

describe("generated tables", () => {
  it("number helpers as the UAPI does", () => {
    expect(HelperId.map_lookup_elem).toBe(1);
    expect(HelperId.map_update_elem).toBe(2);
    expect(HelperId.tail_call).toBe(12);
    expect(HelperId.loop).toBe(181);
    expect(HELPER_NAMES[1]).toBe("bpf_map_lookup_elem");
    expect(helperName(HelperId.ringbuf_reserve)).toBe("bpf_ringbuf_reserve");
    expect(helperId("bpf_map_lookup_elem")).toBe(1);
    expect(helperId("trace_printk")).toBe(6);
    expect(helperName(-1)).toBeUndefined();
  });

  it("keep the enum constants and name lists in step", () => {
    expect(ProgType.XDP).toBe(6);
    expect(progTypeName(ProgType.SYSCALL)).toBe("syscall");
    expect(MapType.RINGBUF).toBe(27);
    expect(mapTypeId("ringbuf")).toBe(27);
    expect(ATTACH_TYPE_NAMES[AttachType.CGROUP_INET_INGRESS]).toBe("cgroup_inet_ingress");
    expect(LINK_TYPE_NAMES[LinkType.XDP]).toBe("xdp");
    for (const [obj, names] of [
      [ProgType, PROG_TYPE_NAMES],
      [MapType, MAP_TYPE_NAMES],
      [AttachType, ATTACH_TYPE_NAMES],
      [LinkType, LINK_TYPE_NAMES],
    ] as const) {
      expect(Object.entries(obj).map(([k, v]) => [k.toLowerCase(), v])).toEqual(names.map((n, i) => [n, i]));
    }
  });

  it("print numbers where bpftool 7.1 has no name", () => {
    expect(bpftoolProgType(ProgType.XDP)).toBe("xdp");
    expect(bpftoolProgType(BPFTOOL_PROG_TYPE_NAMES.length)).toBe(BPFTOOL_PROG_TYPE_NAMES.length);
    expect(bpftoolMapType(32)).toBe(32); // cgrp_storage, newer than libbpf 1.1
    expect(bpftoolMapType(31)).toBe("user_ringbuf");
  });
});

/** Enumerators of `enum NAME` in the preprocessed header (macros such as __BPF_FUNC_MAPPER expanded by clang). */
function preprocessedEnum(source: string, name: string, prefix: string): string[] {
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(source);
  if (!body) throw new Error(`enum ${name} not in preprocessed header`);
  return body[1]!
    .split(",")
    .map((e) => e.trim().split(/\s|=/)[0]!)
    .filter((e) => e.startsWith(prefix) && !e.includes("MAX"))
    .map((e) => e.slice(prefix.length).toLowerCase());
}

describeWith(["clang"], "tables against the C preprocessor's view of linux/bpf.h", () => {
  let source = "";
  beforeAll(() => {
    source = execFileSync("clang-19", ["-E", "-P", "-x", "c", ...multiarchIncludes(), "-"], {
      input: "#include <linux/bpf.h>\n",
      encoding: "utf8",
    });
  });
  it.each([
    ["bpf_func_id", "BPF_FUNC_", Object.keys(HelperId)],
    ["bpf_prog_type", "BPF_PROG_TYPE_", PROG_TYPE_NAMES],
    ["bpf_map_type", "BPF_MAP_TYPE_", MAP_TYPE_NAMES],
    ["bpf_attach_type", "BPF_", ATTACH_TYPE_NAMES],
    ["bpf_link_type", "BPF_LINK_TYPE_", LINK_TYPE_NAMES],
  ])("enum %s", (name, prefix, ours) => {
    const theirs = preprocessedEnum(source, name, prefix);
    expect(theirs.length).toBeGreaterThan(3);
    expect(ours).toEqual(theirs);
  });
});

/** `bpftool feature list_builtins KIND`, one name a line. */
const list = (kind: string) =>
  execFileSync("bpftool", ["feature", "list_builtins", kind], { encoding: "utf8" }).split("\n").filter(Boolean);

describeWith(["bpftool"], "bpftool 7.1 name lists", () => {
  it.each([
    ["prog_types", BPFTOOL_PROG_TYPE_NAMES],
    ["map_types", BPFTOOL_MAP_TYPE_NAMES],
    ["attach_types", BPFTOOL_ATTACH_TYPE_NAMES],
    ["link_types", BPFTOOL_LINK_TYPE_NAMES],
    ["helpers", BPFTOOL_HELPER_NAMES],
  ])("%s", (kind, ours) => {
    const theirs = list(kind);
    expect(theirs.length).toBeGreaterThan(3);
    expect(ours).toEqual(theirs);
  });
});
