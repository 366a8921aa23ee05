// Who is on the other end of a unix socket. Node does not expose SO_PEERCRED, so the kernel is
// asked through sock_diag as `ss` does: the accepted socket's inode names its peer's inode, and
// the peer's line names the processes holding it; their uid comes from /proc. A peer that cannot
// be named is "unknown", one client for the lockout.
import { execFile } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import type { Socket } from "node:net";

export interface Peer {
  uid?: number;
  pid?: number;
  /** The lockout's unit: uid:N, or unknown. */
  client: string;
}

/** The inode of a socket's own end, from its file descriptor. */
function ownInode(sock: Socket): string | undefined {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return undefined;
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

/** From `ss -xpnH` output: the pid holding the peer of the socket whose inode is `own`. */
export function peerPidFromSs(text: string, own: string): number | undefined {
  let peer: string | undefined;
  const lines = text.split("\n").map((l) => l.trim().split(/\s+/));
  // u_str ESTAB recvq sendq LOCAL LOCALINODE PEER PEERINODE [users:(...)]
  for (const f of lines) if (f[5] === own) peer = f[7];
  if (peer === undefined) return undefined;
  for (const f of lines) {
    if (f[5] !== peer) continue;
    const m = /pid=(\d+)/.exec(f.slice(8).join(" "));
    if (m) return Number(m[1]);
  }
  return undefined;
}

export function peerOf(sock: Socket): Promise<Peer> {
  const own = ownInode(sock);
  if (own === undefined) return Promise.resolve({ client: "unknown" });
  return new Promise((resolve) => {
    execFile("ss", ["-xpnH"], { timeout: 5000, maxBuffer: 16 << 20, encoding: "utf8" }, (err, out) => {
      const pid = err ? undefined : peerPidFromSs(out, own);
      if (pid === undefined) return resolve({ client: "unknown" });
      try {
        const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
        resolve(Number.isInteger(uid) ? { uid, pid, client: `uid:${uid}` } : { pid, client: "unknown" });
      } catch {
        resolve({ pid, client: "unknown" });
      }
    });
  });
}
