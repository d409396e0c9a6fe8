// Topological ordering of type definitions (libbpf btf_dump_order_type). A type embedded by value must be
// defined before its container ("strong" link); one reached through a pointer with a named type on the way only
// needs a forward declaration ("weak" link). The walk returns whether the link to `id` is strong and queues the
// named definitions it finishes, dependencies first. Only types that can stand alone as a definition (struct,
// union, enum, fwd, typedef) get an ordering state; pointers, arrays, modifiers and prototypes are walked through.

import { Kind } from "../kinds.js";
import { BtfDumpError } from "./errors.js";
import { type DumpState, ORDERED, ORDERING } from "./state.js";

// Kind numbers as module constants: read in code that runs unoptimized (one-shot dumps), `Kind.X` is a
// property load at every use, and a switch evaluates its cases one by one.
const {
  STRUCT,
  UNION,
  INT,
  FLOAT,
  PTR,
  ARRAY,
  ENUM,
  ENUM64,
  FWD,
  TYPEDEF,
  VOLATILE,
  CONST,
  RESTRICT,
  TYPE_TAG,
  FUNC_PROTO,
  FUNC,
  VAR,
  DATASEC,
  DECL_TAG,
} = Kind;

/** Returns true for a strong link (definition must come first), false for a weak one. */
export function orderType(st: DumpState, id: number, throughPointer: boolean): boolean {
  const order = st.order;
  if (order[id] === ORDERED) return true;
  const { kinds, words, starts } = st.table;
  const kind = kinds[id]!;
  const at = starts[id]!;
  if (order[id] === ORDERING) {
    // A named struct/union reached again through a pointer: a forward declaration breaks the loop.
    if ((kind === STRUCT || kind === UNION) && throughPointer && words[at] !== 0) return false;
    throw new BtfDumpError("TYPE_CYCLE", "unsatisfiable type cycle", id);
  }
  st.enter(id);
  const strong = orderByKind(st, id, kind, at, throughPointer);
  st.leave();
  return strong;
}

function orderByKind(st: DumpState, id: number, kind: number, at: number, throughPointer: boolean): boolean {
  const order = st.order;
  const words = st.table.words;
  switch (kind) {
    case INT:
    case FLOAT:
      order[id] = ORDERED;
      return false;
    case PTR: {
      const strong = orderType(st, words[at + 2]!, true);
      order[id] = ORDERED;
      return strong;
    }
    case ARRAY:
      return orderType(st, words[at + 3]!, false);
    case STRUCT:
    case UNION: {
      // Named and behind a pointer: a forward declaration will do. Anonymous ones are defined inline, so
      // everything they embed is needed even behind a pointer.
      if (throughPointer && words[at] !== 0) return false;
      order[id] = ORDERING;
      const vlen = words[at + 1]! & 0xffff;
      for (let i = 0, p = at + 4; i < vlen; i++, p += 3) orderType(st, words[p]!, false);
      if (words[at] !== 0) st.enqueue(id);
      order[id] = ORDERED;
      return true;
    }
    case ENUM:
    case ENUM64:
    case FWD:
      // Named enums and fwds are top-level declarations; so is an anonymous enum nothing refers to (a block of
      // constants). Anonymous referenced enums are written inline where used.
      if (words[at] !== 0 || st.referenced[id] === 0) st.enqueue(id);
      order[id] = ORDERED;
      return true;
    case TYPEDEF: {
      const strong = orderType(st, words[at + 2]!, throughPointer);
      if (throughPointer && !strong) return false;
      st.enqueue(id);
      order[id] = ORDERED;
      return true;
    }
    case VOLATILE:
    case CONST:
    case RESTRICT:
    case TYPE_TAG:
      return orderType(st, words[at + 2]!, throughPointer);
    case FUNC_PROTO: {
      let strong = orderType(st, words[at + 2]!, throughPointer);
      const vlen = words[at + 1]! & 0xffff;
      for (let i = 0, p = at + 4; i < vlen; i++, p += 2) {
        if (orderType(st, words[p]!, throughPointer)) strong = true;
      }
      return strong;
    }
    case FUNC:
    case VAR:
    case DATASEC:
    case DECL_TAG:
      order[id] = ORDERED;
      return false;
    default:
      throw new BtfDumpError("BAD_KIND", `kind ${kind} cannot be ordered`, id);
  }
}
