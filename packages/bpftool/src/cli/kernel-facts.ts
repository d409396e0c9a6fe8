// What the running kernel does that bpftool's output depends on, read from its BTF (/sys/kernel/btf/vmlinux, which
// any user may read) instead of asked of bpf(2): for programs and maps the kernel does not hold, those of an object
// read without loading it and those loaded into the userspace VM (--backend vm), shown as the kernel would show them.
import { type Btf, btfNameIndex, Kind } from "@bpfkit/btf";
import { vmlinuxBtf } from "./btf-by-id.js";

export type TagHash = "sha1" | "sha256";

let hashOfTags: TagHash | undefined;

/**
 * The hash the running kernel computes program tags with: a kernel that hashes with SHA-256 (Linux 6.18 on) keeps
 * the whole digest in struct bpf_prog (`u8 digest[32]`, in a union with the 8-byte tag); one that hashes with SHA-1
 * keeps only the tag.
 */
export function tagHash(vmlinux: () => Btf = vmlinuxBtf): TagHash {
  if (hashOfTags !== undefined) return hashOfTags;
  const btf = vmlinux();
  const hasDigest = (id: number): boolean => {
    for (let i = 0; i < btf.vlen(id); i++) {
      const member = btf.memberType(id, i);
      const kind = btf.kind(member);
      if (btf.memberName(id, i) === "digest" && kind === Kind.ARRAY) return btf.arrayLength(member) === 32;
      if (btf.memberName(id, i) === "" && (kind === Kind.UNION || kind === Kind.STRUCT) && hasDigest(member))
        return true;
    }
    return false;
  };
  const progs = btfNameIndex(btf).idsWithEssentialName("bpf_prog", Kind.STRUCT);
  hashOfTags = progs.some(hasDigest) ? "sha256" : "sha1";
  return hashOfTags;
}

let keepsFields: boolean | undefined;

/**
 * Whether the running kernel's BPF_OBJ_GET_INFO_BY_FD leaves the map info fields it has nothing for as the caller's
 * struct held them (see `mapInfoKeepsCallerFields` of @bpfkit/kernel, which asks the kernel): kernels whose
 * struct bpf_map_info has `hash` (Linux 6.18 on) read the caller's struct in, for that pointer, and then write the
 * BTF ids only of maps that have BTF.
 */
export function mapInfoKeepsCallerFieldsByBtf(vmlinux: () => Btf = vmlinuxBtf): boolean {
  if (keepsFields !== undefined) return keepsFields;
  const btf = vmlinux();
  const infos = btfNameIndex(btf).idsWithEssentialName("bpf_map_info", Kind.STRUCT);
  keepsFields = infos.some((id) => {
    for (let i = 0; i < btf.vlen(id); i++) if (btf.memberName(id, i) === "hash") return true;
    return false;
  });
  return keepsFields;
}
