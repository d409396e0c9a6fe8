// Reference cycles: a chain of pointer / typedef / modifier / array / var / tag / func links must end, unless
// it passes through a struct, union, datasec or function prototype (which is how `struct list_head *next`
// legitimately points back at its own struct). Each type has at most one such outgoing link, so the links form
// a functional graph and one colouring pass finds every loop in O(types).

import { BtfError } from "./errors.js";
import { Kind } from "./kinds.js";

/** Word index of the single "chain" link of a type, or -1 when the kind stops chains. */
function chainWord(words: Uint32Array, start: number): number {
  const kind = (words[start + 1] >>> 24) & 0x1f;
  switch (kind) {
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
    case Kind.TYPE_TAG:
    case Kind.FUNC:
    case Kind.VAR:
    case Kind.DECL_TAG:
      return start + 2;
    case Kind.ARRAY:
      return start + 3;
    default:
      return -1;
  }
}

/** Throws BtfError CYCLE for the first own type found on a loop. Links into a base BTF never come back. */
export function checkReferenceCycles(
  words: Uint32Array,
  starts: Uint32Array,
  firstId: number,
  sectionOffset: number,
): void {
  const count = starts.length;
  // 0 = unseen, 1 = on the current path, 2 = known to end.
  const state = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    if (state[i] !== 0) continue;
    let cur = i;
    for (;;) {
      const s = state[cur];
      if (s === 2) break;
      if (s === 1) {
        throw new BtfError("CYCLE", "reference loop that does not pass through a struct, union or prototype", {
          section: ".BTF",
          typeId: cur + firstId,
          offset: sectionOffset + starts[cur] * 4,
        });
      }
      const link = chainWord(words, starts[cur]);
      if (link < 0) {
        state[cur] = 2;
        break;
      }
      state[cur] = 1;
      const next = words[link] - firstId;
      if (next < 0) break;
      cur = next;
    }
    cur = i;
    while (state[cur] === 1) {
      state[cur] = 2;
      const next = words[chainWord(words, starts[cur])] - firstId;
      if (next < 0) break;
      cur = next;
    }
  }
}
