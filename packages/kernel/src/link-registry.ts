// The links this process holds open, released when it ends: on exit, and on SIGINT or SIGTERM, after which the
// signal's default action (termination) goes on. The kernel closes descriptors of a dying process anyway, which
// detaches BPF links; what it does not undo is a legacy attachment (netlink XDP, tc filters, BPF_PROG_ATTACH),
// hence this. The handlers are installed with the first link and removed with the last.

interface Closable {
  close(): void;
}

const open = new Set<Closable>();
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

function closeAll(): void {
  for (const link of [...open]) {
    try {
      link.close();
    } catch {}
  }
}

function onSignal(signal: NodeJS.Signals): void {
  closeAll();
  uninstall();
  // Nobody else listens: the default action (exit by the signal) is what the process would have done.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on("exit", closeAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off("exit", closeAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

export function registerLink(link: Closable): void {
  if (open.size === 0) install();
  open.add(link);
}

export function unregisterLink(link: Closable): void {
  if (!open.delete(link)) return;
  if (open.size === 0) uninstall();
}

/** How many links are open (tests). */
export function openLinkCount(): number {
  return open.size;
}
