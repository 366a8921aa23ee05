// Reading what a command line MEANS: its words, the hosts it names, what it uploads. Never a
// substring search over the joined command line (an allowed host name in a query string must not
// excuse anything).

/** A shell word or operator, from a POSIX-ish tokenizer (quotes, backslashes, operators). */
export interface ShellToken {
  word: string;
  /** True for | ; & && || < > >> >& <& ( ) and newlines. */
  op: boolean;
}

const OP_START = new Set(["&", "|", ">", "<", ";", "(", ")", "\n"]);
const OPS = ["&&", "||", ">>", ">&", "<&", "&>", "<<<", "<<", "|", ";", "&", "<", ">", "(", ")", "\n"];

/** Splits shell code into words and operators; unbalanced quotes end the word at the end of input. */
export function shellTokens(code: string): ShellToken[] {
  const out: ShellToken[] = [];
  let cur = "";
  let has = false;
  const push = () => {
    if (has) out.push({ word: cur, op: false });
    cur = "";
    has = false;
  };
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (c === "'") {
      const end = code.indexOf("'", i + 1);
      const stop = end < 0 ? code.length : end;
      cur += code.slice(i + 1, stop);
      has = true;
      i = stop;
    } else if (c === '"') {
      has = true;
      for (i++; i < code.length && code[i] !== '"'; i++) {
        if (code[i] === "\\" && i + 1 < code.length && '"\\$`'.includes(code[i + 1]!)) i++;
        cur += code[i];
      }
    } else if ((c === "$" && code[i + 1] === "(") || c === "`") {
      // A command substitution is part of the word it stands in: $(cat ~/.netrc).evil.example
      const end = c === "`" ? code.indexOf("`", i + 1) : substitutionEnd(code, i + 2);
      const stop = end < 0 ? code.length - 1 : end;
      cur += code.slice(i, stop + 1);
      has = true;
      i = stop;
    } else if (c === "\\" && i + 1 < code.length) {
      if (code[i + 1] !== "\n") cur += code[i + 1];
      has = true;
      i++;
    } else if (c === " " || c === "\t") {
      push();
    } else if (c === "#" && !has) {
      const nl = code.indexOf("\n", i);
      i = nl < 0 ? code.length : nl - 1;
    } else {
      const op = OP_START.has(c) ? OPS.find((o) => code.startsWith(o, i)) : undefined;
      if (op) {
        // A digit right before a redirection is its file descriptor (2>&1), not a word.
        if ((op.startsWith(">") || op.startsWith("<")) && /^\d+$/.test(cur)) {
          cur = "";
          has = false;
        }
        push();
        out.push({ word: op, op: true });
        i += op.length - 1;
      } else {
        cur += c;
        has = true;
      }
    }
  }
  push();
  return out;
}

/** The index of the `)` that closes a `$(` whose body starts at `from`, quotes and nesting counted. */
function substitutionEnd(code: string, from: number): number {
  let depth = 1;
  for (let i = from; i < code.length; i++) {
    const c = code[i]!;
    if (c === "\\") i++;
    else if (c === "'") {
      const e = code.indexOf("'", i + 1);
      if (e < 0) return -1;
      i = e;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

/** The bodies of the command substitutions in a word: $(…) and `…`. */
export function substitutions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) {
    if (word[i] === "$" && word[i + 1] === "(") {
      const end = substitutionEnd(word, i + 2);
      out.push(word.slice(i + 2, end < 0 ? word.length : end));
      if (end < 0) break;
      i = end;
    } else if (word[i] === "`") {
      const end = word.indexOf("`", i + 1);
      out.push(word.slice(i + 1, end < 0 ? word.length : end));
      if (end < 0) break;
      i = end;
    }
  }
  return out;
}

/** Words only, for `--cmd "..."` on the command line. */
export function shellSplit(code: string): string[] {
  return shellTokens(code).filter((t) => !t.op).map((t) => t.word);
}

/** One simple command of a piece of shell code, with what it redirects from and to. */
export interface SimpleCommand {
  argv: string[];
  /** Leading VAR=value words: the environment this one command runs with. */
  assigns: { name: string; value: string }[];
  /** Files (or /dev/tcp/... pseudo-files) it reads from or writes to by redirection. */
  redirects: { op: string; target: string }[];
  /** The operator that joins it to the next command ("|", "&&", ";", ...), if any. */
  next?: string;
}

export function shellCommands(code: string, depth = 0): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  let cur: SimpleCommand = { argv: [], assigns: [], redirects: [] };
  const toks = shellTokens(code);
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (!t.op) {
      // Leading VAR=value assignments are not the command, but the environment it runs with.
      const m = cur.argv.length === 0 ? /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(t.word) : null;
      if (m) {
        cur.assigns.push({ name: m[1]!, value: m[2]! });
        continue;
      }
      // Shell keywords that open a compound command (a loop's body) are not the command either.
      if (cur.argv.length === 0 && SHELL_KEYWORDS.has(t.word)) continue;
      cur.argv.push(t.word);
    } else if (["<", ">", ">>", ">&", "<&", "&>", "<<<"].includes(t.word)) {
      const target = toks[i + 1];
      if (target && !target.op) {
        cur.redirects.push({ op: t.word, target: target.word });
        i++;
      }
    } else if (t.word === "(" || t.word === ")") {
      continue;
    } else {
      cur.next = t.word;
      if (cur.argv.length > 0 || cur.redirects.length > 0 || cur.assigns.length > 0) out.push(cur);
      cur = { argv: [], assigns: [], redirects: [] };
    }
  }
  if (cur.argv.length > 0 || cur.redirects.length > 0 || cur.assigns.length > 0) out.push(cur);
  // Command substitutions run too: their commands are judged like any other.
  if (depth < 4) {
    const n = out.length;
    for (let k = 0; k < n; k++) {
      const c = out[k]!;
      for (const w of [...c.argv, ...c.assigns.map((a) => a.value), ...c.redirects.map((r) => r.target)]) {
        if (w.includes("$(") || w.includes("`")) for (const body of substitutions(w)) out.push(...shellCommands(body, depth + 1));
      }
    }
  }
  return out;
}

const SHELL_KEYWORDS = new Set(["do", "then", "else", "elif", "!", "{", "}", "done", "fi", "esac"]);

/**
 * Programs that run another program given on their command line (timeout 5 pip install …,
 * nohup, nice, env VAR=x cmd, …): the command that matters is the one they run. Returns that
 * command's argv and any VAR=value the wrapper sets, or undefined when argv is no wrapper.
 */
export function unwrapCommand(argv: readonly string[]): { argv: string[]; assigns: { name: string; value: string }[]; wrapper: string } | undefined {
  const tool = baseName(argv[0] ?? "");
  const rest = argv.slice(1);
  const assigns: { name: string; value: string }[] = [];
  let i = 0;
  const skipOptions = (withValue: readonly string[]) => {
    while (i < rest.length && rest[i]!.startsWith("-") && rest[i] !== "-" && rest[i] !== "--") {
      const o = rest[i]!;
      i++;
      if (withValue.includes(o) && !o.includes("=")) i++;
    }
    if (rest[i] === "--") i++;
  };
  switch (tool) {
    case "timeout":
      skipOptions(["-s", "--signal", "-k", "--kill-after"]);
      i++; // the duration
      break;
    case "nohup":
    case "setsid":
    case "time":
    case "command":
    case "builtin":
    case "chronic":
    case "unbuffer":
    case "caffeinate":
    case "flock":
      skipOptions(["-w", "--wait", "-E"]);
      if (tool === "flock") i++; // the lock file
      break;
    case "nice":
    case "ionice":
    case "stdbuf":
    case "taskset":
    case "chrt":
      skipOptions(["-n", "--adjustment", "-c", "--class", "-i", "-o", "-e", "-p"]);
      if ((tool === "taskset" || tool === "chrt") && i < rest.length && /^[\dx,a-f-]+$/i.test(rest[i]!)) i++;
      break;
    case "env":
      for (; i < rest.length; i++) {
        const w = rest[i]!;
        if (w === "-i" || w === "-" || w === "--ignore-environment" || w === "-0") continue;
        if (w === "-u" || w === "--unset" || w === "-C" || w === "--chdir" || w === "-S") {
          i++;
          continue;
        }
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w);
        if (m) assigns.push({ name: m[1]!, value: m[2]! });
        else break;
      }
      break;
    case "exec":
      skipOptions(["-a"]);
      break;
    case "xargs":
      skipOptions(["-n", "-I", "-P", "-d", "-L", "-s", "-a", "-E", "--max-args", "--max-procs", "--delimiter", "--arg-file"]);
      break;
    default:
      return undefined;
  }
  const inner = rest.slice(i);
  return inner.length > 0 || assigns.length > 0 ? { argv: inner, assigns, wrapper: tool } : undefined;
}

export function baseName(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

/** The host of a URL-looking argument, lower-cased, or undefined. */
const hostMemo = new Map<string, string | null>();

export function urlHost(arg: string): string | undefined {
  if (!arg.includes("://")) return undefined;
  // URL parsing is the costly part of judging a curl; the same URLs recur.
  let h = hostMemo.get(arg);
  if (h === undefined) {
    h = parseUrlHost(arg) ?? null;
    if (hostMemo.size >= 4096) hostMemo.delete(hostMemo.keys().next().value!);
    hostMemo.set(arg, h);
  }
  return h ?? undefined;
}

function parseUrlHost(arg: string): string | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(arg);
  if (!m) return undefined;
  try {
    const h = new URL(arg).hostname.toLowerCase();
    return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h || undefined;
  } catch {
    return undefined;
  }
}

const HOSTLIKE = /^(?:[a-z0-9-]+\.)+[a-z0-9-]+$|^\d{1,3}(?:\.\d{1,3}){3}$|^[0-9a-f:]*:[0-9a-f:.]+$/i;

/** Tools whose bare (scheme-less) positional argument is a host: `nc host 80`, `ssh user@host`, `curl host/x`. */
const POSITIONAL_HOST_TOOLS = new Set(["curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "ssh", "scp", "sftp", "rsync", "ftp"]);

/** Options of network tools that take a separate value (so that value is not mistaken for a host). */
const VALUE_OPTS = new Set([
  "-o", "-O", "--output", "-d", "--data", "--data-binary", "--data-raw", "--data-urlencode", "--json", "-H", "--header", "-F", "--form",
  "-T", "--upload-file", "-X", "--request", "-u", "--user", "-A", "--user-agent", "-e", "--referer", "-b", "--cookie", "-c", "--cookie-jar",
  "-x", "--proxy", "-m", "--max-time", "--connect-timeout", "-w", "--write-out", "-K", "--config", "-p", "-i", "-l", "-L", "-W", "-J", "-F",
  "-P", "--post-file", "--post-data", "--body-file", "--body-data", "--header", "--method", "-q", "-s",
]);
/** Options of curl/wget/nc that take NO value even though they share letters with VALUE_OPTS elsewhere. */
const CURL_FLAGS = new Set(["-s", "-S", "-L", "-k", "-f", "-v", "-i", "-I", "-O", "-G", "-q", "-sS", "-fsSL", "-sSL", "-fsS", "-sL"]);

/** The hosts an argument vector names: URL hosts always; bare host words for network tools. */
export function argHosts(tool: string, args: readonly string[]): string[] {
  const hosts: string[] = [];
  const positional = POSITIONAL_HOST_TOOLS.has(tool);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const u = urlHost(a);
    if (u) {
      hosts.push(u);
      continue;
    }
    if (!positional) continue;
    if (a.startsWith("-")) {
      if (a.includes("=")) continue;
      const isFlag = (tool === "curl" || tool === "wget") && CURL_FLAGS.has(a);
      if (!isFlag && VALUE_OPTS.has(a)) i++;
      continue;
    }
    // user@host[:path] (ssh, scp, rsync), host[:port][/path] (curl without scheme)
    let h = a.includes("@") ? a.slice(a.lastIndexOf("@") + 1) : a;
    h = h.split("/")[0]!;
    if (!h.includes("::")) h = h.split(":")[0]!;
    if (HOSTLIKE.test(h) && !/^\d+$/.test(h)) hosts.push(h.toLowerCase());
  }
  return hosts;
}

/** True when `host` is `allowed` or one of its subdomains (label boundary, not a substring). */
export function hostMatches(host: string, allowed: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  const a = allowed.toLowerCase().replace(/\.$/, "");
  return h === a || h.endsWith("." + a);
}

/** What an argv uploads: the files it sends (`@file`, -T file) and whether it sends data at all. */
export interface Upload {
  sends: boolean;
  files: string[];
}

export function uploadOf(tool: string, args: readonly string[]): Upload {
  const files: string[] = [];
  let sends = false;
  const fileOf = (v: string) => {
    sends = true;
    if (v.startsWith("@") && v.length > 1 && v !== "@-") files.push(v.slice(1));
  };
  if (tool === "curl") {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const long = /^(--data|--data-binary|--data-raw|--data-urlencode|--json|--form|--form-string|--upload-file)(?:=(.*))?$/.exec(a);
      const short = /^-([dFT])(.*)$/.exec(a);
      let opt: string | undefined;
      let val: string | undefined;
      if (long) {
        opt = long[1];
        val = long[2] ?? args[++i];
      } else if (short) {
        opt = `-${short[1]}`;
        val = short[2] ? short[2] : args[++i];
      } else if (/^(-X|--request)$/.test(a) && /^(POST|PUT|PATCH)$/i.test(args[i + 1] ?? "")) {
        sends = true;
        i++;
        continue;
      } else continue;
      if (val === undefined) continue;
      if (opt === "-T" || opt === "--upload-file") {
        sends = true;
        if (val !== "-" && val !== ".") files.push(val);
      } else if (opt === "-F" || opt === "--form" || opt === "--form-string") {
        sends = true;
        const m = /=[@<]([^;]+)/.exec(val);
        if (m && opt !== "--form-string") files.push(m[1]!);
      } else fileOf(val);
    }
  } else if (tool === "wget") {
    for (let i = 0; i < args.length; i++) {
      const m = /^--(post-file|body-file|post-data|body-data|method)(?:=(.*))?$/.exec(args[i]!);
      if (!m) continue;
      const v = m[2] ?? args[++i] ?? "";
      if (m[1] === "method") {
        if (/^(POST|PUT|PATCH)$/i.test(v)) sends = true;
        continue;
      }
      sends = true;
      if (m[1] === "post-file" || m[1] === "body-file") files.push(v);
    }
  }
  return { sends, files };
}
