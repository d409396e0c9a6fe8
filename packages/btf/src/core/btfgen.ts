// BTFGen (`bpftool gen min_core_btf`): from a full target BTF and the CO-RE relocations of some objects, the
// smallest BTF that still resolves every relocation the same way. Same algorithm as bpftool 7.1 (kernel 6.1):
// resolve each relocation exactly like the loader (candidate cache + narrowing per object), mark what the first
// matching target spec touches (field relocations: the types and members on the access path; type relocations: the
// type, following pointers; type matches: the whole member tree, not behind pointers; enum relocations: the enum),
// then emit the marked types in id order with only their marked members, remapping ids (unmarked ids become void).
// The output is raw little-endian BTF, byte-identical to bpftool's for the same inputs.

import { isComposite, Kind } from "../kinds.js";
import { writeBtfBlob } from "../words.js";
import { type CoreBtf, kindString, skipModsAndTypedefs } from "./btf-view.js";
import {
  type CoreCandidate,
  type CoreTargets,
  coreTarget,
  type EssentialNameIndex,
  findCandidates,
} from "./candidates.js";
import { asCoreFailure, CoreFailure, CoreRelocationError } from "./errors.js";
import { CoreReloKind, isFieldBased } from "./relo-kinds.js";
import type { CoreReloSection } from "./relocate.js";
import { resolveRelocation } from "./resolve.js";
import { type CoreSpec, parseSpec } from "./spec.js";

/** One object's CO-RE input: its BTF and core_relo records (e.g. from parseCoreRelos). */
export interface MinCoreBtfInput {
  readonly name: string;
  readonly btf: CoreBtf;
  readonly sections: readonly CoreReloSection[];
}

/** Marks: types that stay, and per struct/union the member indices that stay. */
class Marks {
  readonly types = new Set<number>();
  readonly members = new Map<number, Set<number>>();
  constructor(readonly btf: CoreBtf) {}

  member(typeId: number, index: number): void {
    const set = this.members.get(typeId);
    if (set) set.add(index);
    else this.members.set(typeId, new Set([index]));
  }

  unsupported(typeId: number): never {
    throw new CoreFailure("UNSUPPORTED", `unsupported kind: ${kindString(this.btf.kind(typeId))} (${typeId})`);
  }

  /** bpftool's btfgen_mark_type. */
  type(id: number, followPointers: boolean, depth = 0): void {
    if (id === 0) return;
    if (depth > 1024) throw new CoreFailure("BAD_BTF", "type chain too deep");
    const btf = this.btf;
    this.types.add(id);
    switch (btf.kind(id)) {
      case Kind.UNKN:
      case Kind.INT:
      case Kind.FLOAT:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.STRUCT:
      case Kind.UNION:
        return;
      case Kind.PTR:
        if (followPointers) this.type(btf.refType(id), followPointers, depth + 1);
        return;
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.VOLATILE:
      case Kind.TYPEDEF:
        this.type(btf.refType(id), followPointers, depth + 1);
        return;
      case Kind.ARRAY:
        this.type(btf.arrayElemType(id), followPointers, depth + 1);
        this.type(btf.arrayIndexType(id), followPointers, depth + 1);
        return;
      case Kind.FUNC_PROTO:
        this.type(btf.refType(id), followPointers, depth + 1);
        for (let i = 0; i < btf.vlen(id); i++) this.type(btf.paramType(id, i), followPointers, depth + 1);
        return;
      default:
        this.unsupported(id);
    }
  }

  /** bpftool's btfgen_mark_type_match: whole member trees, but nothing reached through a pointer. */
  typeMatch(id: number, behindPointer: boolean, depth = 0): void {
    if (id === 0) return;
    if (depth > 1024) throw new CoreFailure("BAD_BTF", "type chain too deep");
    const btf = this.btf;
    this.types.add(id);
    switch (btf.kind(id)) {
      case Kind.UNKN:
      case Kind.INT:
      case Kind.FLOAT:
      case Kind.ENUM:
      case Kind.ENUM64:
        return;
      case Kind.STRUCT:
      case Kind.UNION:
        if (behindPointer) return;
        for (let i = 0; i < btf.vlen(id); i++) {
          this.member(id, i);
          this.typeMatch(btf.memberType(id, i), false, depth + 1);
        }
        return;
      case Kind.CONST:
      case Kind.FWD:
      case Kind.RESTRICT:
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
        this.typeMatch(btf.refType(id), behindPointer, depth + 1);
        return;
      case Kind.PTR:
        this.typeMatch(btf.refType(id), true, depth + 1);
        return;
      case Kind.ARRAY:
        this.typeMatch(btf.arrayElemType(id), false, depth + 1);
        this.typeMatch(btf.arrayIndexType(id), false, depth + 1);
        return;
      case Kind.FUNC_PROTO:
        this.typeMatch(btf.refType(id), false, depth + 1);
        for (let i = 0; i < btf.vlen(id); i++) this.typeMatch(btf.paramType(id, i), false, depth + 1);
        return;
      default:
        this.unsupported(id);
    }
  }

  /** bpftool's btfgen_record_field_relo: the access path of the target spec. */
  field(spec: CoreSpec): void {
    const btf = this.btf;
    let id = spec.rootTypeId;
    this.type(id, false);
    for (let level = 1; level < spec.raw.length; level++) {
      id = skipModsAndTypedefs(btf, id);
      if (id < 0) throw new CoreFailure("BAD_BTF", "type reference out of range");
      const kind = btf.kind(id);
      if (isComposite(kind)) {
        const index = spec.raw[level]!;
        this.member(id, index);
        id = btf.memberType(id, index);
        this.type(id, false);
      } else if (kind === Kind.ARRAY) {
        id = btf.arrayElemType(id);
      } else {
        this.unsupported(id);
      }
    }
  }

  record(spec: CoreSpec): void {
    if (isFieldBased(spec.kind)) this.field(spec);
    else if (spec.kind === CoreReloKind.TYPE_MATCHES) this.typeMatch(spec.rootTypeId, false);
    else if (spec.kind === CoreReloKind.TYPE_ID_LOCAL) return;
    else if (spec.kind === CoreReloKind.ENUMVAL_EXISTS || spec.kind === CoreReloKind.ENUMVAL_VALUE) {
      this.type(spec.rootTypeId, false);
    } else this.type(spec.rootTypeId, true);
  }
}

/** Little-endian raw BTF being built: u32 words for types, deduplicated strings. */
class RawBtfWriter {
  readonly words: number[] = [];
  private readonly strings: string[] = [""];
  private readonly offsets = new Map<string, number>([["", 0]]);
  private stringLength = 1;
  private readonly encoder = new TextEncoder();

  str(text: string): number {
    if (text === "") return 0;
    const known = this.offsets.get(text);
    if (known !== undefined) return known;
    const offset = this.stringLength;
    this.offsets.set(text, offset);
    this.strings.push(text);
    this.stringLength += this.encoder.encode(text).length + 1;
    return offset;
  }

  encode(): Uint8Array {
    const strings = this.encoder.encode(`${this.strings.join("\0")}\0`);
    return writeBtfBlob({ words: Uint32Array.from(this.words), strings, littleEndian: true });
  }
}

function info(kind: number, vlen: number, kflag: boolean): number {
  return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
}

/** Emits the marked types (bpftool's btfgen_get_btf), ids remapped through `newIds`. */
function emit(btf: CoreBtf, marks: Marks): Uint8Array {
  const ordered = [...marks.types].sort((a, b) => a - b);
  const newIds = new Map<number, number>();
  for (let i = 0; i < ordered.length; i++) newIds.set(ordered[i]!, i + 1);
  const remap = (id: number) => newIds.get(id) ?? 0;
  const out = new RawBtfWriter();
  const w = out.words;
  for (const id of ordered) {
    const kind = btf.kind(id);
    const name = out.str(btf.nameOf(id));
    const vlen = btf.vlen(id);
    const kflag = btf.kindFlag(id);
    switch (kind) {
      case Kind.STRUCT:
      case Kind.UNION: {
        const kept = marks.members.get(id) ?? new Set<number>();
        const header = w.length;
        w.push(name, info(kind, 0, false), btf.sizeField(id));
        let count = 0;
        let bitfields = false;
        for (let i = 0; i < vlen; i++) {
          if (!kept.has(i)) continue;
          const bitOffset = btf.memberBitOffset(id, i);
          const bitSize = btf.memberBitfieldSize(id, i);
          bitfields ||= bitSize !== 0 || bitOffset % 8 !== 0;
          w.push(out.str(btf.memberName(id, i)), remap(btf.memberType(id, i)), (bitOffset | (bitSize << 24)) >>> 0);
          count++;
        }
        w[header + 1] = info(kind, count, bitfields);
        break;
      }
      case Kind.INT:
        w.push(name, info(kind, vlen, kflag), btf.sizeField(id));
        w.push(((btf.intEncoding(id) << 24) | (btf.intOffset(id) << 16) | btf.intBits(id)) >>> 0);
        break;
      case Kind.ARRAY:
        w.push(name, info(kind, vlen, kflag), 0);
        w.push(remap(btf.arrayElemType(id)), remap(btf.arrayIndexType(id)), btf.arrayLength(id));
        break;
      case Kind.ENUM:
        w.push(name, info(kind, vlen, kflag), btf.sizeField(id));
        for (let i = 0; i < vlen; i++) {
          w.push(out.str(btf.enumValueName(id, i)), Number(BigInt.asUintN(32, btf.enumValue(id, i))));
        }
        break;
      case Kind.ENUM64:
        w.push(name, info(kind, vlen, kflag), btf.sizeField(id));
        for (let i = 0; i < vlen; i++) {
          const value = BigInt.asUintN(64, btf.enumValue(id, i));
          w.push(out.str(btf.enumValueName(id, i)), Number(value & 0xffffffffn), Number(value >> 32n));
        }
        break;
      case Kind.FUNC_PROTO:
        w.push(name, info(kind, vlen, kflag), remap(btf.refType(id)));
        for (let i = 0; i < vlen; i++) w.push(out.str(btf.paramName(id, i)), remap(btf.paramType(id, i)));
        break;
      case Kind.FLOAT:
        w.push(name, info(kind, vlen, kflag), btf.sizeField(id));
        break;
      case Kind.FWD:
        w.push(name, info(kind, vlen, kflag), 0);
        break;
      default:
        // PTR, TYPEDEF, CONST, VOLATILE, RESTRICT: a name and one referenced type.
        w.push(name, info(kind, vlen, kflag), remap(btf.refType(id)));
    }
  }
  return out.encode();
}

/**
 * Minimal BTF for `objects` out of `target` (a full kernel BTF). `index` defaults to a scan of the target's names.
 * Throws CoreRelocationError when a relocation fails as it would at load time (ambiguity, bad spec ...).
 */
export function minimizeCoreBtf(
  target: CoreBtf,
  objects: readonly MinCoreBtfInput[],
  index?: EssentialNameIndex,
): Uint8Array {
  const targetBtf = coreTarget("vmlinux", target, index);
  const targets: CoreTargets = { custom: targetBtf };
  const marks = new Marks(target);
  const ignore = () => {};
  for (const object of objects) {
    const cache = new Map<number, CoreCandidate[]>();
    for (const section of object.sections) {
      section.records.forEach((record, reloIndex) => {
        const context = { program: object.name, section: section.name, reloIndex, insnIndex: record.insnOff / 8 };
        const access =
          record.accessString ??
          (record.accessStrOff === undefined ? undefined : object.btf.stringAt(record.accessStrOff));
        try {
          if (access === undefined) throw new CoreFailure("BAD_ACCESS_STRING", "access string offset out of range");
          const local = parseSpec(object.btf, record.typeId, access, record.kind);
          let candidates: CoreCandidate[] | undefined;
          if (record.kind !== CoreReloKind.TYPE_ID_LOCAL) {
            candidates = cache.get(record.typeId);
            if (!candidates) {
              if (object.btf.nameOf(record.typeId) === "") {
                throw new CoreFailure("UNSUPPORTED", "target candidate search failed: local type is anonymous");
              }
              candidates = findCandidates(object.btf, record.typeId, targets, ignore);
              cache.set(record.typeId, candidates);
            }
          }
          const resolved = resolveRelocation(local, candidates, "", `insn #${context.insnIndex}`, ignore);
          if (resolved.targetSpec) marks.record(resolved.targetSpec);
        } catch (caught) {
          const error = asCoreFailure(caught);
          if (error) throw new CoreRelocationError(error.code, error.message, context);
          throw caught;
        }
      });
    }
  }
  return emit(target, marks);
}
