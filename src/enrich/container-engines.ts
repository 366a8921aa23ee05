// What the container engine knows of a container: its name, its image, and what it shares with
// the host (privileged, host folders mounted in, host namespaces). Podman's own state files are
// read at once (root-owned, so the agent cannot forge them), which lets the first event of a new
// container carry its name; any other engine is asked through its Docker-compatible API socket,
// in the background, and later events carry the answer.
import { readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { ContainerInfo } from "../events/index.js";

export type EngineFacts = Omit<ContainerInfo, "id" | "engine">;

/** Namespaces a container normally has of its own: one it lacks is the host's. */
const OWN_NAMESPACES = ["pid", "network", "ipc", "uts", "mount"] as const;

/** Bind sources that are the engine's own plumbing (resolv.conf, hosts, shm), not host folders. */
function enginePlumbing(source: string, storageRoots: readonly string[]): boolean {
  return storageRoots.some((r) => source === r || source.startsWith(`${r}/`));
}

interface OciConfig {
  annotations?: Record<string, string>;
  mounts?: { destination?: string; type?: string; source?: string; options?: string[] }[];
  linux?: { namespaces?: { type?: string; path?: string }[] };
}

/** Facts from an OCI runtime config (podman writes one per container: userdata/config.json). */
export function factsOfOciConfig(c: OciConfig, storageRoots: readonly string[]): EngineFacts {
  const out: EngineFacts = {};
  const priv = c.annotations?.["io.podman.annotations.privileged"];
  if (priv !== undefined) out.privileged = priv.toUpperCase() === "TRUE";
  const mounts = (c.mounts ?? []).filter((m) => (m.type === "bind" || (m.options ?? []).includes("bind") || (m.options ?? []).includes("rbind")) && typeof m.source === "string" && !enginePlumbing(m.source, storageRoots));
  out.host_mounts = mounts.map((m) => `${m.source}:${m.destination ?? "?"}`);
  const ns = c.linux?.namespaces;
  if (ns) {
    const types = new Set(ns.map((n) => n.type));
    out.host_namespaces = OWN_NAMESPACES.filter((t) => !types.has(t));
  }
  return out;
}

interface StorageContainer {
  id?: string;
  names?: string[];
  metadata?: string;
}

/**
 * Podman (containers/storage) on disk: containers.json names the container and its image;
 * userdata/config.json, written when it starts, says how it was started. The list is read again
 * only when the file changed.
 */
export class PodmanState {
  private cache: { mtimeMs: number; size: number; byId: Map<string, StorageContainer> } | undefined;

  constructor(
    private readonly graphRoot = "/var/lib/containers/storage",
    private readonly runRoot = "/run/containers/storage",
  ) {}

  facts(id: string): EngineFacts | undefined {
    const c = this.container(id);
    if (!c) return undefined;
    const out: EngineFacts = {};
    const name = c.names?.[0];
    if (name) out.name = name;
    try {
      const meta = JSON.parse(c.metadata ?? "{}") as { "image-name"?: string };
      if (typeof meta["image-name"] === "string" && meta["image-name"] !== "") out.image = meta["image-name"];
    } catch {
      // metadata is the engine's; without it the image is unknown, the rest still holds
    }
    try {
      const cfg = JSON.parse(readFileSync(join(this.graphRoot, "overlay-containers", id, "userdata", "config.json"), "utf8")) as OciConfig;
      Object.assign(out, factsOfOciConfig(cfg, [this.graphRoot, this.runRoot]));
    } catch {
      // not started yet (or another driver's layout): name and image only
    }
    return out;
  }

  private container(id: string): StorageContainer | undefined {
    const file = join(this.graphRoot, "overlay-containers", "containers.json");
    let st;
    try {
      st = statSync(file);
    } catch {
      return undefined;
    }
    if (!this.cache || this.cache.mtimeMs !== st.mtimeMs || this.cache.size !== st.size) {
      try {
        const list = JSON.parse(readFileSync(file, "utf8")) as StorageContainer[];
        this.cache = { mtimeMs: st.mtimeMs, size: st.size, byId: new Map(list.filter((x) => typeof x.id === "string").map((x) => [x.id!, x])) };
      } catch {
        return undefined;
      }
    }
    return this.cache.byId.get(id);
  }
}

interface DockerInspect {
  Name?: string;
  Config?: { Image?: string };
  HostConfig?: { Privileged?: boolean; Binds?: string[] | null; PidMode?: string; NetworkMode?: string; IpcMode?: string; UTSMode?: string };
  Mounts?: { Type?: string; Source?: string; Destination?: string }[];
}

/** Facts from the Docker API's container inspect (Docker's, or podman's compatible one). */
export function factsOfDockerInspect(d: DockerInspect): EngineFacts {
  const out: EngineFacts = {};
  if (d.Name) out.name = d.Name.replace(/^\//, "");
  if (d.Config?.Image) out.image = d.Config.Image;
  const h = d.HostConfig;
  if (h?.Privileged !== undefined) out.privileged = h.Privileged;
  const binds = (d.Mounts ?? []).filter((m) => m.Type === "bind" && m.Source).map((m) => `${m.Source}:${m.Destination ?? "?"}`);
  out.host_mounts = binds;
  if (h) {
    const modes: [string, string | undefined][] = [["pid", h.PidMode], ["network", h.NetworkMode], ["ipc", h.IpcMode], ["uts", h.UTSMode]];
    out.host_namespaces = modes.filter(([, m]) => m === "host").map(([t]) => t);
  }
  return out;
}

/** GET /containers/ID/json on a Docker-compatible API socket; undefined when it does not answer. */
export function inspectOverSocket(socketPath: string, id: string, timeoutMs = 5000): Promise<EngineFacts | undefined> {
  if (!/^[0-9a-f]{64}$/.test(id)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: `/containers/${id}/json`, method: "GET", timeout: timeoutMs, headers: { host: "localhost" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        // An inspect is a few KiB; a socket that streams more is not an engine's.
        if (size > 4 * 1024 * 1024) req.destroy();
        else chunks.push(c);
      });
      res.on("end", () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          resolve(factsOfDockerInspect(JSON.parse(Buffer.concat(chunks).toString("utf8")) as DockerInspect));
        } catch {
          resolve(undefined);
        }
      });
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}
