// C declarators from BTF type chains (libbpf btf_dump_emit_type_decl / emit_type_chain). BTF lists a declaration
// outside-in (typedef -> array -> ptr -> const -> int) while C spells it around the name: qualifiers left of a
// base type but right of a `*`, arrays and function parameters after the name, parentheses where a pointer
// binds to an array or function. The chain is pushed on a shared stack down to its base type, then written
// base type first by popping. A chain's entries are [base, top) of the stack; `top` only moves down while the
// chain is written, and nested declarations (function parameters) push above the chain's own entries.
//
// The declared name travels as a string offset (0: none, an abstract declarator) plus a `___n` suffix number
// (1: none), so nothing is decoded or allocated per declaration.

import { isModifier, Kind } from "../kinds.js";
import {
  writeEnumDefinition,
  writeEnumForward,
  writeFwdDefinition,
  writeStructDefinition,
  writeStructForward,
} from "./definitions.js";
import { BtfDumpError } from "./errors.js";
import type { DumpState } from "./state.js";

// Kind numbers as module constants: read in code that runs unoptimized (one-shot dumps), `Kind.X` is a
// property load at every use, and a switch evaluates its cases one by one.
const {
  ARRAY,
  PTR,
  FUNC_PROTO,
  VOLATILE,
  CONST,
  RESTRICT,
  INT,
  FLOAT,
  STRUCT,
  UNION,
  ENUM,
  ENUM64,
  FWD,
  TYPEDEF,
  TYPE_TAG,
} = Kind;

/** `nameOffset` of a declaration whose name is `st.fieldName` (a caller's string, not in the string section). */
export const FIELD_NAME = -1;

/**
 * Writes the declaration of the name at `nameOffset` (or FIELD_NAME) with type `id`, renamed `name___n` when
 * `nameSuffix` > 1.
 */
export function writeTypeDecl(st: DumpState, id: number, nameOffset: number, nameSuffix: number, level: number): void {
  const { kinds, words, starts } = st.table;
  const base = st.declTop;
  st.enter(id);
  // A chain longer than the number of types must revisit a type: a malformed pointer/modifier cycle.
  let guard = st.table.count;
  for (;;) {
    const kind = kinds[id]!;
    // btf_dump__emit_type_decl's strip_mods: qualifiers and type tags are passed over, nested chains included.
    if (!(st.stripMods && isModifier(kind))) st.pushDecl(id);
    if (id === 0) break;
    if (kind === ARRAY) id = words[starts[id]! + 3]!;
    else if (kind === PTR || kind === FUNC_PROTO || isModifier(kind)) id = words[starts[id]! + 2]!;
    else break; // a base type, or something that has no place in a declaration (written as nothing below)
    if (--guard < 0) throw new BtfDumpError("TOO_DEEP", "declaration chain revisits a type (malformed cycle)", id);
  }
  writeChain(st, base, st.declTop, nameOffset, nameSuffix, level);
  st.declTop = base;
  st.leave();
}

/** Writes qualifiers sitting directly on top of a base type as a prefix (`const volatile int`); returns the new top. */
function writeLeadingQualifiers(st: DumpState, base: number, top: number): number {
  const { kinds } = st.table;
  const stack = st.declStack;
  while (top > base) {
    const kind = kinds[stack[top - 1]!]!;
    if (kind === VOLATILE) st.w.text("volatile ");
    else if (kind === CONST) st.w.text("const ");
    else if (kind === RESTRICT) st.w.text("restrict ");
    else break;
    top--;
  }
  return top;
}

/** Drops qualifiers and type tags on an array or function type (C has no place for them; GCC emits some). */
function dropModifiers(st: DumpState, base: number, top: number): number {
  const { kinds } = st.table;
  const stack = st.declStack;
  while (top > base && isModifier(kinds[stack[top - 1]!]!)) top--;
  return top;
}

function hasName(st: DumpState, nameOffset: number): boolean {
  if (nameOffset === FIELD_NAME) return st.fieldName !== "";
  return nameOffset !== 0 && !st.w.isEmptyName(nameOffset);
}

function writeName(st: DumpState, nameOffset: number, nameSuffix: number, lastWasPointer: boolean): void {
  if (!hasName(st, nameOffset)) return;
  if (!lastWasPointer) st.w.byte(32);
  if (nameOffset === FIELD_NAME) st.w.unicode(st.fieldName);
  else st.writeName(nameOffset, nameSuffix);
}

function writeArrayLength(st: DumpState, elements: number): void {
  st.w.byte(91);
  st.w.int(elements);
  st.w.byte(93);
}

function writeChain(
  st: DumpState,
  base: number,
  top: number,
  nameOffset: number,
  nameSuffix: number,
  level: number,
): void {
  const { kinds, words, starts } = st.table;
  const w = st.w;
  // `int ***` rather than `int * * *`; starts true so a lone pointer before a prototype prints as `(*name)`.
  let lastWasPointer = true;
  while (top > base) {
    const id = st.declStack[--top]!;
    if (id === 0) {
      top = writeLeadingQualifiers(st, base, top);
      w.text("void");
      lastWasPointer = false;
      continue;
    }
    const kind = kinds[id]!;
    const at = starts[id]!;
    switch (kind) {
      case INT:
      case FLOAT:
        top = writeLeadingQualifiers(st, base, top);
        w.name(words[at]!);
        break;
      case STRUCT:
      case UNION:
        top = writeLeadingQualifiers(st, base, top);
        if (words[at] === 0) writeStructDefinition(st, id, level);
        else writeStructForward(st, id);
        break;
      case ENUM:
      case ENUM64:
        top = writeLeadingQualifiers(st, base, top);
        if (words[at] === 0) writeEnumDefinition(st, id, level);
        else writeEnumForward(st, id);
        break;
      case FWD:
        top = writeLeadingQualifiers(st, base, top);
        writeFwdDefinition(st, id);
        break;
      case TYPEDEF:
        top = writeLeadingQualifiers(st, base, top);
        st.writeIdentName(id);
        break;
      case PTR:
        w.text(lastWasPointer ? "*" : " *");
        break;
      case VOLATILE:
        w.text(" volatile");
        break;
      case CONST:
        w.text(" const");
        break;
      case RESTRICT:
        w.text(" restrict");
        break;
      case TYPE_TAG:
        top = writeLeadingQualifiers(st, base, top);
        w.text(' __attribute__((btf_type_tag("');
        w.name(words[at]!);
        w.text('")))');
        break;
      case ARRAY: {
        const elements = words[at + 5]!;
        top = dropModifiers(st, base, top);
        if (top === base) {
          writeName(st, nameOffset, nameSuffix, lastWasPointer);
          writeArrayLength(st, elements);
          return;
        }
        // Arrays of arrays nest without parentheses: a[2][3].
        const multiDimensional = kinds[st.declStack[top - 1]!] === ARRAY;
        if (hasName(st, nameOffset) && !lastWasPointer) w.byte(32);
        if (!multiDimensional) w.byte(40);
        writeChain(st, base, top, nameOffset, nameSuffix, level);
        if (!multiDimensional) w.byte(41);
        writeArrayLength(st, elements);
        return;
      }
      case FUNC_PROTO:
        writeFunctionProto(st, id, base, top, nameOffset, nameSuffix, level, lastWasPointer);
        return;
      default:
        // FUNC, VAR, DATASEC, DECL_TAG have no C spelling inside a declaration; libbpf stops here too.
        return;
    }
    lastWasPointer = kind === PTR;
  }
  writeName(st, nameOffset, nameSuffix, lastWasPointer);
}

function writeFunctionProto(
  st: DumpState,
  id: number,
  base: number,
  top: number,
  nameOffset: number,
  nameSuffix: number,
  level: number,
  lastWasPointer: boolean,
): void {
  const { words, starts } = st.table;
  const w = st.w;
  const at = starts[id]!;
  const vlen = words[at + 1]! & 0xffff;
  // GCC adds `volatile` to noreturn function pointers; dropped like libbpf does.
  const rest = dropModifiers(st, base, top);
  if (rest > base) {
    w.text(" (");
    writeChain(st, base, rest, nameOffset, nameSuffix, level);
    w.byte(41);
  } else {
    writeName(st, nameOffset, nameSuffix, lastWasPointer);
  }
  w.byte(40);
  // No parameters, or Clang's single void parameter: `f(void)`. (The reference bpftool's libbpf carries the 2024
  // stable fix for this; plain libbpf 1.1 printed `f()`.)
  if (vlen === 0 || (vlen === 1 && words[at + 4] === 0)) {
    w.text("void)");
    return;
  }
  for (let i = 0, p = at + 3; i < vlen; i++, p += 2) {
    if (i > 0) w.text(", ");
    // A trailing void parameter means varargs.
    if (i === vlen - 1 && words[p + 1] === 0) {
      w.text("...");
      break;
    }
    writeTypeDecl(st, words[p + 1]!, words[p]!, 1, level);
  }
  w.byte(41);
}
