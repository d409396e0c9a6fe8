// Subprogram linking (libbpf's bpf_object__relocate_calls / bpf_object__reloc_code): starting from an entry
// program, every bpf-to-bpf call and callback address (ld_imm64 BPF_PSEUDO_FUNC) into .text pulls the called
// function in — appended once per entry program, in first-use order, depth first — and gets its offset
// rewritten relative to the new position. Relocations and func/line info of appended functions are shifted
// along, so the data relocation pass afterwards sees one flat program.

import type { FuncInfoRecord, LineInfoRecord } from "../btf/btf-ext.js";
import { LoaderError } from "../errors.js";
import type { FunctionSpec, RecordedRelocation } from "../object/spec.js";

const CALL = 0x85;
const LD_IMM64 = 0x18;
const PSEUDO_CALL = 1;
const PSEUDO_FUNC = 4;

/** A function with its (possibly CO-RE-patched) instruction bytes. */
export interface LinkInput {
  readonly fn: FunctionSpec;
  readonly bytes: Uint8Array;
}

export interface LinkedProgram {
  readonly bytes: Uint8Array;
  /** Every relocation of the program and its appended functions, shifted to final slots. */
  readonly relocations: readonly RecordedRelocation[];
  /** undefined when the entry program has no func_info (libbpf then drops all of it). */
  readonly funcInfo: readonly FuncInfoRecord[] | undefined;
  readonly lineInfo: readonly LineInfoRecord[] | undefined;
  /** Names of the appended subprograms with their start slot, in order. */
  readonly layout: readonly { readonly name: string; readonly offset: number }[];
}

function regs(byte: number, little: boolean): { dst: number; src: number } {
  return little ? { dst: byte & 0x0f, src: byte >> 4 } : { dst: byte >> 4, src: byte & 0x0f };
}

function setSrc(bytes: Uint8Array, at: number, src: number, little: boolean): void {
  const { dst } = regs(bytes[at + 1]!, little);
  bytes[at + 1] = little ? (src << 4) | dst : (dst << 4) | src;
}

/** Marks callback-address ld_imm64s as BPF_PSEUDO_FUNC, like libbpf does before linking. Copies `bytes`. */
export function markPseudoFuncs(fn: FunctionSpec, bytes: Uint8Array, little: boolean): Uint8Array {
  const out = new Uint8Array(bytes);
  for (const r of fn.relocations) if (r.target.kind === "subprog-addr") setSrc(out, r.insn * 8, PSEUDO_FUNC, little);
  return out;
}

export function linkProgram(
  entry: LinkInput,
  text: readonly LinkInput[],
  little: boolean,
  onAppend?: (name: string) => void,
): LinkedProgram {
  const chunks: Uint8Array[] = [entry.bytes];
  let total = entry.bytes.length / 8;
  const placed = new Map<LinkInput, number>([[entry, 0]]);
  const relocations: RecordedRelocation[] = [];
  const wantFuncInfo = entry.fn.funcInfo.length > 0;
  const wantLineInfo = entry.fn.lineInfo.length > 0;
  const funcInfo: FuncInfoRecord[] = [];
  const lineInfo: LineInfoRecord[] = [];
  const layout: { name: string; offset: number }[] = [];
  // Patches are applied after all code is placed: calls are recorded as (absolute slot, target).
  const callPatches: { at: number; target: number }[] = [];

  const findText = (slot: number) =>
    text.find((t) => slot >= t.fn.sectionInsnOffset && slot < t.fn.sectionInsnOffset + t.fn.slotCount);

  const visit = (item: LinkInput, base: number): void => {
    const fn = item.fn;
    for (const r of fn.relocations) relocations.push({ insn: r.insn + base, target: r.target });
    if (wantFuncInfo) {
      if (fn.funcInfo.length === 0) {
        throw new LoaderError("BAD_BTF", `prog '${entry.fn.name}': missing .BTF.ext function info for '${fn.name}'`, {
          program: entry.fn.name,
          symbol: fn.name,
        });
      }
      for (const f of fn.funcInfo) funcInfo.push({ ...f, insnOff: f.insnOff + base });
    }
    if (wantLineInfo) {
      if (fn.lineInfo.length === 0) {
        throw new LoaderError("BAD_BTF", `prog '${entry.fn.name}': missing .BTF.ext line info for '${fn.name}'`, {
          program: entry.fn.name,
          symbol: fn.name,
        });
      }
      for (const l of fn.lineInfo) lineInfo.push({ ...l, insnOff: l.insnOff + base });
    }
    const relocAt = new Map(fn.relocations.map((r) => [r.insn, r.target]));
    const view = new DataView(item.bytes.buffer, item.bytes.byteOffset, item.bytes.byteLength);
    for (let slot = 0; slot < fn.slotCount; slot++) {
      const at = slot * 8;
      const code = item.bytes[at]!;
      const { src } = regs(item.bytes[at + 1]!, little);
      const isCall = code === CALL && src === PSEUDO_CALL;
      const isFuncAddr = code === LD_IMM64 && src === PSEUDO_FUNC;
      if (!isCall && !isFuncAddr) continue;
      const target = relocAt.get(slot);
      if (target?.kind === "extern-func") continue;
      const where = { program: entry.fn.name, section: fn.section, insn: slot, symbol: fn.name };
      if (target && target.kind !== "call" && target.kind !== "subprog-addr") {
        throw new LoaderError(
          "BAD_RELOCATION",
          `prog '${fn.name}': unexpected relo for insn #${slot}, type ${target.kind}`,
          where,
        );
      }
      const imm = view.getInt32(at + 4, little);
      let textSlot: number;
      if (target?.kind === "call") textSlot = target.offset / 8 + imm + 1;
      else if (target?.kind === "subprog-addr") textSlot = (target.offset + imm) / 8;
      else if (isFuncAddr) {
        throw new LoaderError(
          "BAD_RELOCATION",
          `prog '${fn.name}': missing subprog addr relo for insn #${slot}`,
          where,
        );
      } else textSlot = fn.sectionInsnOffset + slot + imm + 1;
      const callee = findText(textSlot);
      if (!callee) {
        throw new LoaderError(
          "BAD_RELOCATION",
          `prog '${fn.name}': insn #${slot} calls .text instruction #${textSlot}, which no subprogram holds`,
          where,
        );
      }
      let calleeBase = placed.get(callee);
      if (calleeBase === undefined) {
        calleeBase = total;
        placed.set(callee, calleeBase);
        chunks.push(callee.bytes);
        total += callee.fn.slotCount;
        layout.push({ name: callee.fn.name, offset: calleeBase });
        onAppend?.(callee.fn.name);
        visit(callee, calleeBase);
      }
      callPatches.push({ at: base + slot, target: calleeBase });
    }
  };
  visit(entry, 0);

  const bytes = new Uint8Array(total * 8);
  let pos = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, pos);
    pos += chunk.length;
  }
  const out = new DataView(bytes.buffer);
  for (const p of callPatches) out.setInt32(p.at * 8 + 4, p.target - p.at - 1, little);
  relocations.sort((a, b) => a.insn - b.insn);
  return {
    bytes,
    relocations,
    funcInfo: wantFuncInfo ? funcInfo : undefined,
    lineInfo: wantLineInfo ? lineInfo : undefined,
    layout,
  };
}
