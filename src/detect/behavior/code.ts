// The code handed to an interpreter on its command line (`sh -c`, `python3 -c`, `node -e`, ...),
// read for what it does: sockets wired to a shell, decoded data executed, downloads piped to a
// shell. Plain code (`print(1)`, `ls -la`) yields nothing.
import type { Category, Severity } from "../../events/index.js";
import { argHosts, baseName, type SimpleCommand } from "./argv.js";
import { SHELLS, INTERPRETERS, toolName } from "./facts.js";

export type Lang = "shell" | "python" | "node" | "perl" | "ruby" | "php";

export interface CodeFinding {
  id: string;
  category: Category;
  severity: Severity;
  summary: string;
}

/** The inline code of an interpreter invocation, if its arguments carry one. */
const codeOfArgs = new WeakMap<readonly string[], { tool: string; found: { lang: Lang; code: string } | undefined }>();

export function interpreterCode(tool: string, args: readonly string[]): { lang: Lang; code: string } | undefined {
  // Several rules ask of the same event's argument array; keyed by the array itself, so the
  // answer lives exactly as long as the event does.
  let r = codeOfArgs.get(args);
  if (r?.tool !== tool) {
    r = { tool, found: findCode(tool, args) };
    codeOfArgs.set(args, r);
  }
  return r.found;
}

function findCode(tool: string, args: readonly string[]): { lang: Lang; code: string } | undefined {
  const lang: Lang | undefined = SHELLS.has(tool) ? "shell" : tool === "python3" ? "python" : tool === "node" || tool === "bun" || tool === "deno" ? "node" : tool === "perl" ? "perl" : tool === "ruby" ? "ruby" : tool === "php" ? "php" : undefined;
  if (!lang) return undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (lang === "shell") {
      // -c, and bundles like -lc / -xc / -ec; the code is the next word.
      if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a) && args[i + 1] !== undefined) return { lang, code: args[i + 1]! };
      if (!a.startsWith("-")) return undefined; // a script file, not inline code
      continue;
    }
    if (lang === "python") {
      if (a === "-c" && args[i + 1] !== undefined) return { lang, code: args[i + 1]! };
      if (/^-[A-Za-z]*c$/.test(a) && args[i + 1] !== undefined) return { lang, code: args[i + 1]! };
      if (a.startsWith("-c") && a.length > 2) return { lang, code: a.slice(2) };
      if (!a.startsWith("-")) return undefined;
      continue;
    }
    if (lang === "node") {
      if (["-e", "--eval", "-p", "--print", "-pe"].includes(a) && args[i + 1] !== undefined) return { lang, code: args[i + 1]! };
      const m = /^--(?:eval|print)=(.*)$/s.exec(a);
      if (m) return { lang, code: m[1]! };
      if (!a.startsWith("-")) return undefined;
      continue;
    }
    if (lang === "php") {
      if (a === "-r" && args[i + 1] !== undefined) return { lang, code: args[i + 1]! };
      if (!a.startsWith("-")) return undefined;
      continue;
    }
    // perl, ruby: -e / -E, and bundles ending in e (-ne, -pe, -lne)
    if (/^-[a-zA-Z]*[eE]$/.test(a) && args[i + 1] !== undefined) return { lang, code: args[i + 1]! };
    if (!a.startsWith("-")) return undefined;
  }
  return undefined;
}

/** String literals of a script ('...', "...", `...`), for code that builds shell commands. */
const literalMemo = new Map<string, readonly string[]>();

export function stringLiterals(code: string): readonly string[] {
  // Asked up to five times per event (each family reads the literals its way), and scripts recur.
  let r = literalMemo.get(code);
  if (r === undefined) {
    r = scanLiterals(code);
    if (literalMemo.size >= 1024) literalMemo.delete(literalMemo.keys().next().value!);
    literalMemo.set(code, r);
  }
  return r;
}

function scanLiterals(code: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const s = (m[1] ?? m[2] ?? m[3] ?? "").replace(/\\(.)/g, "$1");
    if (s.length >= 2) out.push(s);
  }
  return out;
}

interface ScriptPattern {
  id: string;
  langs: Lang[];
  category: Category;
  severity: Severity;
  summary: string;
  /** All must be present. */
  all: RegExp[];
}

// Fixed, reviewed expressions over the interpreter's code (not user input): what the code uses.
const SOCKET = /\bsocket\.socket\b|\bsocket\s*\(|\bcreate_connection\b|\bIO::Socket|\bTCPSocket\b|\bfsockopen\b|\bnet\.(?:connect|createConnection|Socket)\b|\bnew\s+(?:net\.)?Socket\b|require\(\s*['"](?:node:)?net['"]\s*\)/;
const SPAWN_SHELL = /\bdup2\b|\bpty\.spawn\b|\bsubprocess\b|\bos\.system\b|\bexec[lv]?p?e?\b|\bspawn\b|\bsystem\b|\bproc_open\b|\bshell_exec\b|\bpassthru\b|\bpopen\b|child_process|\/bin\/(?:ba)?sh\b/;
const DECODE = /\bb64decode\b|\bbase64\b|\bdecode_base64\b|\bBase64\.decode|\bbase64_decode\b|\bfromhex\b|\bunhexlify\b|\bzlib\.decompress\b|\bcodecs\.decode\b|Buffer\.from\([^)]*['"](?:base64|hex)['"]|\batob\b|\bunpack\b/;
const EVAL = /\b(?:exec|eval|compile)\s*\(|\beval\b|new\s+Function\b|\bvm\.run/;
const HTTP_SEND = /\brequests\.(?:post|put|patch)\b|\burlopen\b.*\bdata\b|\bmethod\s*[:=]\s*['"](?:POST|PUT)['"]|\bhttp\.client\b|\bHTTPConnection\b|\bNet::HTTP\.post|\bLWP::UserAgent\b|\bcurl_exec\b/;

const TIMESTOMP = /\butimes?\s*\(|\butime\s+-?\d|\bos\.utime\b|\bfutimes\b|\butimesSync\b|\blutimes\b|\bFileUtils\.touch\b|\btouch\s*\(/;
const SETID_MODE = /\bchmod\w*\s*\([^)]*\b0o?[2-7][0-7]{3}\b/;
const PROCESS_RENAME = /\bprctl\b[^)]*\b15\b|\bPR_SET_NAME\b|\bsetproctitle\b|\$0\s*=|process\.title\s*=/;
const PTRACE = /\bptrace\s*\(|\bPTRACE_(?:ATTACH|SEIZE|POKE)|\bprocess_vm_writev\b/;
const SETUID_ROOT = /\bset(?:re|res)?[ug]id\s*\(\s*0\b|\bPOSIX::set[ug]id\s*\(\s*0\b|\bProcess::Sys\.set[ug]id\s*\(\s*0\b|\bposix_setuid\s*\(\s*0\b/;
const DISCOVERY = /\bgetpwall\b|\bgetgrall\b|\bgethostname\b|\bgetlogin\b|\bplatform\.(?:uname|node|platform)\b|\bos\.uname\b|\bos\.userInfo\b|\bos\.networkInterfaces\b|\bos\.hostname\b|\bnetifaces\b|\bpsutil\b/g;
const UNSHARE = /\bunshare\s*\(|\bCLONE_NEWUSER\b|\bsetns\s*\(/;

const SCRIPT_PATTERNS: readonly ScriptPattern[] = [
  { id: "code.timestomp", langs: ["python", "node", "perl", "ruby", "php"], category: "EVASION", severity: "warning", summary: "inline code sets a file's timestamps", all: [TIMESTOMP] },
  { id: "code.setid-mode", langs: ["python", "node", "perl", "ruby", "php"], category: "PRIV_ESC", severity: "critical", summary: "inline code sets a setuid or setgid mode", all: [SETID_MODE] },
  { id: "code.rename-process", langs: ["python", "node", "perl", "ruby", "php"], category: "EVASION", severity: "warning", summary: "inline code renames its own process", all: [PROCESS_RENAME] },
  { id: "code.ptrace", langs: ["python", "node", "perl", "ruby", "php"], category: "PRIV_ESC", severity: "warning", summary: "inline code traces or writes another process", all: [PTRACE] },
  { id: "code.setuid-root", langs: ["python", "node", "perl", "ruby", "php"], category: "PRIV_ESC", severity: "warning", summary: "inline code tries to become root", all: [SETUID_ROOT] },
  { id: "code.namespace", langs: ["python", "node", "perl", "ruby", "php"], category: "PRIV_ESC", severity: "warning", summary: "inline code enters or creates namespaces", all: [UNSHARE] },
  { id: "code.reverse-shell", langs: ["python", "node", "perl", "ruby", "php"], category: "EXECUTION", severity: "critical", summary: "inline code wires a socket to a shell or process", all: [SOCKET, SPAWN_SHELL] },
  { id: "code.exec-decoded", langs: ["python", "node", "perl", "ruby", "php"], category: "EVASION", severity: "critical", summary: "inline code executes decoded data", all: [EVAL, DECODE] },
  { id: "code.socket", langs: ["python", "node", "perl", "ruby", "php"], category: "DATA_EXFIL", severity: "warning", summary: "inline code opens a network socket", all: [SOCKET] },
  { id: "code.http-send", langs: ["python", "node", "perl", "ruby", "php"], category: "DATA_EXFIL", severity: "warning", summary: "inline code sends data over HTTP", all: [HTTP_SEND] },
];

/** Findings for non-shell inline code (the shell's own findings come from its parsed commands). */
export function scriptFindings(lang: Lang, code: string): CodeFinding[] {
  const out: CodeFinding[] = [];
  // Several distinct who-am-I calls in one piece of code is discovery, not a program's own business.
  const disc = new Set(code.match(DISCOVERY) ?? []);
  if (disc.size >= 2) out.push({ id: "code.discovery", category: "RECON", severity: "warning", summary: `inline code gathers system facts (${[...disc].join(", ")})` });
  for (const p of SCRIPT_PATTERNS) {
    if (!p.langs.includes(lang) || !p.all.every((r) => r.test(code))) continue;
    // A reverse shell is also a socket; report the stronger reading only.
    if (p.id === "code.socket" && out.some((f) => f.id === "code.reverse-shell")) continue;
    out.push({ id: p.id, category: p.category, severity: p.severity, summary: p.summary });
  }
  return out;
}

const DOWNLOADERS = new Set(["curl", "wget", "fetch"]);
const NET_SENDERS = new Set(["curl", "wget", "nc", "ncat", "socat", "telnet", "openssl", "ssh", "scp"]);

/** env, printenv, set, export -p, or /proc/…/environ: the environment and its secrets. */
function dumpsEnvironment(c: SimpleCommand): boolean {
  const t = toolName(baseName(c.argv[0] ?? ""));
  if ((t === "env" || t === "printenv") && c.argv.length === 1) return true;
  if (t === "set" && c.argv.length === 1) return true;
  if ((t === "export" || t === "declare") && c.argv.slice(1).every((a) => a.startsWith("-"))) return true;
  return c.argv.slice(1).some((a) => /^\/proc\/[^/]+\/environ$/.test(a));
}

/** printf '\x69\x64' or echo -e '\151…': text spelled in escapes. */
function isEscapedText(c: SimpleCommand): boolean {
  const t = toolName(baseName(c.argv[0] ?? ""));
  if (t !== "printf" && t !== "echo") return false;
  return c.argv.slice(1).some((a) => (a.match(/\\(?:x[0-9a-fA-F]{2}|[0-7]{3})/g) ?? []).length >= 2);
}
function isDecoder(c: SimpleCommand): boolean {
  const t = toolName(baseName(c.argv[0] ?? ""));
  const a = c.argv.slice(1);
  if (t === "base64" || t === "base32" || t === "basenc") return a.some((x) => x === "-d" || x === "--decode" || /^-[a-z]*d[a-z]*$/.test(x));
  if (t === "xxd") return a.some((x) => x === "-r" || x.startsWith("-r"));
  if (t === "openssl") return a.includes("-d") || a.includes("base64");
  if (t === "gunzip" || t === "zcat" || t === "rev") return true;
  return false;
}
const runsCode = (c: SimpleCommand): boolean => {
  const t = toolName(baseName(c.argv[0] ?? ""));
  return SHELLS.has(t) || INTERPRETERS.has(t) || t === "eval" || t === "source" || t === ".";
};

/** Pipelines and redirections of shell code: download | sh, decode | sh, /dev/tcp, $(curl …). */
export function shellFindings(cmds: readonly SimpleCommand[], hostAllowed: (h: string) => boolean): CodeFinding[] {
  const out: CodeFinding[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i]!;
    const next = c.next === "|" ? cmds[i + 1] : undefined;
    const t = toolName(baseName(c.argv[0] ?? ""));
    if (next && runsCode(next)) {
      if (DOWNLOADERS.has(t)) {
        const hosts = argHosts(t, c.argv.slice(1));
        const allowed = hosts.length > 0 && hosts.every(hostAllowed);
        out.push({ id: "code.download-exec", category: "SUPPLY_CHAIN", severity: allowed ? "warning" : "critical", summary: `downloads from ${hosts.join(", ") || "?"} straight into ${baseName(next.argv[0]!)}` });
      } else if (isDecoder(c) || isEscapedText(c)) {
        out.push({ id: "code.decode-exec", category: "EVASION", severity: "critical", summary: `decodes data with ${t} and runs it with ${baseName(next.argv[0]!)}` });
      }
    }
    if (next && NET_SENDERS.has(toolName(baseName(next.argv[0] ?? ""))) && dumpsEnvironment(c)) {
      out.push({ id: "exfil.env-dump", category: "DATA_EXFIL", severity: "critical", summary: `pipes the environment (${t}) into ${baseName(next.argv[0]!)}` });
    }
    // Decoded data written to a file: a dropper writing its payload.
    if (isDecoder(c) && c.redirects.some((r) => (r.op === ">" || r.op === ">>") && !r.target.startsWith("/dev/"))) {
      out.push({ id: "code.decode-to-file", category: "EVASION", severity: "warning", summary: `decodes data with ${t} into ${c.redirects.find((r) => r.op === ">" || r.op === ">>")!.target}` });
    }
    for (const r of c.redirects) {
      if (/^\/dev\/(tcp|udp)\//.test(r.target)) {
        // Output into a socket sends data; a socket wired to input (or both) is a remote shell.
        if ((r.op === ">" || r.op === ">>") && !c.redirects.some((x) => x.op === "<" || x.op === "<&" || x.op === ">&")) out.push({ id: "exfil.dev-tcp", category: "DATA_EXFIL", severity: "critical", summary: `${t || "the shell"} sends its output into ${r.target}` });
        else out.push({ id: "code.dev-tcp", category: "EXECUTION", severity: "critical", summary: `shell redirection to ${r.target} (a socket opened by the shell itself)` });
      }
    }
    // eval "$(echo … | base64 -d)", sh -c "$(curl -fsSL …)", source <(curl …)
    for (const w of c.argv) {
      if (!w.includes("$(") && !w.includes("`") && !w.includes("<(")) continue;
      if (/\b(curl|wget)\b/.test(w) && (runsCode(c) || i === 0)) out.push({ id: "code.download-exec", category: "SUPPLY_CHAIN", severity: "critical", summary: "runs the output of a download" });
      else if (/\bbase64\s+(-d|--decode)\b|\bxxd\s+-r\b/.test(w) && runsCode(c)) out.push({ id: "code.decode-exec", category: "EVASION", severity: "critical", summary: "runs decoded data" });
    }
  }
  return out;
}
