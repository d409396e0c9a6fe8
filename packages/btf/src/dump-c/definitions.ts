// C text of one definition or forward declaration: struct/union bodies with their padding and bitfields, enums
// with their values, typedefs, and the short `struct x` / `enum x` forms. Member types are written by
// writeTypeDecl (declarations.ts), which comes back here for anonymous structs/enums defined inline.

import { Kind } from "../kinds.js";
import { writeTypeDecl } from "./declarations.js";
import { writeBitPadding } from "./padding.js";
import { type DumpState, indent } from "./state.js";

// Kind numbers as module constants: read in code that runs unoptimized (one-shot dumps), `Kind.X` is a
// property load at every use, and a switch evaluates its cases one by one.
const { STRUCT, ENUM } = Kind;

export function writeStructForward(st: DumpState, id: number): void {
  const w = st.w;
  w.text(st.table.kinds[id] === STRUCT ? "struct" : "union");
  if (st.table.nameOffset(id) !== 0) {
    w.byte(32);
    st.writeTagName(id);
  }
}

export function writeStructDefinition(st: DumpState, id: number, level: number): void {
  const { table, layout, w } = st;
  const { words } = table;
  const at = table.starts[id]!;
  const info = words[at + 1]!;
  const vlen = info & 0xffff;
  const bitfields = info >>> 31 === 1;
  const size = words[at + 2]!;
  const isStruct = table.kinds[id] === STRUCT;
  const align = layout.alignOf(id);
  const packed = isStruct && layout.isStructPacked(id);
  const outer = st.currentStruct;
  st.currentStruct = id;
  writeStructForward(st, id);
  w.text(" {");

  const memberIndent = indent(level + 1);
  // Bit offsets are C ints in libbpf; `| 0` keeps the same wrap-around on absurd layouts.
  let offset = 0;
  let prevBitfield = false;
  for (let i = 0, p = at + 3; i < vlen; i++, p += 3) {
    const memberType = words[p + 1]!;
    const rawOffset = words[p + 2]!;
    let bitSize = bitfields ? rawOffset >>> 24 : 0;
    const bitOffset = (bitfields ? rawOffset & 0xffffff : rawOffset) | 0;
    if (offset < bitOffset) {
      const memberAlign = packed ? 1 : layout.alignOf(memberType);
      writeBitPadding(st, offset, bitOffset, memberAlign, prevBitfield && bitSize !== 0, level + 1);
    }
    w.newline(memberIndent);
    writeTypeDecl(st, memberType, words[p]!, 1, level + 1);
    if (bitSize !== 0) {
      w.text(": ");
      w.int(bitSize);
      offset = (bitOffset + bitSize) | 0;
      prevBitfield = true;
    } else {
      bitSize = Math.max(0, layout.resolveSize(memberType)) | 0;
      offset = (bitOffset + Math.imul(bitSize, 8)) | 0;
      prevBitfield = false;
    }
    w.byte(59); // ';'
  }
  if (isStruct) writeBitPadding(st, offset, Math.imul(size, 8), align, false, level + 1);
  // An empty struct stays on one line: `struct empty {}`.
  if (vlen !== 0 || size !== 0) w.newline(indent(level));
  w.byte(125); // '}'
  if (packed) w.text(" __attribute__((packed))");
  st.currentStruct = outer;
}

export function writeEnumForward(st: DumpState, id: number): void {
  st.w.text("enum ");
  st.writeTagName(id);
}

export function writeEnumDefinition(st: DumpState, id: number, level: number): void {
  const { table, w } = st;
  const { words } = table;
  const at = table.starts[id]!;
  const info = words[at + 1]!;
  const vlen = info & 0xffff;
  const signed = info >>> 31 === 1;
  w.text("enum");
  if (words[at] !== 0) {
    w.byte(32);
    st.writeTagName(id);
  }
  if (vlen === 0) return;
  w.text(" {");
  const valueIndent = indent(level + 1);
  if (table.kinds[id] === ENUM) {
    for (let i = 0, p = at + 3; i < vlen; i++, p += 2) {
      w.newline(valueIndent);
      writeEnumerator(st, words[p]!);
      w.text(" = ");
      const raw = words[p + 1]!;
      w.int(signed ? raw | 0 : raw);
      w.byte(44); // ','
    }
  } else {
    for (let i = 0, p = at + 3; i < vlen; i++, p += 3) {
      w.newline(valueIndent);
      writeEnumerator(st, words[p]!);
      w.text(" = ");
      writeEnum64Value(st, words[p + 1]!, words[p + 2]!, signed);
      w.text(signed ? "LL," : "ULL,");
    }
  }
  // The reference bpftool's libbpf writes no mode(byte)/mode(word) attribute for 1- or 8-byte enums.
  w.newline(indent(level));
  w.byte(125); // '}'
}

function writeEnum64Value(st: DumpState, low: number, high: number, signed: boolean): void {
  if (high === 0) st.w.int(low);
  else if (!signed && high < 0x200000) st.w.int(high * 2 ** 32 + low);
  else {
    const value = (BigInt(high) << 32n) | BigInt(low);
    st.w.text(String(signed ? BigInt.asIntN(64, value) : value));
  }
}

/** Enumerators share the identifier namespace with typedefs; a repeated one gets a `___n` suffix. */
function writeEnumerator(st: DumpState, nameOffset: number): void {
  st.writeName(nameOffset, st.names.enumeratorOccurrence(nameOffset));
}

export function writeFwdDefinition(st: DumpState, id: number): void {
  st.w.text(st.table.kindFlag(id) ? "union " : "struct ");
  st.writeTagName(id);
}

export function writeTypedefDefinition(st: DumpState, id: number, level: number): void {
  const target = st.table.sizeOrType(id);
  const nameOffset = st.table.nameOffset(id);
  const suffix = st.names.identSuffix(id);
  // Old GCC emitted __gnuc_va_list as a typedef of void; libbpf repairs it to the builtin.
  if (target === 0 && suffix <= 1 && st.table.nameIs(nameOffset, "__gnuc_va_list")) {
    st.w.text("typedef __builtin_va_list __gnuc_va_list");
    return;
  }
  st.w.text("typedef ");
  writeTypeDecl(st, target, nameOffset, suffix, level);
}

/** __builtin_va_list is the compiler's own; redefining it breaks compilation with another compiler. */
export function isCompilerBuiltin(st: DumpState, id: number): boolean {
  const offset = st.table.nameOffset(id);
  return offset !== 0 && st.table.nameIs(offset, "__builtin_va_list");
}
