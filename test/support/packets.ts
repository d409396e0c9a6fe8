// Test packets shared by the kernel and VM tests.

/** Ethernet + IPv4 header with the given protocol, 64 bytes. */
export function ipv4Packet(protocol: number): Uint8Array {
  const p = new Uint8Array(64);
  p.set([0x08, 0x00], 12);
  p.set([0x45, 0, 0, 50, 0, 0, 0, 0, 64, protocol], 14);
  return p;
}
