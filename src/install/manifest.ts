// What `clawav install` did, layer by layer, with how to take each part back: `clawav uninstall`
// and `clawav status` read it. Kept in /etc/clawav (root's, immutable once installed).
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";

export const LAYERS = ["package", "user", "config", "admin-key", "audit-rules", "preload", "sudoers", "service", "apparmor", "agent-caps", "kernel", "immutable"] as const;
export type LayerName = (typeof LAYERS)[number];

/** One way of taking a part of the install back; run in reverse order of the install. */
const undo = z.discriminatedUnion("do", [
  /** rm -rf: a file, link or folder the install created. */
  z.strictObject({ do: z.literal("remove"), path: z.string() }),
  /** chattr -i (-R for a folder). */
  z.strictObject({ do: z.literal("mutable"), path: z.string(), recursive: z.boolean() }),
  /** systemctl disable --now UNIT, when systemd runs. */
  z.strictObject({ do: z.literal("systemd-disable"), unit: z.string() }),
  /** systemctl daemon-reload, when systemd runs. */
  z.strictObject({ do: z.literal("systemd-reload") }),
  /** clawav's live audit rules (key clawav) deleted. */
  z.strictObject({ do: z.literal("audit-rules-remove") }),
  /** An AppArmor profile unloaded (apparmor_parser -R FILE) before its file goes. */
  z.strictObject({ do: z.literal("apparmor-unload"), path: z.string() }),
  /** A sysctl set back to what it was (some, like modules_disabled, only a reboot undoes). */
  z.strictObject({ do: z.literal("sysctl"), key: z.string(), value: z.string() }),
]);
export type Undo = z.infer<typeof undo>;

const layer = z.strictObject({
  name: z.enum(LAYERS),
  state: z.enum(["applied", "skipped", "unavailable"]),
  why: z.string().optional(),
  undo: z.array(undo),
});
export type LayerRecord = z.infer<typeof layer>;

const manifest = z.strictObject({
  version: z.string(),
  installed_at: z.string(),
  prefix: z.string(),
  agents: z.array(z.string()),
  profile: z.string().nullable(),
  state_dir: z.string(),
  layers: z.array(layer),
});
export type Manifest = z.infer<typeof manifest>;

export const MANIFEST_FILE = "/etc/clawav/installed.json";

/** The manifest, undefined when clawav is not installed; a damaged one is an error naming the file. */
export function readManifest(file = MANIFEST_FILE): Manifest | undefined {
  if (!existsSync(file)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message}): the install record is damaged`, { cause: e });
  }
  const r = manifest.safeParse(data);
  if (!r.success) throw new Error(`${file}: ${r.error.issues[0]?.path.join(".") || "(top)"}: ${r.error.issues[0]?.message}: the install record is damaged`);
  return r.data;
}
