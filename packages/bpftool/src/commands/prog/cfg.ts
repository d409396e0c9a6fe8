// `prog dump xlated PROG visual`: the control flow graph in DOT, as bpftool's cfg.c draws it. Its model is kept
// as is: functions start at bpf-to-bpf call targets, basic blocks at jump targets and after conditional jumps (and
// after calls that end a block), with an ENTRY and an EXIT node per function. It walks 8-byte slots (the second
// half of an ld_imm64 is skipped when printing), and each line is cut at 63 bytes, as bpftool's buffer cuts it.
import {
  BPFTOOL_HELPER_NAMES,
  bpftoolXlatedSymbolizer,
  decodeInstructions,
  type FormatOptions,
  formatIndex,
  formatInstruction,
  type KernelSymbol,
} from "@bpfkit/asm";

const BPF_JMP = 0x05;
const BPF_JMP32 = 0x06;
const BPF_CALL = 0x80;
const BPF_EXIT = 0x90;
const BPF_JA = 0x00;
const BPF_PSEUDO_CALL = 1;
const ENTRY = 0;
const EXIT = 1;

interface Slot {
  readonly code: number;
  readonly src: number;
  readonly off: number;
}

interface Block {
  head: number;
  tail: number;
  idx: number;
  readonly succs: { dst: Block | undefined }[];
}

interface Func {
  readonly start: number;
  end: number;
  readonly idx: number;
  blocks: Block[];
}

const isJmp = (code: number) => (code & 7) === BPF_JMP || (code & 7) === BPF_JMP32;
const opOf = (code: number) => code & 0xf0;

/** Sorted insertion that returns the existing entry for the same key (cfg_append_func / func_append_bb). */
function insertSorted<T>(list: T[], key: number, keyOf: (t: T) => number, make: () => T): T {
  let i = 0;
  for (; i < list.length; i++) {
    const k = keyOf(list[i] as T);
    if (k === key) return list[i] as T;
    if (k > key) break;
  }
  const item = make();
  list.splice(i, 0, item);
  return item;
}

function buildCfg(slots: readonly Slot[]): Func[] {
  const funcs: Func[] = [];
  let funcCount = 0;
  const addFunc = (start: number) =>
    insertSorted(
      funcs,
      start,
      (f) => f.start,
      () => ({ start, end: 0, idx: funcCount++, blocks: [] }),
    );
  addFunc(0);
  slots.forEach((s, i) => {
    if (s.code === (BPF_JMP | BPF_CALL) && s.src === BPF_PSEUDO_CALL) addFunc(i + s.off + 1);
  });
  funcs.forEach((f, i) => {
    f.end = i === funcs.length - 1 ? slots.length - 1 : (funcs[i + 1] as Func).start - 1;
  });
  for (const func of funcs) {
    const blocks: Block[] = [];
    const addBlock = (head: number) =>
      insertSorted(
        blocks,
        head,
        (b) => b.head,
        () => ({ head, tail: 0, idx: 0, succs: [] }),
      );
    addBlock(func.start);
    for (let i = func.start; i <= func.end; i++) {
      const s = slots[i];
      if (s === undefined || !isJmp(s.code)) continue;
      const op = opOf(s.code);
      if (op === BPF_EXIT || op === BPF_CALL) continue;
      addBlock(i + s.off + 1);
      if (op !== BPF_JA) addBlock(i + 1);
    }
    blocks.forEach((b, i) => {
      b.tail = i === blocks.length - 1 ? func.end : (blocks[i + 1] as Block).head - 1;
      b.idx = i + 2;
    });
    const entry: Block = { head: -1, tail: -1, idx: ENTRY, succs: [] };
    const exit: Block = { head: -1, tail: -1, idx: EXIT, succs: [] };
    const all = [entry, ...blocks, exit];
    entry.succs.push({ dst: all[1] });
    const byHead = (head: number) => blocks.find((b) => b.head === head);
    for (let i = 1; i < all.length - 1; i++) {
      const b = all[i] as Block;
      const next = all[i + 1];
      const tail = slots[b.tail];
      const code = tail?.code ?? 0;
      if (!isJmp(code) || opOf(code) === BPF_EXIT) {
        b.succs.push({ dst: next });
      } else if (opOf(code) === BPF_JA) {
        b.succs.push({ dst: byHead(b.tail + (tail?.off ?? 0) + 1) });
      } else {
        b.succs.push({ dst: next });
        b.succs.push({ dst: byHead(b.tail + (tail?.off ?? 0) + 1) });
      }
    }
    func.blocks = all;
  }
  return funcs;
}

/** bpftool's print_insn_for_graph: cut at 63 bytes, newline as `\l\`, and `<>|&` escaped for a record label. */
function graphText(text: string): string {
  let line = `${text}\n`;
  const bytes = Buffer.from(line);
  if (bytes.length > 63) line = bytes.subarray(0, 63).toString();
  let out = "";
  for (const ch of line) {
    if (ch === "\n") out += "\\l\\\n";
    else if (ch === "<" || ch === ">" || ch === "|" || ch === "&") out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

export function xlatedCfg(insns: Uint8Array, kallsyms: readonly KernelSymbol[] = []): string {
  const count = Math.floor(insns.length / 8);
  const slots: Slot[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * 8;
    const off = ((insns[at + 2]! | (insns[at + 3]! << 8)) << 16) >> 16;
    slots.push({ code: insns[at]!, src: insns[at + 1]! >> 4, off });
  }
  const options: FormatOptions = {
    dialect: "v6.1",
    helperNames: BPFTOOL_HELPER_NAMES,
    symbolizer: bpftoolXlatedSymbolizer({ kallsyms, jitedKsyms: [] }),
  };
  const format = (slot: number): string => {
    const end = slots[slot]?.code === 0x18 ? slot + 2 : slot + 1;
    try {
      const [insn] = decodeInstructions(insns.subarray(slot * 8, end * 8), "little", { lenient: true });
      return insn ? formatInstruction(insn, options) : "";
    } catch {
      return "";
    }
  };
  let out = 'digraph "DOT graph for eBPF program" {\n';
  for (const func of buildCfg(slots)) {
    out += `subgraph "cluster_${func.idx}" {\n\tstyle="dashed";\n\tcolor="black";\n\tlabel="func_${func.idx} ()";\n`;
    for (const b of func.blocks) {
      const shape = b.idx === ENTRY || b.idx === EXIT ? "Mdiamond" : "record";
      out += `\tfn_${func.idx}_bb_${b.idx} [shape=${shape},style=filled,label="`;
      if (b.idx === ENTRY) out += "ENTRY";
      else if (b.idx === EXIT) out += "EXIT";
      else {
        out += "{";
        let second = false;
        for (let s = b.head; s <= b.tail; s++) {
          // the second slot of an ld_imm64 is skipped (after the separator its first slot printed)
          if (second) {
            second = false;
            continue;
          }
          second = slots[s]?.code === 0x18;
          out += `${formatIndex(s - func.start)}: ${graphText(format(s))}`;
          if (s !== b.tail) out += " | ";
        }
        out += "}";
      }
      out += '"];\n\n';
    }
    for (const b of func.blocks) {
      for (const e of b.succs) {
        if (e.dst === undefined) continue;
        out +=
          `\tfn_${func.idx}_bb_${b.idx}:s -> fn_${func.idx}_bb_${e.dst.idx}:n ` +
          '[style="solid,bold", color=black, weight=10, constraint=true];\n';
      }
    }
    out += `\tfn_${func.idx}_bb_${ENTRY}:s -> fn_${func.idx}_bb_${EXIT}:n [style="invis", constraint=true];\n`;
    out += "}\n";
  }
  return `${out}}\n`;
}
