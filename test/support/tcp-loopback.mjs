// One TCP connection over loopback, for the socket map tests (test/attach-net.test.ts), run as a child process so
// that its sockets belong to the cgroup the test put it in (where the sockops program runs).
// Usage: node tcp-loopback.mjs PORT COUNT SIZE. A server on 127.0.0.1:PORT accepts one client; once the server
// has the connection, the client writes COUNT messages of SIZE bytes, one write at a time, each after the server
// has read the one before. Prints {"sent": N, "received": N, "intact": bool} as one JSON line.
import net from "node:net";

const [port, count, size] = process.argv.slice(2).map(Number);
const server = net.createServer();
let received = Buffer.alloc(0);
let waiting;
const arrived = () =>
  new Promise((resolve) => {
    waiting = resolve;
  });

server.on("connection", (socket) => {
  socket.on("data", (chunk) => {
    received = Buffer.concat([received, chunk]);
    waiting?.();
  });
  serverHasIt?.();
});
let serverHasIt;
const accepted = new Promise((resolve) => {
  serverHasIt = resolve;
});

// Never hang a test: whatever arrived by then is the answer.
setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ sent: count * size, received: received.length, intact: false })}\n`);
  process.exit(1);
}, 10_000).unref();

server.listen(port, "127.0.0.1", async () => {
  const client = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => client.on("connect", resolve));
  await accepted;
  const sent = [];
  for (let i = 0; i < count; i++) {
    const message = Buffer.alloc(size, 65 + (i % 26));
    sent.push(message);
    client.write(message);
    while (received.length < (i + 1) * size) await arrived();
  }
  const all = Buffer.concat(sent);
  process.stdout.write(
    `${JSON.stringify({ sent: all.length, received: received.length, intact: all.equals(received) })}\n`,
  );
  client.destroy();
  server.close();
  process.exit(0);
});
