// Decoding a program's packed line_info (what BPF_PROG_LOAD receives) back into source lines, so a verifier
// failure can name the C line. The file name and the line text are offsets into the object's BTF string table.

import type { Btf } from "@bpfkit/btf";
import type { ExtInfo, InsnSourceLine } from "@bpfkit/loader";

/** `bpf_line_info`: insn_off (slots), file_name_off, line_off, line_col (line << 10 | column). */
const MIN_RECORD = 16;

export function decodeLineInfo(lineInfo: ExtInfo | undefined, btf: Btf | undefined): InsnSourceLine[] {
  if (lineInfo === undefined || btf === undefined || lineInfo.recordSize < MIN_RECORD) return [];
  const { bytes, recordSize } = lineInfo;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: InsnSourceLine[] = [];
  for (let at = 0; at + recordSize <= bytes.length; at += recordSize) {
    const lineCol = view.getUint32(at + 12, true);
    out.push({
      insnIndex: view.getUint32(at, true),
      file: btf.stringAt(view.getUint32(at + 4, true)) || undefined,
      text: btf.stringAt(view.getUint32(at + 8, true)) || undefined,
      line: lineCol >>> 10,
      column: lineCol & 0x3ff,
    });
  }
  return out;
}
