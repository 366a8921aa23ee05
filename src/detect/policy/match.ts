// The matcher language shared by policy rules and clawsudo: a match block is a set of keys, all of
// which must hold (AND); each key lists alternatives (OR). Patterns are globs (compileGlob) or,
// written `regex:...`, RE2 expressions run by re2js in linear time.
import { BlockList, isIP } from "node:net";
import { RE2JS } from "re2js";
import { compileGlob, GlobSyntaxError, type Glob } from "./glob.js";
import { baseName, hostMatches, urlHost } from "../behavior/argv.js";

/** What a match block is judged against; the detector builds it from an Event, clawsudo from a command. */
export interface MatchSubject {
  /** The resolved executable (absolute path when known). */
  exe: string;
  comm?: string;
  /** The executable's true identity (curl even when renamed), else its base name. */
  tool: string;
  argv: readonly string[];
  /** Hosts named by the arguments (URL hosts, `user@host`, bare hosts of network tools). */
  hosts: readonly string[];
  /** The parent's exe and comm (nearest ancestor first), when known. */
  parents: readonly string[];
  uid?: number;
  user?: string;
  /** The agent the process belongs to (the process table's attribution). */
  agent?: string;
  /** Paths the event touches (PATH records, the event's file path). */
  paths: readonly string[];
  dest?: { address?: string; port?: number; host?: string };
  /** Categories the behaviour engine already gave this event. */
  categories?: readonly string[];
}

export interface DestinationSpec {
  host?: string[];
  cidr?: string[];
  port?: (number | string)[];
}

/** A match block as written (after YAML parsing); every key optional. */
export interface MatchSpec {
  command?: string[];
  command_contains?: string[];
  args?: string[];
  file_access?: string[];
  exclude_args?: string[];
  exe?: string[];
  parent?: string[];
  user?: (string | number)[];
  /** Agent names: the process belongs to one of them (an agent profile's rules use it). */
  agent?: string[];
  destination?: DestinationSpec;
  category?: string[];
}

export const MATCH_KEYS = ["command", "command_contains", "args", "file_access", "exclude_args", "exe", "parent", "user", "agent", "destination", "category"] as const;
export const DESTINATION_KEYS = ["host", "cidr", "port"] as const;

export class MatchSyntaxError extends Error {}

export type Matcher = (s: MatchSubject) => boolean;
type StrTest = (s: string) => boolean;

/** A pattern: `regex:EXPR` (RE2, searched anywhere unless anchored) or a glob. */
export function compilePattern(p: string): StrTest {
  if (p.startsWith("regex:")) return compileRegex(p.slice(6));
  try {
    return compileGlob(p);
  } catch (e) {
    if (e instanceof GlobSyntaxError) throw new MatchSyntaxError(e.message);
    throw e;
  }
}

export function compileRegex(expr: string): StrTest {
  let re: RE2JS;
  try {
    re = RE2JS.compile(expr);
  } catch (e) {
    throw new MatchSyntaxError(`bad regular expression ${JSON.stringify(expr)}: ${(e as Error).message}`);
  }
  return (s) => re.matcher(s).find();
}

/** Substring, or `regex:`: how command_contains matches a command line. */
function compileContains(p: string): StrTest {
  if (p.startsWith("regex:")) return compileRegex(p.slice(6));
  return (s) => s.includes(p);
}

function anyOf(tests: StrTest[]): StrTest {
  return tests.length === 1 ? tests[0]! : (s) => tests.some((t) => t(s));
}

export function parseCidr(c: string): { net: string; prefix: number; family: "ipv4" | "ipv6" } {
  const [net, pre] = c.split("/");
  const fam = isIP(net ?? "");
  if (!net || fam === 0) throw new MatchSyntaxError(`not an IP address or CIDR: ${JSON.stringify(c)}`);
  const max = fam === 4 ? 32 : 128;
  const prefix = pre === undefined ? max : Number(pre);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (pre !== undefined && !/^\d+$/.test(pre))) throw new MatchSyntaxError(`bad prefix length in ${JSON.stringify(c)}`);
  return { net, prefix, family: fam === 4 ? "ipv4" : "ipv6" };
}

/** A set of CIDRs and addresses (IPv4-mapped IPv6 addresses count as their IPv4 address). */
export function addressSet(cidrs: readonly string[]): (addr: string) => boolean {
  if (cidrs.length === 0) return () => false;
  const v4: [number, number][] = [];
  const bl = new BlockList();
  let v6 = false;
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (p.family === "ipv4") {
      const mask = p.prefix === 0 ? 0 : (0xffffffff << (32 - p.prefix)) >>> 0;
      v4.push([(ipv4(p.net)! & mask) >>> 0, mask]);
    } else {
      bl.addSubnet(p.net, p.prefix, "ipv6");
      v6 = true;
    }
  }
  return (addr) => {
    const a = ipv4(addr.startsWith("::ffff:") ? addr.slice(7) : addr);
    if (a !== undefined) return v4.some(([net, mask]) => ((a & mask) >>> 0) === net);
    // Parsing IPv6 by hand is where mistakes hide; node's BlockList does it (off the IPv4 path).
    return v6 && isIP(addr) === 6 && bl.check(addr, "ipv6");
  };
}

function ipv4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

function parsePorts(ports: readonly (number | string)[]): (p: number) => boolean {
  const ranges: [number, number][] = ports.map((x) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(String(x));
    const a = m ? Number(m[1]) : NaN;
    const b = m?.[2] !== undefined ? Number(m[2]) : a;
    if (!m || a > 65535 || b > 65535 || b < a) throw new MatchSyntaxError(`not a port or port range: ${JSON.stringify(x)}`);
    return [a, b];
  });
  return (p) => ranges.some(([a, b]) => p >= a && p <= b);
}

/** Compiles a match block; throws MatchSyntaxError (the loader adds file:line:col). */
export function compileMatch(spec: MatchSpec): Matcher {
  const tests: Matcher[] = [];
  if (spec.command?.length) {
    const names = new Set(spec.command);
    tests.push((s) => names.has(s.tool) || names.has(baseName(s.exe)) || (s.argv[0] !== undefined && names.has(baseName(s.argv[0]))) || (s.comm !== undefined && names.has(s.comm)));
  }
  if (spec.command_contains?.length) {
    const t = anyOf(spec.command_contains.map(compileContains));
    tests.push((s) => t(s.argv.join(" ")));
  }
  if (spec.args?.length) {
    const t = anyOf(spec.args.map(compilePattern));
    tests.push((s) => s.argv.slice(1).some(t));
  }
  if (spec.file_access?.length) {
    const t = anyOf(spec.file_access.map(compilePattern));
    tests.push((s) => s.paths.some(t));
  }
  if (spec.exe?.length) {
    const t = anyOf(spec.exe.map(compilePattern));
    tests.push((s) => t(s.exe));
  }
  if (spec.parent?.length) {
    const t = anyOf(spec.parent.map(compilePattern));
    // The nearest parent only: its exe path or its base name.
    tests.push((s) => {
      const p = s.parents[0];
      return p !== undefined && (t(p) || t(baseName(p)));
    });
  }
  if (spec.user?.length) {
    const uids = new Set(spec.user.filter((u) => typeof u === "number" || /^\d+$/.test(u)).map(Number));
    const names = new Set(spec.user.filter((u): u is string => typeof u === "string" && !/^\d+$/.test(u)));
    tests.push((s) => (s.uid !== undefined && uids.has(s.uid)) || (s.user !== undefined && names.has(s.user)));
  }
  if (spec.agent?.length) {
    const agents = new Set(spec.agent);
    tests.push((s) => s.agent !== undefined && agents.has(s.agent));
  }
  if (spec.category?.length) {
    const cats = new Set(spec.category);
    tests.push((s) => (s.categories ?? []).some((c) => cats.has(c)));
  }
  if (spec.destination) tests.push(compileDestination(spec.destination));
  if (spec.exclude_args?.length) {
    const vals = spec.exclude_args;
    const exact = new Set(vals);
    const excused = (a: string) => {
      if (exact.has(a)) return true;
      const h = urlHost(a);
      return h !== undefined && vals.some((v) => hostMatches(h, v));
    };
    tests.push((s) => {
      for (let i = 1; i < s.argv.length; i++) if (excused(s.argv[i]!)) return false;
      return !(s.dest?.host !== undefined && vals.some((v) => hostMatches(s.dest!.host!, v)));
    });
  }
  if (tests.length === 0) return () => false;
  return tests.length === 1 ? tests[0]! : (s) => tests.every((t) => t(s));
}

function compileDestination(d: DestinationSpec): Matcher {
  const parts: Matcher[] = [];
  if (d.host?.length) {
    const hosts = d.host;
    parts.push((s) => {
      const names = s.dest?.host !== undefined ? [s.dest.host, ...s.hosts] : s.hosts;
      if (names.some((n) => hosts.some((h) => hostMatches(n, h)))) return true;
      // An IP literal written as a host matches the connect's address.
      return s.dest?.address !== undefined && hosts.includes(s.dest.address);
    });
  }
  if (d.cidr?.length) {
    const inSet = addressSet(d.cidr);
    parts.push((s) => s.dest?.address !== undefined && inSet(s.dest.address));
  }
  if (d.port?.length) {
    const inPorts = parsePorts(d.port);
    parts.push((s) => s.dest?.port !== undefined && inPorts(s.dest.port));
  }
  return (s) => parts.every((p) => p(s));
}

export type { Glob };
