import { createReadStream, existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { checkLine, checkpointMac, GENESIS_PREV, type Checkpoint } from "./format.js";

export type VerifyResult =
  | { ok: true; entries: number; head: string; checkpoints: number }
  | { ok: false; line: number; reason: string; entries: number };

/**
 * Verifies a whole chain: every line's MAC, the sequence, every link, and the chain against its
 * checkpoints (a checkpoint for seq N with head H means the chain must reach N with that head:
 * otherwise it was truncated or rewritten).
 */
export async function verifyChain(path: string, key: Buffer, checkpointFile?: string): Promise<VerifyResult> {
  const checkpoints = checkpointFile && existsSync(checkpointFile) ? readCheckpoints(checkpointFile, key) : { list: [] as Checkpoint[] };
  if ("error" in checkpoints) return { ok: false, line: 0, reason: `checkpoint file: ${checkpoints.error}`, entries: 0 };
  const want = new Map(checkpoints.list.map((c) => [c.seq, c.head]));
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  let prev = GENESIS_PREV;
  let seq = 0;
  for await (const line of rl) {
    n++;
    if (line === "") return { ok: false, line: n, reason: "empty line", entries: seq };
    const c = checkLine(key, line);
    if (!c.ok) return { ok: false, line: n, reason: c.reason, entries: seq };
    const e = c.entry;
    if (e.seq !== seq + 1) return { ok: false, line: n, reason: `sequence gap: expected seq ${seq + 1}, found ${e.seq}`, entries: seq };
    if (e.prev !== prev) return { ok: false, line: n, reason: "broken link: prev does not match the entry before it", entries: seq };
    const h = want.get(e.seq);
    if (h !== undefined && h !== e.mac) return { ok: false, line: n, reason: `differs from checkpoint for seq ${e.seq}`, entries: seq };
    seq = e.seq;
    prev = e.mac;
  }
  const beyond = checkpoints.list.filter((c) => c.seq > seq).sort((a, b) => b.seq - a.seq)[0];
  if (beyond) return { ok: false, line: n + 1, reason: `truncated: a checkpoint says seq ${beyond.seq} existed (head ${beyond.head.slice(0, 16)}…), the chain ends at seq ${seq}`, entries: seq };
  return { ok: true, entries: seq, head: prev, checkpoints: checkpoints.list.length };
}

function readCheckpoints(file: string, key: Buffer): { list: Checkpoint[] } | { error: string } {
  const list: Checkpoint[] = [];
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === "") continue;
    let c: Checkpoint;
    try {
      c = JSON.parse(l) as Checkpoint;
    } catch {
      return { error: `line ${i + 1}: not valid JSON` };
    }
    if (c.mac !== checkpointMac(key, c.seq, c.head, c.ts)) return { error: `line ${i + 1}: bad MAC` };
    list.push(c);
  }
  return { list };
}
