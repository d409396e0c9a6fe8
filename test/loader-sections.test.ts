// SEC() name table vs libbpf 1.1's libbpf_prog_type_by_name (the oracle), and HEAD-only names.
import { expect, it } from "vitest";
import { findSectionDef, sectionDefMatches, sectionDefs } from "../packages/loader/src/object/index.js";
import { useLoaderOracle } from "./loader-support.js";
import { describeWith } from "./support/env.js";

/** Names derived from every table pattern (bare, with a target, with extra suffixes) plus near misses. */
function candidateNames(): string[] {
  const names = new Set<string>();
  for (const def of sectionDefs("head")) {
    const stem = def.pattern.replace(/[+/]$/, "");
    for (const n of [
      stem,
      `${stem}/x`,
      `${stem}/a/b`,
      `${stem}x`,
      `${stem}.s`,
      `${stem}.s/x`,
      `${stem}_`,
      `${stem}/`,
    ]) {
      names.add(n);
    }
    names.add(def.pattern);
  }
  for (const n of [
    "",
    "?",
    "cgroup",
    "raw_tp/",
    "tc/ingress",
    "tcx/egress",
    "netfilter",
    "xdp/foo",
    "kprobe.",
    "SOCKET",
  ]) {
    names.add(n);
  }
  return [...names].filter((n) => !n.includes("\n"));
}

describeWith(["libbpf-dev"], "SEC() table vs libbpf 1.1 libbpf_prog_type_by_name", () => {
  const libbpf = useLoaderOracle();

  it("classifies every derived name exactly like libbpf 1.1", () => {
    const names = candidateNames();
    const oracle = libbpf.sectionTypes(names);
    expect(oracle.size).toBe(names.length);
    let known = 0;
    for (const name of names) {
      const [type, attach, rc] = oracle.get(name)!;
      const def = findSectionDef(name, "1.1");
      if (rc === 0) {
        known++;
        expect({ name, type: def?.progType, attach: def?.attachType }).toEqual({ name, type, attach });
      } else {
        expect({ name, def }).toEqual({ name, def: undefined });
      }
    }
    // sanity: the derived list exercises most of the table, both hits and misses
    expect(known).toBeGreaterThan(150);
    expect(names.length - known).toBeGreaterThan(150);
  });
});

it("knows the libbpf HEAD additions only in the head table", () => {
  expect(findSectionDef("tcx/ingress", "1.1")).toBeUndefined();
  expect(findSectionDef("tcx/ingress", "head")).toMatchObject({
    progTypeName: "SCHED_CLS",
    attachTypeName: "TCX_INGRESS",
  });
  expect(findSectionDef("tc/egress", "head")).toMatchObject({ attachTypeName: "TCX_EGRESS" });
  expect(findSectionDef("netfilter", "head")).toMatchObject({ progTypeName: "NETFILTER", attachTypeName: "NETFILTER" });
  expect(findSectionDef("uprobe.multi/x", "head")).toMatchObject({ attachTypeName: "TRACE_UPROBE_MULTI" });
  expect(findSectionDef("tc", "head")).toMatchObject({ progTypeName: "SCHED_CLS", attachType: 0 });
});

it("matches patterns the way libbpf does", () => {
  expect(sectionDefMatches("kprobe+", "kprobe")).toBe(true);
  expect(sectionDefMatches("kprobe+", "kprobe/x")).toBe(true);
  expect(sectionDefMatches("kprobe+", "kprobex")).toBe(false);
  expect(sectionDefMatches("xdp", "xdp/x")).toBe(false);
  expect(sectionDefMatches("sk_skb/", "sk_skb/x")).toBe(true);
  expect(sectionDefMatches("sk_skb/", "sk_skb")).toBe(false);
});
