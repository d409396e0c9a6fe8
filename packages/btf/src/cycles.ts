// Reference cycles: a chain of pointer / typedef / modifier / array / var / tag / func links must end, unless
// it passes through a struct, union, datasec or function prototype (which is how `struct list_head *next`
// legitimately points back at its own struct). Each type has at most one such outgoing link, so the links form
// a functional graph and one colouring pass finds every loop in O(types).

import { BtfError } from "./errors.js";
import { KIND_LAYOUTS } from "./kinds.js";

/** Per kind: word (after the record start) holding the chain link, 0 when the kind ends chains. */
const LINK_WORD = Int8Array.from({ length: 32 }, (_, kind) => KIND_LAYOUTS[kind]?.chainLink ?? 0);

/**
 * Throws BtfError CYCLE for the first own type found on a loop. Links into a base BTF never come back.
 * `from` limits the walk starts to the given own indexes (ScanResult.forwardLinks); without it every type is one.
 */
export function checkReferenceCycles(
  words: Uint32Array,
  starts: Uint32Array,
  firstId: number,
  sectionOffset: number,
  from?: readonly number[],
  section = ".BTF",
): void {
  const count = starts.length;
  // 0 = unseen, 1 = on the current path, 2 = known to end.
  const state = new Uint8Array(count);
  const walks = from ? from.length : count;
  for (let w = 0; w < walks; w++) {
    const i = from ? from[w] : w;
    if (state[i] !== 0) continue;
    let cur = i;
    for (;;) {
      const s = state[cur];
      if (s === 2) break;
      if (s === 1) throw cycleError(cur + firstId, sectionOffset + starts[cur] * 4, section);
      const start = starts[cur];
      const link = LINK_WORD[(words[start + 1] >>> 24) & 0x1f];
      if (link === 0) {
        state[cur] = 2;
        break;
      }
      state[cur] = 1;
      const next = words[start + link] - firstId;
      if (next < 0) break;
      cur = next;
    }
    cur = i;
    while (state[cur] === 1) {
      state[cur] = 2;
      const start = starts[cur];
      const next = words[start + LINK_WORD[(words[start + 1] >>> 24) & 0x1f]] - firstId;
      if (next < 0) break;
      cur = next;
    }
  }
}

export function cycleError(typeId: number, offset: number, section = ".BTF"): BtfError {
  return new BtfError("CYCLE", "reference loop that does not pass through a struct, union or prototype", {
    section,
    typeId,
    offset,
  });
}
