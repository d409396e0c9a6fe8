// bpftool's btf_dumper_type_only: a BTF type written as a C-like one-liner, as `prog dump` prints function
// prototypes (`int xdp_prog(struct xdp_md * ctx)`). Its spacing is kept ("struct xdp_md * ctx", "char[16]"), and
// so is its 1024-byte buffer: a longer signature, or a kind it does not know (type tags), prints nothing.
import { type Btf, Kind } from "@bpfkit/btf";

const SIG_SIZE = 1024;

class TooLong extends Error {}

class Sig {
  text = "";
  /** snprintf into the rest of the buffer; bpftool gives up once it no longer fits. */
  add(piece: string): void {
    this.text += piece;
    if (Buffer.byteLength(this.text) >= SIG_SIZE) throw new TooLong();
  }
}

/** libbpf's btf__name_by_offset as printf("%s") shows it. */
function name(btf: Btf, offset: number): string {
  return btf.stringAt(offset) ?? "(null)";
}

function typeOnly(btf: Btf, id: number, sig: Sig, depth: number): void {
  if (depth > 64) throw new TooLong();
  if (id === 0) {
    sig.add("void ");
    return;
  }
  if (id >= btf.typeCount) throw new TooLong();
  const kind = btf.kind(id);
  switch (kind) {
    case Kind.INT:
    case Kind.TYPEDEF:
    case Kind.FLOAT:
      sig.add(`${name(btf, btf.nameOff(id))} `);
      return;
    case Kind.STRUCT:
      sig.add(`struct ${name(btf, btf.nameOff(id))} `);
      return;
    case Kind.UNION:
      sig.add(`union ${name(btf, btf.nameOff(id))} `);
      return;
    case Kind.ENUM:
    case Kind.ENUM64:
      sig.add(`enum ${name(btf, btf.nameOff(id))} `);
      return;
    case Kind.ARRAY:
      typeOnly(btf, btf.arrayElemType(id), sig, depth + 1);
      sig.add(`[${btf.arrayLength(id) | 0}]`);
      return;
    case Kind.PTR:
      typeOnly(btf, btf.refType(id), sig, depth + 1);
      sig.add("* ");
      return;
    case Kind.FWD:
      sig.add(`${btf.kindFlag(id) ? "union" : "struct"} ${name(btf, btf.nameOff(id))} `);
      return;
    case Kind.VOLATILE:
      sig.add("volatile ");
      typeOnly(btf, btf.refType(id), sig, depth + 1);
      return;
    case Kind.CONST:
      sig.add("const ");
      typeOnly(btf, btf.refType(id), sig, depth + 1);
      return;
    case Kind.RESTRICT:
      sig.add("restrict ");
      typeOnly(btf, btf.refType(id), sig, depth + 1);
      return;
    case Kind.FUNC_PROTO:
      func(btf, id, undefined, sig, depth + 1);
      return;
    case Kind.FUNC: {
      const proto = btf.refType(id);
      if (proto === 0 || proto >= btf.typeCount) throw new TooLong();
      func(btf, proto, id, sig, depth + 1);
      return;
    }
    case Kind.VAR:
      if (btf.linkage(id) === 0) sig.add("static ");
      typeOnly(btf, btf.refType(id), sig, depth + 1);
      sig.add(` ${name(btf, btf.nameOff(id))}`);
      return;
    case Kind.DATASEC:
      sig.add(`section ("${name(btf, btf.nameOff(id))}") `);
      return;
    default:
      throw new TooLong();
  }
}

function func(btf: Btf, proto: number, fn: number | undefined, sig: Sig, depth: number): void {
  typeOnly(btf, btf.refType(proto), sig, depth);
  sig.add(fn === undefined ? "(" : `${name(btf, btf.nameOff(fn))}(`);
  const count = btf.vlen(proto);
  for (let i = 0; i < count; i++) {
    if (i > 0) sig.add(", ");
    const type = btf.paramType(proto, i);
    if (type === 0) {
      sig.add("...");
      continue;
    }
    typeOnly(btf, type, sig, depth);
    const nameOff = btf.paramNameOff(proto, i);
    if (nameOff !== 0) sig.add(name(btf, nameOff));
    else if (sig.text.endsWith(" ")) sig.text = sig.text.slice(0, -1);
  }
  sig.add(")");
}

/** The signature bpftool prints for a BTF type id; "" when it prints none. */
export function funcSignature(btf: Btf, typeId: number): string {
  const sig = new Sig();
  try {
    typeOnly(btf, typeId, sig, 0);
    return sig.text;
  } catch {
    // too long, an unknown kind, or an id past the end (where bpftool would read garbage)
    return "";
  }
}
