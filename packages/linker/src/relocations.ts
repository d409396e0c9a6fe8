// Relocations: each `.rel<sec>` joins the output's `.rel<sec>`, offsets rebased to where the input's section
// went. A relocation against a section symbol (a static function or static data addressed from code) keeps the
// section's one output symbol, so the instruction's immediate gets the input section's offset added (in
// instructions for calls) - libbpf's linker_append_elf_relos.

import { SHF_EXECINSTR, STT_SECTION } from "@bpfkit/elf";
import { LinkError } from "./errors.js";
import type { LinkInput } from "./input.js";
import { checkSectionsMatch } from "./sections.js";
import type { LinkState } from "./state.js";
import type { SymbolMap } from "./symbols.js";

const BPF_JMP_CALL = 0x85;
const INSN_SIZE = 8;

export function appendRelocations(state: LinkState, input: LinkInput, symbols: SymbolMap): void {
  for (const rel of input.relocations) {
    const target = input.sections[rel.target.index]!;
    if (target.skipped || !target.out) continue;
    const relSec = input.sections[rel.section.index]!;
    let out = state.sectionByName(relSec.name);
    if (!out) out = state.addSection(relSec.name, relSec);
    else checkSectionsMatch(out, relSec, input.name);
    out.target = target.out;
    out.align = Math.max(out.align, relSec.align);
    const exec = (target.flags & SHF_EXECINSTR) !== 0;
    const code = target.out.data;
    const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
    for (const r of rel.relocations) {
      const offset = r.offset + target.outOffset;
      if (r.symbol.type === STT_SECTION) {
        if (!exec) {
          throw new LinkError(
            "BAD_INPUT",
            `relocation against a section symbol in non-code section '${target.name}' is not supported`,
            { input: input.name, section: relSec.name },
          );
        }
        const symSec = input.sections[r.symbol.shndx];
        const shift = symSec?.outOffset ?? 0;
        if (shift !== 0) {
          const imm = view.getInt32(offset + 4, state.littleEndian);
          const delta = code[offset] === BPF_JMP_CALL ? shift / INSN_SIZE : shift;
          view.setInt32(offset + 4, imm + delta, state.littleEndian);
        }
      }
      out.relocations.push({ offset, type: r.type, symbol: symbols[r.symbolIndex] });
    }
  }
}
