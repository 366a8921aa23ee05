import { readdirSync, readFileSync, createWriteStream } from "node:fs";
import { join } from "node:path";

/**
 * A large audit log made of the real recorded events (test/fixtures/audit), replicated with
 * fresh timestamps and serials so that every event is distinct, as a busy day's log would be.
 * Each event ends with the EOE record the kernel sends (auditd 3.0 leaves EOE out when it
 * writes its own log, but a dispatcher plugin such as laurel receives it).
 */
export async function generateAuditLog(root: string, file: string, minLines: number, pick: (fixture: string) => boolean = () => true): Promise<number> {
  const dir = join(root, "test", "fixtures", "audit");
  const events: string[][] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".log") && pick(n)).sort()) {
    const byId = new Map<string, string[]>();
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      const m = /msg=audit\(([0-9.:]+)\)/.exec(line);
      if (!m) continue;
      let ev = byId.get(m[1]!);
      if (!ev) byId.set(m[1]!, (ev = []));
      ev.push(line);
    }
    events.push(...byId.values());
  }
  const out = createWriteStream(file);
  let lines = 0;
  let serial = 1;
  let ms = 1_700_000_000_000;
  const chunk: string[] = [];
  while (lines < minLines) {
    for (const ev of events) {
      const stamp = `msg=audit(${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}:${serial}):`;
      for (const l of ev) chunk.push(l.replace(/msg=audit\([0-9.:]+\):/, stamp));
      chunk.push(`type=EOE ${stamp} `);
      lines += ev.length + 1;
      serial++;
      ms += 1;
    }
    if (chunk.length > 50_000) {
      if (!out.write(chunk.join("\n") + "\n")) await new Promise<void>((r) => out.once("drain", () => r()));
      chunk.length = 0;
    }
  }
  out.write(chunk.length ? chunk.join("\n") + "\n" : "");
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return lines;
}
