// Conformance of clawav's native Sigma engine on SigmaHQ's Linux rules (not part of npm test; the
// rules stay in the corpora folder, never in this repository). Run after `npm run build`:
//   node scripts/sigma-conformance.mjs [CORPORA_DIR]     (default: ../shared/corpora)
//   SIGMA_CONFORMANCE_VERBOSE=1 prints every event checked.
// sigma-linux/rules/linux: every rule is loaded; a process_creation, file_event,
// network_connection or auditd rule must compile or be refused for a named feature, and no file
// may be in error. For each compiled rule the script reads the rule's own YAML, walks its
// condition to the assignments of selections that make it true (and the filters that must stay
// false), and builds clawav events from the rule's values: for each assignment, positives that
// must match (first values of every list, last values, every string's case flipped) and near
// misses that must not (each required value changed in turn, each startswith/endswith/exact value
// moved off its anchor, and each negated filter satisfied too). Exits 1 on a file in error, a
// positive that does not match or a near miss that does.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse } from "yaml";
import { loadSigma, SigmaInput, SigmaSet } from "../dist/detect/sigma/index.js";

const corpora = process.argv[2] ?? new URL("../../shared/corpora", import.meta.url).pathname;
const rulesDir = join(corpora, "sigma-linux", "rules", "linux");
const verbose = process.env.SIGMA_CONFORMANCE_VERBOSE === "1";
const SOURCES = ["process_creation", "file_event", "network_connection", "auditd", "syslog"];
// A builtin rule's service as the log line clawav reads: the file for syslog/auth, else the program.
const PROGRAM_OF_SERVICE = { sshd: "sshd", sudo: "sudo", su: "su", cron: "CRON", vsftpd: "vsftpd", clamav: "clamd", guacamole: "guacd" };
const CMD_FIELDS = new Set(["CommandLine", "ParentCommandLine", ""]);
const NUMERIC = new Set(["DestinationPort", "LogonId", "ProcessId", "ParentProcessId", "pid", "ppid", "uid", "euid", "suid", "fsuid", "gid", "egid", "auid", "ses", "argc", "item", "inode", "ouid", "exit"]);
const AUDIT_RECORDS = ["SYSCALL", "EXECVE", "PATH", "CWD", "PROCTITLE"];
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const base = (p) => String(p).slice(String(p).lastIndexOf("/") + 1);
const flipCase = (s) => [...s].map((ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase())).join("");
const globRe = (p) => new RegExp("^" + p.replace(/[.+^$(){}|[\]\\-]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");

// ---- The condition: a tree of and/or/not over selection names, then the assignments making it true.
function parseCondition(text, names) {
  const toks = text.replace(/[()]/g, " $& ").split(/\s+/).filter(Boolean);
  let i = 0;
  const low = () => toks[i]?.toLowerCase();
  const named = (pat) => (pat.toLowerCase() === "them" ? names.filter((n) => !n.startsWith("_")) : names.filter((n) => globRe(pat).test(n)));
  const primary = () => {
    const t = toks[i++], l = t.toLowerCase();
    if (t === "(") {
      const e = or();
      i++;
      return e;
    }
    if (l === "1" || l === "any" || l === "all") {
      i++; // "of"
      return { op: l === "all" ? "and" : "or", args: named(toks[i++]).map((name) => ({ op: "sel", name })) };
    }
    return { op: "sel", name: t };
  };
  const not = () => (low() === "not" ? (i++, { op: "not", arg: not() }) : primary());
  const chain = (op, sub) => () => {
    const args = [sub()];
    while (low() === op && ++i) args.push(sub());
    return args.length === 1 ? args[0] : { op, args };
  };
  const and = chain("and", not), or = chain("or", and);
  return or();
}

/** The ways `node` can be `want`: each a list of selections that hold and a list that must not. */
function assignments(node, want) {
  if (node.op === "sel") return [want ? { pos: [node.name], neg: [] } : { pos: [], neg: [node.name] }];
  if (node.op === "not") return assignments(node.arg, !want);
  const parts = node.args.map((a) => assignments(a, want));
  if ((node.op === "or") === want) return parts.flat().slice(0, 24);
  return parts.reduce((acc, p) => acc.flatMap((a) => p.map((b) => ({ pos: [...a.pos, ...b.pos], neg: [...a.neg, ...b.neg] }))).slice(0, 24), [{ pos: [], neg: [] }]);
}

// ---- Selections: the constraints of one (the first mapping of a list of them), and the values each needs.
const mapsOf = (sel) => (Array.isArray(sel) && sel.length > 0 && sel.every(isObj) ? sel : [sel]).map(constraintsOfMap);
const constraints = (sel, last) => mapsOf(sel).at(last ? -1 : 0);
function constraintsOfMap(m) {
  if (!isObj(m)) return [{ field: "", mods: ["contains"], values: [].concat(m) }];
  return Object.entries(m).map(([k, v]) => {
    const [field, ...mods] = k.split("|");
    if (field === "" && !mods.some((x) => ["startswith", "endswith", "re", "cidr"].includes(x))) mods.push("contains");
    return { field, mods, values: [].concat(v) };
  });
}
const kindOf = (mods) => ["re", "cidr", "startswith", "endswith", "contains"].find((k) => mods.includes(k)) ?? "exact";
function needsOf(c, last) {
  const kind = kindOf(c.mods), vals = c.mods.includes("all") ? c.values : last ? c.values.slice(-1) : c.values.slice(0, 1);
  return vals.map((value) => ({ c, field: c.field, kind, value: typeof value === "boolean" ? String(value) : value }));
}

/** A Sigma string with its wildcards filled in: `*` as x, `?` as y, `\*` `\?` `\\` as themselves. */
const expand = (s) => s.replace(/\\([*?\\])|([*?])/g, (_, esc, w) => esc ?? (w === "*" ? "x" : "y"));

/** The Sigma string as a JS regex body (case-insensitive matching is the caller's flag). */
function globBody(s) {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "\\" && "*?\\".includes(s[i + 1] ?? "")) out += "\\" + s[++i];
    else out += ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^$(){}|[\]\\-]/g, "\\$&");
  }
  return out;
}

/** An IPv4 or IPv6 address as a BigInt and its width in bits; undefined if it is neither. */
function ipBits(a) {
  if (/^\d+(\.\d+){3}$/.test(a)) return [a.split(".").reduce((n, o) => (n << 8n) | BigInt(o), 0n), 32];
  if (!a.includes(":")) return undefined;
  const [h, t = ""] = a.split("::"), head = h ? h.split(":") : [], tail = t ? t.split(":") : [];
  const groups = a.includes("::") ? [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail] : head;
  return [groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n), 128];
}
function inCidr(addr, cidr) {
  const [net, len] = cidr.split("/"), a = ipBits(addr), n = ipBits(net);
  if (!a || !n || a[1] !== n[1]) return false;
  const shift = BigInt(n[1] - Number(len ?? n[1]));
  return a[0] >> shift === n[0] >> shift;
}

/** Does `v` (the value the event gives the field) satisfy one value of a constraint, by the spec? */
function holds(v, kind, value) {
  if (value === null) return v === undefined || v === null || v === "";
  if (v === undefined || v === null) return false;
  if (kind === "re") return new RegExp(value).test(String(v));
  if (kind === "cidr") return inCidr(String(v), String(value));
  const body = globBody(String(value));
  const re = kind === "contains" ? `.*${body}.*` : kind === "startswith" ? `${body}.*` : kind === "endswith" ? `.*${body}` : body;
  return new RegExp(`^${re}$`, "is").test(String(v));
}
/** Does the selection hold on the values (any of its mappings, every constraint of it)? */
const selectionHolds = (V, sel) => mapsOf(sel).some((cs) => cs.every((c) => constraintHolds(V[c.field], c)));
const constraintHolds = (v, c) => (c.mods.includes("all") ? c.values.every((x) => holds(v, kindOf(c.mods), x)) : c.values.some((x) => holds(v, kindOf(c.mods), x)));

/** A string a regex finds: first branches, fewest repetitions, checked with JS's own engine; else null. */
function regexExample(src) {
  let i = 0;
  const cls = () => {
    const start = i;
    while (i < src.length && !(src[i] === "]" && i > start + (src[start] === "^" ? 1 : 0))) i += src[i] === "\\" ? 2 : 1;
    const body = src.slice(start, i++), re = new RegExp(`[${body}]`);
    return [..."a0x -/.A_", ...body].find((ch) => re.test(ch)) ?? "";
  };
  const atom = () => {
    const ch = src[i++];
    if (ch === "(") {
      if (src[i] === "?") i += src[i + 1] === ":" ? 2 : src.indexOf(")", i) - i + 1;
      const e = alt();
      i++;
      return e;
    }
    if (ch === "[") return cls();
    if (ch === "\\") {
      const e = src[i++];
      return { s: " ", d: "1", w: "a", S: "a", D: "a", W: "-", t: "\t", n: "\n" }[e] ?? e;
    }
    return ch === "." ? "a" : ch === "^" || ch === "$" ? "" : ch;
  };
  const seq = () => {
    let out = "";
    while (i < src.length && src[i] !== "|" && src[i] !== ")") {
      const a = atom();
      let n = 1;
      const q = /^(?:[*?+]|\{(\d+)(?:,\d*)?\})/.exec(src.slice(i));
      if (q) {
        n = q[0] === "+" ? 1 : Number(q[1] ?? 0);
        i += q[0].length;
      }
      if (src[i] === "?") i++;
      out += a.repeat(n);
    }
    return out;
  };
  const alt = () => {
    const first = seq();
    while (src[i] === "|" && ++i) seq();
    return first;
  };
  try {
    const ex = alt();
    return new RegExp(src).test(ex) ? ex : null;
  } catch {
    return null;
  }
}

class NotSynthesized extends Error {}
function example(n) {
  if (n.kind === "re") return regexExample(String(n.value)) ?? (() => { throw new NotSynthesized(`regex ${n.value}`); })();
  if (n.kind === "cidr") {
    const [addr, bits] = String(n.value).split("/");
    if (addr.includes(":")) return addr.endsWith("::") ? `${addr}1` : addr;
    const o = addr.split(".").map(Number);
    if (Number(bits) < 32) o[3] |= 1;
    return o.join(".");
  }
  return expand(String(n.value));
}

/** One field's value from all the needs on it: exact wins, else prefix, contained parts, suffix. */
function renderField(needs) {
  if (needs.some((n) => n.value === null)) return undefined;
  const ex = needs.find((n) => n.kind === "exact");
  if (ex) return typeof ex.value === "number" ? ex.value : expand(String(ex.value));
  const sep = CMD_FIELDS.has(needs[0].field) ? " " : "";
  const longest = (k) => needs.filter((n) => n.kind === k).map(example).sort((a, b) => b.length - a.length)[0] ?? "";
  const mids = needs.filter((n) => ["contains", "re", "cidr"].includes(n.kind)).map(example);
  return [longest("startswith"), ...mids, longest("endswith")].filter((s) => s !== "").join(sep);
}

// ---- Events: the field values V (as the rule sees them) and the clawav Event that gives them.
const proc = (V, exe, argv) => ({
  pid: 4242, ppid: 4241, uid: V.uid ?? 1000, auid: V.auid ?? V.LogonId ?? 1000, euid: V.euid ?? 1000, gid: V.gid ?? 1000, egid: V.egid ?? 1000,
  user: V.User ?? "user", exe, comm: String(V.comm ?? base(exe)).slice(0, 15), argv, cwd: V.cwd ?? V.CurrentDirectory ?? "/srv/work", ses: 1, tty: "pts0",
});
const sys = (name, args = [], key) => ({ name, nr: 0, arch: "x86_64", success: true, exit: 0, args: args.map(String), ...(key !== undefined ? { key: String(key) } : {}) });
const frame = (kind, record_types, rest) => ({ id: "0000000000000001", ts: 1795408503332, source: "auditd", kind, node_id: "sigma", fidelity: "kernel", serial: 1, record_types, ...rest });

function fieldValues(needs) {
  const by = new Map();
  for (const n of needs) by.set(n.field, [...(by.get(n.field) ?? []), n]);
  const V = {};
  for (const [f, ns] of by) {
    const v = renderField(ns);
    V[f] = v === undefined ? undefined : NUMERIC.has(f) && v !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return { V, by };
}

function eventOf(source, needs, service) {
  const { V, by } = fieldValues(needs);
  const kw = V[""];
  if (source === "auditd") return auditEvent(V, kw);
  if (source === "syslog") {
    const program = PROGRAM_OF_SERVICE[service] ?? "kernel";
    const message = [V.message, kw].filter((x) => x !== undefined && x !== "").join(" ") || "line";
    V[""] = `${program}[77]: ${message}`;
    const log = { log: service === "auth" ? "auth" : "syslog", file: "/var/log/syslog", host: "vm", program, pid: 77, message };
    return { V, e: { id: "0000000000000001", ts: 1795408503332, source: "syslog", kind: "log", node_id: "sigma", fidelity: "userspace", log } };
  }
  const exe = V.Image ?? "/usr/bin/prog";
  const anchored = (by.get("CommandLine") ?? []).some((n) => n.kind === "exact" || n.kind === "startswith");
  const parts = anchored ? [V.CommandLine, kw] : [base(exe), kw, V.CommandLine];
  const cmd = parts.filter((s) => s !== undefined && s !== "").join(" ");
  // V gets what the event gives every field, defaults included, for the builder's own checks.
  Object.assign(V, { Image: exe, CommandLine: cmd, "": cmd, ParentImage: V.ParentImage ?? "/usr/bin/parent", ParentCommandLine: V.ParentCommandLine ?? base(V.ParentImage ?? "parent"), User: V.User ?? "user", CurrentDirectory: V.CurrentDirectory ?? "/srv/work" });
  const process = { ...proc(V, exe, cmd.split(" ")), lineage: [{ pid: 4241, exe: V.ParentImage }], parent_argv: String(V.ParentCommandLine).split(" ") };
  if (V.OriginalFileName !== undefined) process.identity = { tool: V.OriginalFileName };
  if (source === "process_creation") return { V, e: frame("exec", ["SYSCALL", "EXECVE", "CWD", "PATH", "PROCTITLE"], { syscall: sys("execve"), process, file: { path: exe, items: [{ name: exe, nametype: "NORMAL" }] } }) };
  if (source === "file_event") {
    const path = (V.TargetFilename ??= "/srv/work/prog.out");
    return { V, e: frame("file", ["SYSCALL", "CWD", "PATH", "PROCTITLE"], { syscall: sys("openat"), process, file: { path, items: [{ name: path, nametype: "CREATE" }] } }) };
  }
  const address = (V.DestinationIp ??= "203.0.113.7");
  const net = { family: address.includes(":") ? "inet6" : "inet", address, port: (V.DestinationPort ??= 443), ...(V.DestinationHostname !== undefined ? { resolved_host: V.DestinationHostname } : {}) };
  const connect = V.Initiated === undefined || String(V.Initiated).toLowerCase() === "true";
  return { V, e: frame("net", ["SYSCALL", "SOCKADDR", "PROCTITLE"], { syscall: sys(connect ? "connect" : "accept"), process, net }) };
}

/** An audit event whose record of the selection's type holds the values (the engine tests per record). */
function auditEvent(V, kw) {
  const keys = Object.keys(V);
  const argKeys = keys.filter((k) => /^a\d+$/.test(k));
  const inferred = argKeys.length > 0 || keys.every((k) => k === "") ? "EXECVE" : keys.some((k) => k === "name" || k === "nametype") ? "PATH" : keys.includes("cwd") ? "CWD" : "SYSCALL";
  const type = String(V.type ?? inferred).toUpperCase();
  const args = Array.from({ length: argKeys.length ? Math.max(...argKeys.map((k) => Number(k.slice(1)))) + 1 : 0 }, (_, j) => String(V[`a${j}`] ?? "x"));
  const sname = V.SYSCALL ?? V.syscall;
  if (type === "EXECVE" || type === "PROCTITLE") {
    const argv = [...args, ...(kw ? kw.split(" ") : [])];
    if (argv.length === 0) argv.push("prog");
    // Keywords are searched in the record as text (key=value, as in a raw audit log) and the command line.
    V[""] = `type=${type} argc=${argv.length} ${argv.map((x, j) => `a${j}=${x}`).join(" ")} ${argv.join(" ")}`;
    const exe = V.exe ?? `/usr/bin/${base(argv[0]) || "prog"}`;
    return { V, e: frame("exec", ["SYSCALL", type, "CWD"], { syscall: sys(sname ?? "execve", [], V.key), process: proc(V, exe, argv) }) };
  }
  if (AUDIT_RECORDS.includes(type)) {
    const exe = V.exe ?? "/usr/bin/prog";
    const file = type === "PATH" ? { path: String(V.name ?? "/srv/work/prog.out"), items: [{ name: String(V.name ?? "/srv/work/prog.out"), nametype: String(V.nametype ?? "NORMAL") }] } : undefined;
    const rest = { syscall: sys(sname ?? "openat", type === "SYSCALL" ? args : [], V.key), process: proc(V, exe, [base(exe)]), ...(file ? { file } : {}) };
    V[""] = [base(exe), kw].filter(Boolean).join(" ");
    return { V, e: frame(type === "PATH" ? "file" : "syscall", ["SYSCALL", ...(type === "SYSCALL" ? [] : [type])], rest) };
  }
  // A user-space record (SERVICE_STOP, ADD_USER, ...): its own fields, no syscall.
  const fields = Object.fromEntries(keys.filter((k) => k !== "type" && k !== "" && V[k] !== undefined).map((k) => [k, String(V[k])]));
  return { V, e: frame("other", [type], { fields, process: proc(V, "/usr/sbin/prog", ["prog"]) }) };
}

/** Every need holds on the values built (a need the builder could not honour makes the case unbuildable). */
const consistent = (V, needs) => needs.every((n) => holds(V[n.field], n.kind, n.value));

/** The value changed so the constraint no longer holds: letters and digits rotated, else punctuation replaced. */
function mutate(n) {
  if (typeof n.value === "number") {
    let v = n.value + 1;
    while (n.c.values.includes(v)) v++;
    return { ...n, value: v };
  }
  const rot = (ch) => (/[a-z]/i.test(ch) ? String.fromCharCode(((ch.toLowerCase().charCodeAt(0) - 97 + 13) % 26) + 97) : /\d/.test(ch) ? String((Number(ch) + 5) % 10) : ch);
  // A regex: its example with letters and digits rotated, written as a literal.
  if (n.kind === "re") return { ...n, kind: "contains", value: [...(regexExample(String(n.value)) ?? "")].map(rot).join("").replace(/[*?\\]/g, "\\$&") };
  const s = String(n.value);
  const value = /[a-z0-9]/i.test(s) ? [...s].map(rot).join("") : s.replace(/\\[*?\\]|[^*?]/g, "Q");
  return { ...n, value };
}

// ---- Running it.
const load = loadSigma([rulesDir]);
// The daemon judges through a SigmaSet (rules indexed by needles); it must agree with each rule's own test.
const sets = new Map(SOURCES.map((ls) => [ls, new SigmaSet(ls, load.rules)]));
let setDisagree = 0;
if (load.files.length === 0) {
  console.error(`sigma conformance: no rules under ${rulesDir}`);
  process.exit(1);
}
const refusals = new Map();
const stats = Object.fromEntries(SOURCES.map((s) => [s, { compiled: 0, pos: 0, posOk: 0, nm: 0, nmOk: 0, events: 0 }]));
const failures = [], notSynth = [];
for (const r of load.results) {
  const name = r.file.slice(rulesDir.length + 1);
  if ("error" in r) failures.push(`${name}: error${r.line !== undefined ? ` at line ${r.line}` : ""}: ${r.error}`);
  if (!("refused" in r)) continue;
  const ls = parse(readFileSync(r.file, "utf8"))?.logsource ?? {};
  const ours = ls.service === "auditd" || (ls.service === undefined && SOURCES.includes(ls.category));
  if (ours && !r.refused.feature) failures.push(`${name}: refused with no feature named`);
  const row = refusals.get(r.refused.feature) ?? { n: 0, ours: 0, files: [] };
  refusals.set(r.refused.feature, { n: row.n + 1, ours: row.ours + (ours ? 1 : 0), files: [...row.files, basename(r.file)] });
}

for (const r of load.results.filter((x) => "rule" in x)) {
  const { rule } = r, st = stats[rule.logsource], file = basename(r.file);
  st.compiled++;
  const doc = parse(readFileSync(r.file, "utf8"));
  const det = doc.detection;
  const service = doc.logsource?.service;
  const names = Object.keys(det).filter((k) => k !== "condition");
  let alts = [];
  try {
    const tree = { op: "or", args: [].concat(det.condition).map((c) => parseCondition(c, names)) };
    alts = assignments(tree, true).filter((a) => !a.pos.some((p) => a.neg.includes(p)) && a.pos.length > 0);
  } catch (e) {
    notSynth.push(`${file}: condition not understood by this script (${e.message})`);
    continue;
  }
  const needs = (sels, last = false) => [...new Set(sels)].flatMap((s) => constraints(det[s], last).flatMap((c) => needsOf(c, last).map((n) => ({ ...n, sel: s }))));
  // Each assignment with the first value (and mapping) of every list, again with the last where that differs.
  const cases = alts.flatMap((a, k) => {
    const label = alts.length > 1 ? ` #${k + 1} (${[...new Set(a.pos)].join(" and ")})` : "";
    const first = needs(a.pos), last = needs(a.pos, true);
    // And with every string's case flipped: Sigma strings match case-insensitively (not regexes, not |cased).
    const flip = first.map((n) => (typeof n.value === "string" && n.kind !== "re" && n.kind !== "cidr" && !n.c.mods.includes("cased") ? { ...n, value: flipCase(n.value) } : n));
    return [
      { a, label, pn: first },
      ...(JSON.stringify(last) !== JSON.stringify(first) ? [{ a, label: `${label} (last values)`, pn: last, lastValues: true }] : []),
      ...(flip.some((n, j) => n.value !== first[j].value) ? [{ a, label: `${label} (case flipped)`, pn: flip, noNear: true }] : []),
    ];
  });
  let pos = 0, posOk = 0, nm = 0, nmOk = 0;
  const why = [];
  const check = (what, built, want) => {
    const got = rule.matches(new SigmaInput(built.e));
    if (sets.get(rule.logsource).match(new SigmaInput(built.e)).includes(rule) !== got) {
      setDisagree++;
      failures.push(`${file}: ${what}: the SigmaSet index says ${!got} where the rule says ${got}: ${JSON.stringify(built.e)}`);
    }
    if (verbose) console.log(`  ${got === want ? "ok" : "FAIL"} ${file}: ${what}: ${JSON.stringify(built.e.process?.argv)} ${JSON.stringify({ ...built.V, "": undefined })}`);
    if (got !== want) failures.push(`${file}: ${what} ${want ? "did not match" : "matched"}${got ? ` (held: ${rule.why(new SigmaInput(built.e)).join(", ")})` : ""}: ${JSON.stringify(built.e)}`);
    return got === want;
  };
  for (const { a, label, pn, noNear, lastValues } of cases) {
    try {
      const built = eventOf(rule.logsource, pn, service);
      if (!consistent(built.V, pn)) throw new NotSynthesized(`selections ${a.pos.join(", ")} cannot hold together in one event`);
      const broken = a.neg.find((f) => selectionHolds(built.V, det[f]));
      if (broken) throw new NotSynthesized(`the values of ${a.pos.join(", ")} satisfy ${broken}`);
      pos++;
      if (check(`positive${label}`, built, true)) posOk++;
      if (noNear) continue;
      // Near misses: each required value changed in turn, each anchored one moved off its anchor, and
      // each regex's example in the other case (a Sigma regex is case-sensitive unless |i).
      const changes = pn.filter((x) => x.kind !== "cidr" && x.value !== null).map((n) => [n, mutate(n), "changed"]);
      for (const n of pn.filter((x) => x.kind === "re" && !x.c.mods.includes("i"))) {
        changes.push([n, { ...n, kind: "contains", value: flipCase(regexExample(String(n.value))).replace(/[*?\\]/g, "\\$&") }, "in the other case"]);
      }
      for (const n of pn.filter((x) => ["exact", "startswith", "endswith"].includes(x.kind) && typeof x.value === "string")) {
        changes.push([n, { ...n, kind: "contains", value: `${n.kind === "endswith" ? "" : "Q"}${n.value}${n.kind === "startswith" ? "" : "Q"}` }, n.kind === "exact" ? "padded" : `not at the ${n.kind === "endswith" ? "end" : "start"}`]);
      }
      for (const [n, m, how] of changes) {
        const mn = pn.map((x) => (x === n ? m : x));
        const mb = eventOf(rule.logsource, mn, service);
        if (selectionHolds(mb.V, det[n.sel]) || !consistent(mb.V, mn.filter((x) => x.c !== n.c))) continue;
        nm++;
        if (check(`near miss${label} with ${n.field || "keyword"} ${JSON.stringify(n.value)} ${how}`, mb, false)) nmOk++;
      }
      // And each filter the condition negates, satisfied as well.
      for (const f of [...new Set(a.neg)]) {
        const fn = [...pn, ...needs([f], lastValues)];
        const fb = eventOf(rule.logsource, fn, service);
        if (!consistent(fb.V, fn)) continue;
        nm++;
        if (check(`near miss${label} satisfying ${f}`, fb, false)) nmOk++;
      }
    } catch (e) {
      if (!(e instanceof NotSynthesized)) throw e;
      why.push(`${label.trim() || "positive"}: ${e.message}`);
    }
  }
  st.events += pos + nm;
  if (pos > 0) st.pos++;
  if (pos > 0 && posOk === pos) st.posOk++;
  if (nm > 0) st.nm++;
  if (nm > 0 && nmOk === nm) st.nmOk++;
  if (pos === 0 || nm === 0) notSynth.push(`${file}: ${pos === 0 ? "no positive" : "no near miss"}${why.length ? ` (${why.join("; ")})` : ""}`);
  else if (why.length) console.log(`  partly synthesized: ${file}: ${why.join("; ")}`);
}

console.log(`sigma-linux: ${load.files.length} rule files, ${load.rules.length} compiled, ${[...refusals.values()].reduce((s, x) => s + x.n, 0)} refused, ${load.errors.length} in error`);
console.log("refused  (of them process_creation/file_event/network_connection/auditd)  feature: files");
for (const [feature, row] of [...refusals].sort((a, b) => b[1].n - a[1].n)) console.log(`  ${String(row.n).padStart(7)}  (${row.ours})  ${feature}: ${row.files.slice(0, 3).join(", ")}${row.files.length > 3 ? ", ..." : ""}`);
console.log("log source            compiled  positives matched  near misses rejected  events checked");
for (const s of SOURCES) {
  const x = stats[s];
  console.log(`  ${s.padEnd(20)} ${String(x.compiled).padStart(8)}  ${`${x.posOk}/${x.pos}`.padStart(17)}  ${`${x.nmOk}/${x.nm}`.padStart(20)}  ${String(x.events).padStart(14)}`);
}
for (const n of notSynth) console.log(`  not synthesized: ${n}`);
for (const f of failures) console.log(`  FAIL ${f}`);
const tot = (k) => SOURCES.reduce((s, x) => s + stats[x][k], 0);
console.log(`sigma conformance: ${tot("compiled")} compiled, ${tot("posOk")}/${tot("pos")} positives match, ${tot("nmOk")}/${tot("nm")} near misses rejected, ${notSynth.length} not synthesized, ${setDisagree} index disagreements`);
process.exit(failures.length > 0 ? 1 : 0);
