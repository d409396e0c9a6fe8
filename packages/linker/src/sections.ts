// Section contents: each input section is appended to the same-named output section at the next offset aligned
// for both (libbpf's linker_append_sec_data / extend_sec). `license` and `version` are kept once and must match.

import { SHT_NOBITS, SHT_PROGBITS } from "@bpfkit/elf";
import { LinkError } from "./errors.js";
import type { InputSection, LinkInput } from "./input.js";
import type { OutSection } from "./output.js";
import type { LinkState } from "./state.js";

function isDataSection(sec: InputSection): boolean {
  if (sec.skipped) return false;
  return sec.ephemeral || sec.type === SHT_PROGBITS || sec.type === SHT_NOBITS;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks that an input section may join `out` (libbpf's secs_match), naming what differs. */
export function checkSectionsMatch(out: OutSection, sec: InputSection, input: string): void {
  if (out.ephemeral || sec.ephemeral) return;
  if (out.type !== sec.type) mismatch(sec, input, "type", out.type, sec.type);
  if (out.flags !== sec.flags) mismatch(sec, input, "flags", out.flags, sec.flags);
  if (out.entsize !== sec.entsize) mismatch(sec, input, "entsize", out.entsize, sec.entsize);
}

/** A function, not a closure made per check (every section of every input is checked). */
function mismatch(sec: InputSection, input: string, what: string, a: number, b: number): never {
  throw new LinkError(
    "SECTION_MISMATCH",
    `sections '${sec.name}' are incompatible: ${what} ${b} here, ${a} in earlier inputs`,
    {
      input,
      section: sec.name,
    },
  );
}

/** Places `sec`'s contents in `out` and records where. */
export function extendSection(state: LinkState, out: OutSection, sec: InputSection): void {
  sec.out = out;
  if (sec.ephemeral) return;
  if (out.ephemeral) state.materialize(out, sec);
  sec.outOffset = out.append(sec.type === SHT_NOBITS ? undefined : sec.data, sec.size, sec.align);
}

export function appendSectionData(state: LinkState, input: LinkInput): void {
  for (let i = 1; i < input.sections.length; i++) {
    const sec = input.sections[i]!;
    if (!isDataSection(sec)) continue;
    let out = state.sectionByName(sec.name);
    if (!out) {
      out = state.addSection(sec.name, sec);
    } else {
      checkSectionsMatch(out, sec, input.name);
      if (sec.name === "license" || sec.name === "version") {
        if (!sameBytes(out.data, sec.data)) {
          throw new LinkError(
            "SECTION_MISMATCH",
            `section '${sec.name}' differs from the earlier inputs' (non-identical contents are not supported)`,
            { input: input.name, section: sec.name },
          );
        }
        sec.skipped = true;
        sec.out = out;
        continue;
      }
    }
    extendSection(state, out, sec);
  }
}
