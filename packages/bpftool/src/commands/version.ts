// `bpftool version` / `-V`: bpftool's shape, so scripts that read it keep working, with our own additions
// after bpftool's keys. We implement bpftool 7.1.0's commands on libbpf 1.1's semantics; that is the version
// scripts should see. Ours: the bpfkit version and the backends.
import type { Context } from "../cli/context.js";

export const BPFTOOL_VERSION = "7.1.0";
export const LIBBPF_VERSION = "1.1";
export const BPFKIT_VERSION = "0.1.0";

const FEATURES = { libbfd: false, libbpf_strict: true, skeletons: true } as const;

export function version(ctx: Context): number {
  const json = ctx.json;
  if (json) {
    json.startObject();
    json.stringField("version", BPFTOOL_VERSION);
    json.stringField("libbpf_version", LIBBPF_VERSION);
    json.name("features").startObject();
    for (const [name, on] of Object.entries(FEATURES)) json.boolField(name, on);
    json.endObject();
    json.stringField("bpfkit_version", BPFKIT_VERSION);
    json.name("backends").startArray().string("kernel").endArray();
    json.endObject();
    return 0;
  }
  const features = Object.entries(FEATURES)
    .filter(([, on]) => on)
    .map(([name]) => name);
  ctx.out.print(
    `${ctx.options.binName} v${BPFTOOL_VERSION}\nusing libbpf v${LIBBPF_VERSION}\n` +
      `features: ${features.join(", ")}\nbpfkit v${BPFKIT_VERSION}, backends: kernel\n`,
  );
  return 0;
}
