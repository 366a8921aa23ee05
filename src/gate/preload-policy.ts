import { readFileSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { z } from "zod";
import { EXIT, UserError } from "../errors/index.js";

const pathPattern = z.string().refine((p) => p.startsWith("/") || p === "~" || p.startsWith("~/"), "want an absolute path or ~/...");
const cidr = z.string().refine((c) => {
  const [addr, prefix, ...rest] = c.split("/");
  if (rest.length > 0 || addr === undefined) return false;
  const fam = isIP(addr);
  if (fam === 0) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (fam === 4 ? 32 : 128));
}, "want an IPv4/IPv6 address or CIDR");

/** The policy libclawguard.so reads (native/preload/policy.c parses exactly this shape, as strictly). */
export const preloadPolicySchema = z.strictObject({
  version: z.literal(1),
  log: z.string().startsWith("/").optional(),
  quiet: z.boolean().optional(),
  deny_exec: z.array(z.union([z.string().min(1), z.strictObject({ exe: z.string().min(1), argv: z.array(z.string()).max(16).optional() })])).max(256).default([]),
  deny_paths_read: z.array(pathPattern).max(256).default([]),
  deny_paths_write: z.array(pathPattern).max(256).default([]),
  deny_connect: z
    .array(z.strictObject({ cidr: cidr.optional(), address: cidr.optional(), port: z.number().int().min(1).max(65535).optional() }).refine((r) => r.cidr !== undefined || r.address !== undefined || r.port !== undefined, "needs a cidr/address or a port"))
    .max(256)
    .default([]),
});
export type PreloadPolicy = z.infer<typeof preloadPolicySchema>;

/** Reads and checks a preload policy the way the library will: a UserError names the file and the JSON path. */
export function loadPreloadPolicy(file: string): PreloadPolicy {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`${file}: cannot read the preload policy (${(e as NodeJS.ErrnoException).code ?? "error"})`, EXIT.NOINPUT);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not JSON: ${(e as Error).message}`);
  }
  const r = preloadPolicySchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UserError(`${file}: ${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") || "(top)"}: ${i.message}`);
  }
  return r.data;
}

/** Why the library would refuse this file as its policy (it must be root's and writable by nobody else), or undefined. */
export function preloadPolicyOwnershipProblem(file: string): string | undefined {
  const st = statSync(file);
  if (!st.isFile()) return `${file} is not a regular file`;
  if (st.uid !== 0) return `${file} is owned by uid ${st.uid}; the guard only takes a policy owned by root`;
  if ((st.mode & 0o022) !== 0) return `${file} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); the guard refuses it`;
  return undefined;
}
