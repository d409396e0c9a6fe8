// A process that attaches and then waits to be killed (test/attach-net.test.ts, bundled by bundle.ts): a legacy tc
// filter (the attachment the kernel does not undo when the process dies) on ingress, a tcx link on egress and an
// XDP link, all on the interface given. It prints one JSON line of what it attached, then idles; the link
// registry's SIGINT/SIGTERM handlers are what must remove the filter when the signal comes.
import { loadCollection } from "@bpfkit/kernel";

const [object, ifindexText] = process.argv.slice(2);
const ifindex = Number(ifindexText);
const c = loadCollection(object!, { variables: { port: 9 } });
const links = [
  c.program("tc_ingress").attach({ tc: { ifindex, direction: "ingress", legacy: true } }),
  c.program("tc_egress").attach({ tcx: { ifindex, direction: "egress" } }),
  c.program("xdp_count").attach({ xdp: { ifindex, mode: "generic" } }),
];
process.stdout.write(
  `${JSON.stringify({ links: links.map((l) => ({ description: l.description, id: l.fd ? l.info().id : null })) })}\n`,
);
setInterval(() => {}, 1 << 30);
