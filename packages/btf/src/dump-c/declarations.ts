// C declarators from BTF type chains (libbpf btf_dump_emit_type_decl / emit_type_chain). BTF lists a declaration
// outside-in (typedef -> array -> ptr -> const -> int) while C spells it around the name: qualifiers left of a
// base type but right of a `*`, arrays and function parameters after the name, parentheses where a pointer
// binds to an array or function. The chain is pushed on a shared stack down to its base type, then written
// base type first by popping.
import {
  writeEnumDefinition,
  writeEnumForward,
  writeFwdDefinition,
  writeStructDefinition,
  writeStructForward,
} from "./definitions.js";
import { BtfDumpError } from "./errors.js";
import {
  ARRAY,
  CONST,
  ENUM,
  ENUM64,
  FLOAT,
  FUNC_PROTO,
  FWD,
  INT,
  isModifier,
  PTR,
  RESTRICT,
  STRUCT,
  TYPE_TAG,
  TYPEDEF,
  UNION,
  VOLATILE,
} from "./kinds.js";
import type { DumpState } from "./state.js";

/** This chain's part of the shared stack: entries [base, base + count), consumed from the top. */
interface ChainView {
  readonly base: number;
  count: number;
}

/** Writes the declaration of `fieldName` with type `id` (fieldName may be "" for an abstract declarator). */
export function writeTypeDecl(st: DumpState, id: number, fieldName: string, level: number): void {
  const { kinds, words, starts } = st.table;
  const base = st.declTop;
  st.enter(id);
  // A chain longer than the number of types must revisit a type: a malformed pointer/modifier cycle.
  let guard = st.table.count;
  for (;;) {
    st.pushDecl(id);
    if (id === 0) break;
    const kind = kinds[id]!;
    if (kind === ARRAY) id = words[starts[id]! + 3]!;
    else if (kind === PTR || kind === FUNC_PROTO || isModifier(kind)) id = words[starts[id]! + 2]!;
    else break; // a base type, or something that has no place in a declaration (written as nothing below)
    if (--guard < 0) throw new BtfDumpError("TOO_DEEP", "declaration chain revisits a type (malformed cycle)", id);
  }
  writeChain(st, { base, count: st.declTop - base }, fieldName, level);
  st.declTop = base;
  st.leave();
}

/** Writes qualifiers sitting directly on top of a base type as a prefix (`const volatile int`). */
function writeLeadingQualifiers(st: DumpState, view: ChainView): void {
  const { kinds } = st.table;
  const stack = st.declStack;
  while (view.count > 0) {
    const kind = kinds[stack[view.base + view.count - 1]!]!;
    if (kind === VOLATILE) st.out += "volatile ";
    else if (kind === CONST) st.out += "const ";
    else if (kind === RESTRICT) st.out += "restrict ";
    else return;
    view.count--;
  }
}

/** Drops qualifiers and type tags on an array or function type: C has no place for them (GCC emits some). */
function dropModifiers(st: DumpState, view: ChainView): void {
  const { kinds } = st.table;
  const stack = st.declStack;
  while (view.count > 0 && isModifier(kinds[stack[view.base + view.count - 1]!]!)) view.count--;
}

function writeName(st: DumpState, name: string, lastWasPointer: boolean): void {
  if (name.length !== 0 && !lastWasPointer) st.out += " ";
  st.out += name;
}

function writeChain(st: DumpState, view: ChainView, fieldName: string, level: number): void {
  const { table } = st;
  const { kinds, words, starts } = table;
  // `int ***` rather than `int * * *`; starts true so a lone pointer before a prototype prints as `(*name)`.
  let lastWasPointer = true;
  while (view.count > 0) {
    const id = st.declStack[view.base + --view.count]!;
    if (id === 0) {
      writeLeadingQualifiers(st, view);
      st.out += "void";
      lastWasPointer = false;
      continue;
    }
    const kind = kinds[id]!;
    const at = starts[id]!;
    switch (kind) {
      case INT:
      case FLOAT:
        writeLeadingQualifiers(st, view);
        st.out += table.string(words[at]!);
        break;
      case STRUCT:
      case UNION:
        writeLeadingQualifiers(st, view);
        if (words[at] === 0) writeStructDefinition(st, id, level);
        else writeStructForward(st, id);
        break;
      case ENUM:
      case ENUM64:
        writeLeadingQualifiers(st, view);
        if (words[at] === 0) writeEnumDefinition(st, id, level);
        else writeEnumForward(st, id);
        break;
      case FWD:
        writeLeadingQualifiers(st, view);
        writeFwdDefinition(st, id);
        break;
      case TYPEDEF:
        writeLeadingQualifiers(st, view);
        st.out += st.names.identName(id);
        break;
      case PTR:
        st.out += lastWasPointer ? "*" : " *";
        break;
      case VOLATILE:
        st.out += " volatile";
        break;
      case CONST:
        st.out += " const";
        break;
      case RESTRICT:
        st.out += " restrict";
        break;
      case TYPE_TAG:
        writeLeadingQualifiers(st, view);
        st.out += ` __attribute__((btf_type_tag("${table.string(words[at]!)}")))`;
        break;
      case ARRAY: {
        const elements = words[at + 5]!;
        dropModifiers(st, view);
        if (view.count === 0) {
          writeName(st, fieldName, lastWasPointer);
          st.out += `[${elements}]`;
          return;
        }
        // Arrays of arrays nest without parentheses: a[2][3].
        const multiDimensional = kinds[st.declStack[view.base + view.count - 1]!] === ARRAY;
        if (fieldName.length !== 0 && !lastWasPointer) st.out += " ";
        if (!multiDimensional) st.out += "(";
        writeChain(st, view, fieldName, level);
        if (!multiDimensional) st.out += ")";
        st.out += `[${elements}]`;
        return;
      }
      case FUNC_PROTO:
        writeFunctionProto(st, id, view, fieldName, level, lastWasPointer);
        return;
      default:
        // FUNC, VAR, DATASEC, DECL_TAG have no C spelling inside a declaration; libbpf stops here too.
        return;
    }
    lastWasPointer = kind === PTR;
  }
  writeName(st, fieldName, lastWasPointer);
}

function writeFunctionProto(
  st: DumpState,
  id: number,
  view: ChainView,
  fieldName: string,
  level: number,
  lastWasPointer: boolean,
): void {
  const { words, starts } = st.table;
  const at = starts[id]!;
  const vlen = words[at + 1]! & 0xffff;
  // GCC adds `volatile` to noreturn function pointers; dropped like libbpf does.
  dropModifiers(st, view);
  if (view.count > 0) {
    st.out += " (";
    writeChain(st, view, fieldName, level);
    st.out += ")";
  } else {
    writeName(st, fieldName, lastWasPointer);
  }
  st.out += "(";
  // No parameters, or Clang's single void parameter: `f(void)`. (The reference bpftool's libbpf carries the 2024
  // stable fix for this; plain libbpf 1.1 printed `f()`.)
  if (vlen === 0 || (vlen === 1 && words[at + 4] === 0)) {
    st.out += "void)";
    return;
  }
  for (let i = 0, p = at + 3; i < vlen; i++, p += 2) {
    if (i > 0) st.out += ", ";
    // A trailing void parameter means varargs.
    if (i === vlen - 1 && words[p + 1] === 0) {
      st.out += "...";
      break;
    }
    writeTypeDecl(st, words[p + 1]!, st.table.string(words[p]!), level);
  }
  st.out += ")";
}
