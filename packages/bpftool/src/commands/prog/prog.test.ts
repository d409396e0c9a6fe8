// The pure parts of the prog commands: PROG word parsing, bpftool's output helpers (signatures, line info lookup,
// hex dumps, dates, the CFG), without a kernel.
import { Btf, BtfBuilder, IntEncoding, Linkage } from "@bpfkit/btf";
import { describe, expect, it } from "vitest";
import { atoll } from "../../cli/fdinfo.js";
import { dirname } from "../../cli/pinned-object.js";
import { parseTag } from "../../cli/prog-spec.js";
import { parseAttachType } from "./attach.js";
import { xlatedCfg } from "./cfg.js";
import { funcSignature } from "./func-sig.js";
import { strftimeIso } from "./info.js";
import { hexPrint } from "./run.js";
import { findLine } from "./xlated.js";

describe("PROG words", () => {
  it("reads tags as sscanf(%02hhx x 8) does", () => {
    expect(parseTag("a4e85e3b78f51fb0")).toBe("a4e85e3b78f51fb0");
    expect(parseTag("A4E85E3B78F51FB0")).toBe("a4e85e3b78f51fb0");
    expect(parseTag("a4e85e3b78f51fb0zz")).toBe("a4e85e3b78f51fb0"); // the rest is ignored
    expect(parseTag("1 2 3 4 5 6 7 8")).toBe("0102030405060708"); // blanks before each field, one digit each
    expect(parseTag("a4e85e3b78f51f")).toBeUndefined();
    expect(parseTag("zz")).toBeUndefined();
    expect(parseTag("")).toBeUndefined();
  });

  it("takes dirname(3)'s view of paths (bpftool prints it after EACCES)", () => {
    expect(dirname("/tmp")).toBe("/");
    expect(dirname("/etc/passwd")).toBe("/etc");
    expect(dirname("/a/b/")).toBe("/a");
    expect(dirname("foo")).toBe(".");
    expect(dirname("/")).toBe("/");
    expect(dirname("")).toBe(".");
  });

  it("matches attach types as bpftool 7.1 does: libbpf names exactly, legacy names by prefix", () => {
    expect(parseAttachType("sk_skb_stream_parser")).toBe(4);
    expect(parseAttachType("stream_p")).toBe(4);
    expect(parseAttachType("s")).toBe(4); // the first legacy name it prefixes
    expect(parseAttachType("stream_verdict")).toBe(5);
    expect(parseAttachType("msg")).toBe(7);
    expect(parseAttachType("sk_msg_verdict")).toBe(7);
    expect(parseAttachType("flow_dissector")).toBe(17);
    expect(parseAttachType("flow")).toBeUndefined(); // no legacy name: exact only
    expect(parseAttachType("skb")).toBe(38);
    expect(parseAttachType("sk_msg")).toBeUndefined();
  });
});

describe("btf_dumper_type_only", () => {
  const b = new BtfBuilder();
  const int = b.addInt("int", 4, IntEncoding.SIGNED);
  const ctx = b.addStruct("xdp_md", 4, [{ name: "data", type: int, bitOffset: 0 }]);
  const ptr = b.addPtr(ctx);
  const arr = b.addArray(int, int, 16);
  const cint = b.addConst(int);
  const proto = b.addFuncProto(int, [
    { name: "ctx", type: ptr },
    { name: "", type: cint },
    { name: "", type: 0 },
  ]);
  const fn = b.addFunc("xdp_prog", proto, Linkage.GLOBAL);
  const voidProto = b.addFuncProto(0, []);
  const voidFn = b.addFunc("nothing", voidProto, Linkage.STATIC);
  const btf = Btf.parse(b.encode());

  it("prints function prototypes with bpftool's spacing", () => {
    expect(funcSignature(btf, fn)).toBe("int xdp_prog(struct xdp_md * ctx, const int, ...)");
    expect(funcSignature(btf, voidFn)).toBe("void nothing()");
    expect(funcSignature(btf, arr)).toBe("int [16]");
    expect(funcSignature(btf, 0)).toBe("void ");
  });

  it("prints nothing for ids it cannot resolve", () => {
    expect(funcSignature(btf, 999)).toBe("");
  });
});

describe("line_info lookup (bpf_prog_linfo__lfind)", () => {
  const rec = (insnOff: number) => ({ insnOff, fileNameOff: 0, lineOff: insnOff, lineCol: 0 });
  const lines = [rec(0), rec(2), rec(2), rec(5)];

  it("finds the last record at an instruction, from the skip index on", () => {
    expect(findLine(lines, 0, 0)?.insnOff).toBe(0);
    expect(findLine(lines, 1, 1)).toBeUndefined();
    // two records at insn 2: the later one is returned, and only one is skipped
    expect(findLine(lines, 2, 1)).toBe(lines[2]);
    expect(findLine(lines, 5, 2)).toBe(lines[3]);
    expect(findLine(lines, 5, 4)).toBeUndefined();
    expect(findLine(lines, 0, 1)).toBeUndefined();
  });
});

describe("output helpers", () => {
  it("hex_print: offsets, byte pairs and the ASCII column", () => {
    const data = Uint8Array.from([...Buffer.from("Hello, world!"), 0, 0xff, 0x7f, 0x41]);
    expect(hexPrint(data)).toBe(
      "0000000\t4865 6c6c 6f2c 2077 6f72 6c64 2100 ff7f | Hello, w orld!...\n" +
        "0000010\t41                                      | A\n",
    );
  });

  it("dates as strftime(%FT%T%z) in local time", () => {
    const text = strftimeIso(1796607000);
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);
    if (new Date(0).getTimezoneOffset() === 0 && process.env.TZ === undefined) {
      expect(text).toBe("2026-12-07T01:30:00+0000");
    }
  });

  it("atoll: leading digits only", () => {
    expect(atoll("4096")).toBe(4096n);
    expect(atoll("  -12abc")).toBe(-12n);
    expect(atoll("x")).toBe(0n);
  });
});

describe("CFG (visual)", () => {
  const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0) => {
    const out = new Uint8Array(8);
    const v = new DataView(out.buffer);
    out[0] = code;
    out[1] = (src << 4) | dst;
    v.setInt16(2, off, true);
    v.setInt32(4, imm, true);
    return out;
  };
  const program = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.length * 8);
    for (const [i, p] of parts.entries()) out.set(p, i * 8);
    return out;
  };

  it("splits blocks at jump targets and after conditional jumps, with ENTRY/EXIT and edges", () => {
    const dot = xlatedCfg(
      program(
        insn(0xb7, 0, 0, 0, 1), // r0 = 1
        insn(0x15, 1, 0, 1, 0), // if r1 == 0 goto pc+1
        insn(0xb7, 0, 0, 0, 2), // r0 = 2
        insn(0x95), // exit
      ),
    );
    expect(dot).toBe(
      'digraph "DOT graph for eBPF program" {\n' +
        'subgraph "cluster_0" {\n\tstyle="dashed";\n\tcolor="black";\n\tlabel="func_0 ()";\n' +
        '\tfn_0_bb_0 [shape=Mdiamond,style=filled,label="ENTRY"];\n\n' +
        '\tfn_0_bb_2 [shape=record,style=filled,label="{   0: (b7) r0 = 1\\l\\\n |    1: (15) if r1 == 0x0 goto pc+1\\l\\\n}"];\n\n' +
        '\tfn_0_bb_3 [shape=record,style=filled,label="{   2: (b7) r0 = 2\\l\\\n}"];\n\n' +
        '\tfn_0_bb_4 [shape=record,style=filled,label="{   3: (95) exit\\l\\\n}"];\n\n' +
        '\tfn_0_bb_1 [shape=Mdiamond,style=filled,label="EXIT"];\n\n' +
        '\tfn_0_bb_0:s -> fn_0_bb_2:n [style="solid,bold", color=black, weight=10, constraint=true];\n' +
        '\tfn_0_bb_2:s -> fn_0_bb_3:n [style="solid,bold", color=black, weight=10, constraint=true];\n' +
        '\tfn_0_bb_2:s -> fn_0_bb_4:n [style="solid,bold", color=black, weight=10, constraint=true];\n' +
        '\tfn_0_bb_3:s -> fn_0_bb_4:n [style="solid,bold", color=black, weight=10, constraint=true];\n' +
        '\tfn_0_bb_4:s -> fn_0_bb_1:n [style="solid,bold", color=black, weight=10, constraint=true];\n' +
        '\tfn_0_bb_0:s -> fn_0_bb_1:n [style="invis", constraint=true];\n' +
        "}\n}\n",
    );
  });

  it("starts a function at each bpf-to-bpf call target and escapes record characters", () => {
    const dot = xlatedCfg(
      program(
        insn(0x85, 0, 1, 1, 1), // call pc+1 (callee index 1)
        insn(0x95),
        insn(0x5d, 1, 2, 0, 0), // if r1 != r2 goto pc+0
        insn(0x95),
      ),
    );
    expect(dot).toContain('subgraph "cluster_1" {');
    expect(dot).toContain("call pc+1");
    expect(dot).toContain("if r1 != r2 goto pc+0");
    expect(dot).toContain('label="func_1 ()"');
    expect(xlatedCfg(program(insn(0x2d, 1, 2, 0, 0), insn(0x95)))).toContain("if r1 \\> r2 goto pc+0");
  });
});
