// Registering a loaded struct_ops map with the kernel (libbpf's bpf_map__attach_struct_ops): the kernel value gets
// each bound program's fd at its function pointer and is written at key 0. For a plain `.struct_ops` map that
// write registers it (a TCP congestion control appears in tcp_available_congestion_control), and deleting key 0
// unregisters it. A BPF_F_LINK map (`.struct_ops.link`) is registered by a BPF_STRUCT_OPS link instead, and
// closing the link unregisters it; its value can be written only once, so a second registration reuses it.

import type { Backend } from "../backend.js";
import { LoaderError } from "../errors.js";
import type { Fd } from "../fd.js";
import { structOpsValue } from "../prepare/struct-ops.js";
import type { LoadedObject } from "./load.js";

/** BPF_STRUCT_OPS attach type (link_create of a BPF_F_LINK struct_ops map). */
const BPF_STRUCT_OPS = 44;

/** A registered struct_ops map; `close()` unregisters it. */
export interface StructOpsRegistration extends Disposable {
  readonly map: string;
  /** The link of a BPF_F_LINK map; undefined when the map update itself registered the map. */
  readonly link: Fd | undefined;
  readonly closed: boolean;
  /** Unregisters: deletes key 0 of the map, or closes the link. Idempotent. */
  close(): void;
}

/** BPF_F_LINK maps whose value was already written (the kernel accepts it once). */
const written = new WeakSet<Fd>();

function key0(): Uint8Array {
  return new Uint8Array(4);
}

/**
 * Registers struct_ops map `name` of a loaded object through `backend`. Every program the map points at must have
 * been loaded. Close the registration before closing the object: without the map's fd it cannot be unregistered.
 * `onClose` runs once, when the registration is first closed (an owner that tracks registrations forgets it).
 */
export function registerStructOps(
  backend: Backend,
  loaded: LoadedObject,
  name: string,
  onClose?: () => void,
): StructOpsRegistration {
  const prepared = loaded.structOps.get(name);
  if (!prepared) {
    const known = [...loaded.structOps.keys()];
    throw new LoaderError(
      "NOT_FOUND",
      `no struct_ops map named '${name}'${known.length ? ` (have: ${known.join(", ")})` : ""}`,
      { map: name },
    );
  }
  const map = loaded.maps.get(name);
  if (!map) {
    throw new LoaderError("NOT_FOUND", `struct_ops map '${name}' was not created (autocreate is off)`, { map: name });
  }
  const fds = new Map([...loaded.programs].map(([program, fd]) => [program, fd.value]));
  const value = structOpsValue(prepared, fds);

  let link: Fd | undefined;
  if (!prepared.link) {
    backend.mapUpdate(map, key0(), value);
  } else {
    if (!written.has(map)) {
      backend.mapUpdate(map, key0(), value);
      written.add(map);
    }
    // link_create's prog_fd slot is a union with map_fd: BPF_STRUCT_OPS takes the map there
    link = backend.createLink({ prog: map, target: 0, attachType: BPF_STRUCT_OPS });
  }

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClose?.();
    if (link) link.close();
    else backend.mapDelete(map, key0());
  };
  return {
    map: name,
    link,
    get closed() {
      return closed;
    },
    close,
    [Symbol.dispose]: close,
  };
}
