// Emission of queued definitions (libbpf btf_dump_emit_type). Before a definition is written, every type it
// uses must be either defined or forward-declared; this walk writes the forward declarations (and the typedefs
// that can stand in for them) that the ordering pass proved sufficient. `container` is the named struct/union
// whose body is being prepared (0 at top level): a reference back to it needs no forward declaration.

import { Kind } from "../kinds.js";
import {
  isCompilerBuiltin,
  writeEnumDefinition,
  writeFwdDefinition,
  writeStructDefinition,
  writeStructForward,
  writeTypedefDefinition,
} from "./definitions.js";
import { type DumpState, EMITTED, EMITTING, NOT_EMITTED } from "./state.js";

// Kind numbers as module constants: read in code that runs unoptimized (one-shot dumps), `Kind.X` is a
// property load at every use, and a switch evaluates its cases one by one.
const { INT, ENUM, ENUM64, PTR, VOLATILE, CONST, RESTRICT, TYPE_TAG, ARRAY, FWD, TYPEDEF, STRUCT, UNION, FUNC_PROTO } =
  Kind;

/** GCC's internal Arm NEON base types; libbpf writes a typedef to a standard type when it meets them as ints. */
const MISSING_BASE_TYPES: readonly (readonly [string, string])[] = [
  ["__Poly8_t", "unsigned char"],
  ["__Poly16_t", "unsigned short"],
  ["__Poly64_t", "unsigned long long"],
  ["__Poly128_t", "unsigned __int128"],
];

/** The standard type an int named like a GCC NEON type stands for. */
function missingBaseType(st: DumpState, id: number): string | undefined {
  const offset = st.table.nameOffset(id);
  if (offset === 0 || st.names.tagSuffix(id) > 1) return undefined;
  for (const [name, alias] of MISSING_BASE_TYPES) if (st.table.nameIs(offset, name)) return alias;
  return undefined;
}

export function emitType(st: DumpState, id: number, container: number): void {
  const state = st.emit[id];
  if (state === EMITTED) return;
  const { kinds, words, starts } = st.table;
  const kind = kinds[id]!;
  const at = starts[id]!;
  if (state === EMITTING) {
    emitForwardWhileEmitting(st, id, kind, container);
    return;
  }
  st.enter(id);
  switch (kind) {
    case INT: {
      // Asking for the name also registers it in the tag namespace, as libbpf does.
      const alias = missingBaseType(st, id);
      if (alias !== undefined) {
        st.w.text(`typedef ${alias} `);
        st.writeTagName(id);
        st.w.text(";\n\n");
      }
      st.emit[id] = EMITTED;
      break;
    }
    case ENUM:
    case ENUM64:
      if (container === 0) {
        writeEnumDefinition(st, id, 0);
        st.w.text(";\n\n");
      }
      st.emit[id] = EMITTED;
      break;
    case PTR:
    case VOLATILE:
    case CONST:
    case RESTRICT:
    case TYPE_TAG:
      emitType(st, words[at + 2]!, container);
      break;
    case ARRAY:
      emitType(st, words[at + 3]!, container);
      break;
    case FWD:
      writeFwdDefinition(st, id);
      st.w.text(";\n\n");
      st.emit[id] = EMITTED;
      break;
    case TYPEDEF:
      st.emit[id] = EMITTING;
      emitType(st, words[at + 2]!, id);
      // Someone may already have needed this typedef as a forward declaration and got it written.
      if (st.forwardDone[id] === 0 && !isCompilerBuiltin(st, id)) {
        writeTypedefDefinition(st, id, 0);
        st.w.text(";\n\n");
      }
      st.emit[id] = EMITTED;
      break;
    case STRUCT:
    case UNION:
      emitStruct(st, id, at, container);
      break;
    case FUNC_PROTO: {
      emitType(st, words[at + 2]!, container);
      const vlen = words[at + 1]! & 0xffff;
      for (let i = 0, p = at + 4; i < vlen; i++, p += 2) emitType(st, words[p]!, container);
      break;
    }
    default:
      // FLOAT needs nothing; FUNC, VAR, DATASEC and DECL_TAG are not part of a C header.
      break;
  }
  st.leave();
}

function emitStruct(st: DumpState, id: number, at: number, container: number): void {
  const words = st.table.words;
  const named = words[at] !== 0;
  const topLevel = container === 0;
  st.emit[id] = EMITTING;
  if (topLevel || !named) {
    // The body will be written out (here, or inline for an anonymous type), so its member types need
    // their declarations first. An anonymous body belongs to the enclosing container.
    const inner = named ? id : container;
    const vlen = words[at + 1]! & 0xffff;
    for (let i = 0, p = at + 4; i < vlen; i++, p += 3) emitType(st, words[p]!, inner);
  } else if (st.forwardDone[id] === 0 && id !== container) {
    writeStructForward(st, id);
    st.w.text(";\n\n");
    st.forwardDone[id] = 1;
  }
  if (topLevel) {
    writeStructDefinition(st, id, 0);
    st.w.text(";\n\n");
    st.emit[id] = EMITTED;
  } else {
    st.emit[id] = NOT_EMITTED;
  }
}

/** A type met again while its own definition is being prepared: a forward declaration may be due. */
function emitForwardWhileEmitting(st: DumpState, id: number, kind: number, container: number): void {
  if (st.forwardDone[id] !== 0) return;
  if (kind === STRUCT || kind === UNION) {
    // Inside its own body a struct can name itself freely; an anonymous loop has no name to declare.
    if (id === container || st.table.nameOffset(id) === 0) return;
    writeStructForward(st, id);
    st.w.text(";\n\n");
    st.forwardDone[id] = 1;
  } else if (kind === TYPEDEF) {
    // A typedef doubles as its own forward declaration; usable through pointers only.
    if (!isCompilerBuiltin(st, id)) {
      writeTypedefDefinition(st, id, 0);
      st.w.text(";\n\n");
    }
    st.forwardDone[id] = 1;
  }
}
