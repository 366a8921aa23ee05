// Whose process is on the other end of a loopback TCP connection: the kernel's socket table
// (/proc/net/tcp, tcp6) lists the client's end with its owner's uid. Read once per connection.
import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";

const hexPort = (p: number): string => p.toString(16).toUpperCase().padStart(4, "0");

/** The uid owning the socket whose local port is `clientPort` and remote port `serverPort`, from a /proc/net/tcp text. */
export function uidFromTcpTable(text: string, clientPort: number, serverPort: number): number | undefined {
  const local = `:${hexPort(clientPort)}`;
  const remote = `:${hexPort(serverPort)}`;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f.length < 10 || !f[1]!.endsWith(local) || !f[2]!.endsWith(remote)) continue;
    const uid = Number(f[7]);
    if (Number.isInteger(uid)) return uid;
  }
  return undefined;
}

export function tcpPeerUid(remoteAddress: string | undefined, remotePort: number | undefined, localPort: number | undefined): number | undefined {
  if (remoteAddress === undefined || remotePort === undefined || localPort === undefined) return undefined;
  const v4 = isIPv4(remoteAddress) || remoteAddress.startsWith("::ffff:");
  for (const table of v4 ? ["/proc/net/tcp", "/proc/net/tcp6"] : ["/proc/net/tcp6"]) {
    try {
      const uid = uidFromTcpTable(readFileSync(table, "utf8"), remotePort, localPort);
      if (uid !== undefined) return uid;
    } catch {
      // no such table (IPv6 off): the next
    }
  }
  return undefined;
}
