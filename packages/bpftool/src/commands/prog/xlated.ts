// The body of `prog dump xlated` (bpftool's dump_xlated_plain / dump_xlated_json): each instruction as the kernel's
// disassembler prints it, with bpftool's names for calls and maps, preceded by the C prototype where a BTF
// function starts (func_info) and by the C source line where line_info has one.
import {
  BPFTOOL_HELPER_NAMES,
  bpftoolJsonOpcodes,
  bpftoolXlatedSymbolizer,
  decodeInstructions,
  type FormatOptions,
  formatIndex,
  formatInstruction,
  type Instruction,
  type KernelSymbol,
  type Symbolizer,
  width,
} from "@bpfkit/asm";
import type { Btf } from "@bpfkit/btf";
import type { ExtInfo } from "@bpfkit/loader";
import type { JsonWriter } from "../../json-writer.js";
import { funcSignature } from "./func-sig.js";

export interface XlatedDumpInput {
  readonly insns: Uint8Array;
  readonly btf: Btf | undefined;
  readonly funcInfo: ExtInfo;
  /** undefined when bpftool's bpf_prog_linfo__new refused the records (or there are none). */
  readonly lineInfo: ExtInfo | undefined;
  readonly kallsyms: readonly KernelSymbol[];
  readonly jitedKsyms: readonly bigint[];
  readonly opcodes: boolean;
  readonly linum: boolean;
  /** Naming of calls and ld_imm64 values other than bpftool's (ours, instructions that were never loaded). */
  readonly symbolizer?: Symbolizer;
}

interface LineRecord {
  readonly insnOff: number;
  readonly fileNameOff: number;
  readonly lineOff: number;
  readonly lineCol: number;
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24)) >>> 0
  );
}

function lineRecords(info: ExtInfo | undefined): LineRecord[] {
  if (info === undefined) return [];
  const out: LineRecord[] = [];
  for (let at = 0; at + info.recordSize <= info.bytes.length; at += info.recordSize) {
    out.push({
      insnOff: u32(info.bytes, at),
      fileNameOff: u32(info.bytes, at + 4),
      lineOff: u32(info.bytes, at + 8),
      lineCol: u32(info.bytes, at + 12),
    });
  }
  return out;
}

/**
 * libbpf's bpf_prog_linfo__lfind: from record `skip` on, the last record whose insn_off is at most `insn`, if its
 * insn_off is exactly `insn`.
 */
export function findLine(records: readonly LineRecord[], insn: number, skip: number): LineRecord | undefined {
  if (skip >= records.length) return undefined;
  if (insn < records[skip]!.insnOff) return undefined;
  let i = skip;
  while (i < records.length && records[i]!.insnOff <= insn) i++;
  const found = records[i - 1]!;
  return found.insnOff === insn ? found : undefined;
}

/** A BTF string as libbpf's btf__name_by_offset returns it: undefined past the string section. */
function btfString(btf: Btf | undefined, offset: number): string | undefined {
  if (btf === undefined) return undefined;
  try {
    return btf.stringAt(offset);
  } catch {
    return undefined;
  }
}

const ltrim = (s: string) => s.replace(/^[ \t\n\v\f\r]+/, "");

/** bpftool's walk over the instructions, shared by the plain and JSON forms. */
function walk(
  input: XlatedDumpInput,
  visit: (
    slot: number,
    insn: Instruction,
    bytes: Uint8Array,
    proto: string | undefined,
    line: LineRecord | undefined,
  ) => void,
): void {
  const insns = decodeInstructions(input.insns, "little", { lenient: true });
  const funcs: { insnOff: number; typeId: number }[] = [];
  for (let at = 0; at + 8 <= input.funcInfo.bytes.length; at += input.funcInfo.recordSize) {
    funcs.push({ insnOff: u32(input.funcInfo.bytes, at), typeId: u32(input.funcInfo.bytes, at + 4) });
    if (input.funcInfo.recordSize < 8) break;
  }
  const lines = lineRecords(input.lineInfo);
  let record = 0;
  let skip = 0;
  let slot = 0;
  for (const insn of insns) {
    let proto: string | undefined;
    // bpftool advances to the next func_info record only when the current one matches
    const func = funcs[record];
    if (input.btf !== undefined && func !== undefined && func.insnOff === slot) {
      proto = funcSignature(input.btf, func.typeId);
      record++;
    }
    const line = findLine(lines, slot, skip);
    if (line !== undefined) skip++;
    visit(slot, insn, input.insns.subarray(slot * 8, (slot + width(insn)) * 8), proto, line);
    slot += width(insn);
  }
}

function formatOptions(input: XlatedDumpInput): FormatOptions {
  return {
    dialect: "v6.1",
    helperNames: BPFTOOL_HELPER_NAMES,
    symbolizer: input.symbolizer ?? bpftoolXlatedSymbolizer({ kallsyms: input.kallsyms, jitedKsyms: input.jitedKsyms }),
  };
}

const hexBytes = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

/** bpftool's dump_xlated_plain. */
export function xlatedPlain(input: XlatedDumpInput): string {
  const options = formatOptions(input);
  let out = "";
  walk(input, (slot, insn, bytes, proto, line) => {
    if (proto) out += `${proto}:\n`;
    if (line !== undefined) {
      const src = btfString(input.btf, line.lineOff);
      if (src !== undefined) {
        out += `; ${ltrim(src)}`;
        if (input.linum) {
          const file = btfString(input.btf, line.fileNameOff) ?? "";
          out += ` [file:${file} line_num:${line.lineCol >>> 10} line_col:${line.lineCol & 0x3ff}]`;
        }
        out += "\n";
      }
    }
    out += `${formatIndex(slot)}: ${formatInstruction(insn, options)}\n`;
    if (input.opcodes) {
      out += `       ${hexBytes(bytes.subarray(0, 8))}`;
      if (bytes.length > 8) out += ` ${hexBytes(bytes.subarray(8, 16))}`;
      out += "\n";
    }
  });
  return out;
}

/** bpftool's dump_xlated_json. */
export function xlatedJson(json: JsonWriter, input: XlatedDumpInput): void {
  const options = formatOptions(input);
  json.startArray();
  walk(input, (_slot, insn, bytes, proto, line) => {
    json.startObject();
    if (proto) json.stringField("proto", proto);
    if (line !== undefined) {
      const src = btfString(input.btf, line.lineOff);
      if (src !== undefined) json.stringField("src", ltrim(src));
      if (input.linum) {
        const file = btfString(input.btf, line.fileNameOff);
        if (file !== undefined) json.stringField("file", file);
        if (line.lineCol >>> 10 !== 0) json.numberField("line_num", line.lineCol >>> 10);
        if ((line.lineCol & 0x3ff) !== 0) json.numberField("line_col", line.lineCol & 0x3ff);
      }
    }
    json.name("disasm").unescaped(formatInstruction(insn, options));
    if (input.opcodes) {
      const op = bpftoolJsonOpcodes(bytes);
      json.name("opcodes").startObject();
      json.name("code").unescaped(op.code);
      json.name("src_reg").unescaped(op.src_reg);
      json.name("dst_reg").unescaped(op.dst_reg);
      json.name("off").startArray();
      for (const b of op.off) json.unescaped(b);
      json.endArray();
      json.name("imm").startArray();
      for (const b of op.imm) json.unescaped(b);
      json.endArray();
      json.endObject();
    }
    json.endObject();
  });
  json.endArray();
}
