// Conformance of clawav's audit parser on other projects' real records (not part of npm test;
// the corpora's licences keep them out of this repository). Run after `npm run build`:
//   node scripts/conformance.mjs [CORPORA_DIR]     (default: ../shared/corpora)
// laurel-testdata: record-*.txt with laurel's own JSON rendering of the same events (record-*.json):
//   compared field by field (syscall name, arch, argv, cwd, paths, sockaddr family, pid, uid).
// linux-audit-parser-testdata: one line per record type: every line must parse.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, posix } from "node:path";
import { createAuditAssembler } from "../dist/sources/auditd/index.js";
import { EventIdGenerator } from "../dist/events/index.js";

const corpora = process.argv[2] ?? new URL("../../shared/corpora", import.meta.url).pathname;
const laurelDir = join(corpora, "laurel-testdata");
const lapDir = join(corpora, "linux-audit-parser-testdata");
const noUsers = { name: () => undefined, uid: () => undefined, refresh() {} };

function parse(text) {
  const asm = createAuditAssembler({ nodeId: "c", ids: new EventIdGenerator(), users: noUsers, recordClock: true, keepRaw: false });
  const events = [];
  for (const line of text.split("\n")) if (line) events.push(...asm.push(line, 0));
  events.push(...asm.end());
  return { events, asm };
}
const idOf = (e) => `${Math.floor(e.ts / 1000)}.${String(e.ts % 1000).padStart(3, "0")}:${e.serial}`;

let compared = 0, agreed = 0, events = 0;
const disagreements = [];
function check(file, id, field, ours, theirs) {
  compared++;
  const a = JSON.stringify(ours) ?? "undefined", b = JSON.stringify(theirs) ?? "undefined";
  if (a === b) agreed++;
  else disagreements.push(`${file} ${id} ${field}: clawav ${a.slice(0, 160)} laurel ${b.slice(0, 160)}`);
}

for (const f of readdirSync(laurelDir).filter((n) => /^record-.*\.json$/.test(n)).sort()) {
  const txt = join(laurelDir, f.replace(/\.json$/, ".txt"));
  if (!existsSync(txt)) continue;
  const { events: ours } = parse(readFileSync(txt, "utf8"));
  const byId = new Map(ours.map((e) => [idOf(e), e]));
  for (const line of readFileSync(join(laurelDir, f), "utf8").split("\n").filter(Boolean)) {
    const l = JSON.parse(line);
    events++;
    const e = byId.get(l.ID);
    if (!e) { disagreements.push(`${f} ${l.ID}: event missing in clawav's output`); compared++; continue; }
    if (l.SYSCALL) {
      // laurel names syscall and arch only for records auditd enriched; the numbers always.
      check(f, l.ID, "syscall nr", e.syscall?.nr, l.SYSCALL.syscall);
      if (l.SYSCALL.SYSCALL !== undefined) check(f, l.ID, "syscall", e.syscall?.name, l.SYSCALL.SYSCALL);
      if (l.SYSCALL.ARCH !== undefined) check(f, l.ID, "arch", e.syscall?.arch, l.SYSCALL.ARCH);
      check(f, l.ID, "pid", e.process?.pid, l.SYSCALL.pid);
      check(f, l.ID, "uid", e.process?.uid, l.SYSCALL.uid);
      check(f, l.ID, "exe", e.process?.exe, l.SYSCALL.exe);
    }
    if (l.EXECVE) check(f, l.ID, "argv", e.process?.argv, l.EXECVE.ARGV);
    if (l.CWD) check(f, l.ID, "cwd", e.process?.cwd, l.CWD.cwd);
    if (Array.isArray(l.PATH)) {
      const cwd = l.CWD?.cwd;
      const theirs = l.PATH.map((p) => (typeof p.name === "string" && !p.name.startsWith("/") && cwd ? posix.resolve(cwd, p.name) : p.name ?? ""));
      check(f, l.ID, "paths", e.file?.items.map((i) => i.name), theirs);
    }
    if (Array.isArray(l.SOCKADDR) && typeof l.SOCKADDR[0]?.saddr === "string") {
      // laurel leaves saddr as %-escaped bytes; decode and compare address and port.
      const bytes = Buffer.from(l.SOCKADDR[0].saddr.replace(/%([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1");
      const fam = bytes.readUInt16BE(0) <= 255 && bytes.readUInt16LE(0) > 255 ? bytes.readUInt16BE(0) : bytes.readUInt16LE(0);
      if (fam === 2) check(f, l.ID, "sockaddr", { address: e.net?.address, port: e.net?.port }, { address: [...bytes.subarray(4, 8)].join("."), port: bytes.readUInt16BE(2) });
    }
  }
}
console.log(`laurel-testdata: ${events} events rendered by laurel; ${agreed}/${compared} fields agree`);
for (const d of disagreements) console.log(`  differs: ${d}`);

let lines = 0, errs = 0;
const errors = [];
for (const f of readdirSync(lapDir).sort()) {
  const { asm } = parse(readFileSync(join(lapDir, f), "utf8"));
  lines += asm.stats.lines;
  errs += asm.stats.parseErrors;
  for (const e of asm.errors) errors.push(`${f}:${e.line}: ${e.reason}`);
}
console.log(`linux-audit-parser-testdata: ${lines} lines, ${lines - errs} parsed, ${errs} parse errors`);
for (const e of errors) console.log(`  error: ${e}`);

let treeLines = 0, treeErr = 0;
for (const f of readdirSync(laurelDir).filter((n) => n.endsWith(".txt"))) {
  const text = readFileSync(join(laurelDir, f), "utf8").split("\n").filter((l) => l && !l.startsWith("#")).join("\n");
  const { asm } = parse(text);
  treeLines += asm.stats.lines;
  treeErr += asm.stats.parseErrors;
}
console.log(`laurel-testdata *.txt (comments removed): ${treeLines} lines, ${treeErr} parse errors`);
