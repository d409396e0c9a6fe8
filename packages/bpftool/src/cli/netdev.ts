// Network devices by name and by index, as bpftool's dev arguments and offload fields need them: if_nametoindex(3)
// for `dev NAME`, and print_dev_plain / print_dev_json for an offloaded program or map.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { attributeString, parseAttributes, RTM_GETLINK, RtNetlink } from "@bpfkit/kernel";
import type { JsonWriter } from "../json-writer.js";

const IF_NAMESIZE = 16;
const IFLA_IFNAME = 3;

/**
 * if_nametoindex(3): the interface's index in this process's network namespace (asked over netlink, so it holds
 * wherever /sys was mounted), or undefined (glibc's errno then is ENODEV).
 */
export function ifNameToIndex(name: string): number | undefined {
  if (name === "" || Buffer.byteLength(name) >= IF_NAMESIZE) return undefined;
  let nl: RtNetlink;
  try {
    nl = new RtNetlink();
  } catch {
    return undefined;
  }
  try {
    for (const msg of nl.dump(RTM_GETLINK, new Uint8Array(16))) {
      const attrs = parseAttributes(msg.payload.subarray(16), IFLA_IFNAME);
      const ifname = attrs.get(IFLA_IFNAME);
      if (ifname && attributeString(ifname) === name)
        return new DataView(msg.payload.buffer, msg.payload.byteOffset).getInt32(4, true);
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    nl.close();
  }
}

/** The device an offloaded program or map is bound to, as bpf_prog_info and bpf_map_info give it. */
export interface OffloadDevice {
  readonly ifindex: number;
  readonly netnsDev: bigint;
  readonly netnsIno: bigint;
}

/** bpftool's ifindex_to_name_ns: the interface's name when the device's netns is ours, else undefined. */
function deviceName(dev: OffloadDevice): string | undefined {
  try {
    const st = statSync("/proc/self/ns/net", { bigint: true });
    if (st.dev !== dev.netnsDev || st.ino !== dev.netnsIno) return undefined;
    for (const name of readdirSync("/sys/class/net")) {
      if (Number(readFileSync(`/sys/class/net/${name}/ifindex`, "utf8").trim()) === dev.ifindex) return name;
    }
  } catch {}
  return undefined;
}

/** bpftool's print_dev_plain: `  offloaded_to DEV` for an offloaded object, nothing otherwise. */
export function devPlain(dev: OffloadDevice): string {
  if (!dev.ifindex) return "";
  const name = deviceName(dev);
  return `  offloaded_to ${name ?? `ifindex ${dev.ifindex} ns_dev ${dev.netnsDev} ns_ino ${dev.netnsIno}`}`;
}

/** bpftool's print_dev_json: the `dev` object of an offloaded object. */
export function writeDevJson(json: JsonWriter, dev: OffloadDevice): void {
  if (!dev.ifindex) return;
  json.name("dev").startObject();
  json.numberField("ifindex", dev.ifindex);
  json.numberField("ns_dev", dev.netnsDev);
  json.numberField("ns_inode", dev.netnsIno);
  const name = deviceName(dev);
  if (name !== undefined) json.stringField("ifname", name);
  json.endObject();
}
