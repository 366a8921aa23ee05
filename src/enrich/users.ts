import { readFileSync } from "node:fs";

/** uid → user name from /etc/passwd, read once and on refresh(); unknown uids stay numeric. */
export interface UserNames {
  name(uid: number): string | undefined;
  uid(name: string): number | undefined;
  refresh(): void;
}

export function parsePasswd(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 3 || f[0] === "" || line.startsWith("#")) continue;
    const uid = Number(f[2]);
    if (Number.isInteger(uid) && !m.has(uid)) m.set(uid, f[0]!);
  }
  return m;
}

export function systemUserNames(file = "/etc/passwd"): UserNames {
  let byUid = new Map<number, string>();
  let byName = new Map<string, number>();
  const load = (): void => {
    try {
      byUid = parsePasswd(readFileSync(file, "utf8"));
    } catch {
      byUid = new Map();
    }
    byName = new Map([...byUid].map(([u, n]) => [n, u]));
  };
  load();
  return { name: (uid) => byUid.get(uid), uid: (n) => byName.get(n), refresh: load };
}

export const noUserNames: UserNames = { name: () => undefined, uid: () => undefined, refresh: () => {} };
