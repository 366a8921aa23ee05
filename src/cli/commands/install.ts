import type { Command } from "commander";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadAdminHash, verifyAdminKey } from "../../admin/index.js";
import { EXIT, UserError } from "../../errors/index.js";
import { untrustedReason } from "../../gate/index.js";
import {
  DEFAULT_PLACES,
  HARDEN,
  isImmutable,
  LAYERS,
  MANIFEST_FILE,
  ownedPaths,
  planInstall,
  readManifest,
  setImmutable,
  undoAll,
  UNIT_NAME,
  type Harden,
  type LayerName,
  type LayerRecord,
  type Manifest,
  type Undo,
} from "../../install/index.js";
import { profileNames } from "../../profiles/index.js";
import { PACKAGE_ROOT, VERSION } from "../../version.js";
import { ask, readKey } from "../admin-client.js";

const say = (line: string) => process.stdout.write(`${line}\n`);

function list<T extends string>(flag: string, value: string | undefined, known: readonly T[]): T[] {
  if (value === undefined) return [];
  const out: T[] = [];
  for (const w of value.split(",").map((x) => x.trim()).filter(Boolean)) {
    if (!(known as readonly string[]).includes(w)) throw new UserError(`${flag}: no such name "${w}" (one of: ${known.join(", ")})`, EXIT.USAGE);
    out.push(w as T);
  }
  return out;
}

function agentUser(name: string): { name: string; uid: number } {
  if (!/^[a-z_][a-z0-9_.-]{0,31}$/i.test(name)) throw new UserError(`--agent: "${name}" is not a user name`, EXIT.USAGE);
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new UserError(`--agent: no user ${name} in /etc/passwd (create the agent's user first)`, EXIT.DATAERR);
  const uid = Number(line.split(":")[2]);
  if (uid === 0) throw new UserError(`--agent: ${name} is root: an agent must be an unprivileged user`, EXIT.DATAERR);
  return { name, uid };
}

const pad = (s: string, n: number) => s.padEnd(n);

function summary(layers: readonly { name: string; state: string; why?: string }[]): void {
  say("\nlayer        state        detail");
  for (const l of layers) say(`${pad(l.name, 12)} ${pad(l.state, 12)} ${l.why ?? ""}`);
}

function writeManifest(m: Manifest, immutable: boolean): void {
  if (existsSync(MANIFEST_FILE)) setImmutable(MANIFEST_FILE, false);
  writeFileSync(MANIFEST_FILE, `${JSON.stringify(m, null, 2)}\n`, { mode: 0o644 });
  if (immutable) setImmutable(MANIFEST_FILE, true);
}

function mergeUndo(a: readonly Undo[], b: readonly Undo[]): Undo[] {
  const seen = new Set(a.map((u) => JSON.stringify(u)));
  return [...a, ...b.filter((u) => !seen.has(JSON.stringify(u)))];
}

export function registerInstall(program: Command): void {
  program
    .command("install")
    .description("install clawav so the agent cannot stop, change or silence it (root): package, config, admin key, audit rules, preload policy, sudoers, systemd unit, AppArmor, agent capabilities, kernel settings, immutable files")
    .option("-a, --agent <user>", "an agent's user: watched, and given clawsudo through sudoers (repeat for more)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--agent-unit <unit>", "the agent's own systemd unit (e.g. openclaw.service): it loses the capabilities that would undo clawav")
    .option("-p, --profile <name>", "the agent profile to watch with (clawav profiles list)")
    .option("--harden <list>", `kernel settings to apply, comma-separated: ${HARDEN.join(", ")} (none by default: modules and audit-lock hold until reboot)`)
    .option("--layers <list>", `only these layers, comma-separated (${LAYERS.join(", ")})`)
    .option("--skip <list>", "leave these layers out, comma-separated")
    .option("-n, --dry-run", "print every step of every layer and change nothing")
    .addHelpText("after", "\nThe admin key is made here and shown once; clawav uninstall asks for it. What was done is recorded in /etc/clawav/installed.json (clawav status reads it).")
    .action((o: { agent: string[]; agentUnit?: string; profile?: string; harden?: string; layers?: string; skip?: string; dryRun?: boolean }) => {
      if (!o.dryRun && process.getuid?.() !== 0) throw new UserError("install needs root (sudo clawav install ...); --dry-run shows the steps without it", EXIT.NOPERM);
      const agents = o.agent.map(agentUser);
      if (o.profile !== undefined && !profileNames().includes(o.profile)) throw new UserError(`--profile: no profile "${o.profile}" (clawav profiles list)`, EXIT.DATAERR);
      if (o.agentUnit !== undefined && !/^[\w@.-]+\.service$/.test(o.agentUnit)) throw new UserError(`--agent-unit: "${o.agentUnit}" is not a unit name like openclaw.service`, EXIT.USAGE);
      const harden = list<Harden>("--harden", o.harden, HARDEN);
      const chosen = o.layers !== undefined ? list<LayerName>("--layers", o.layers, LAYERS) : [...LAYERS];
      const skipped = list<LayerName>("--skip", o.skip, LAYERS);
      const only = new Set(chosen.filter((l) => !skipped.includes(l)));
      const node = realpathSync(process.execPath);
      // The unit and sudoers run node as root: a node the agent could replace is root for the agent.
      const why = untrustedReason(node);
      if (why && !o.dryRun) throw new UserError(`refusing: ${why}; the service and clawsudo run node as root, so it must be root's and writable by nobody else`);
      const previous = readManifest();
      const owned = ownedPaths(previous?.layers ?? []);
      owned.add(MANIFEST_FILE);
      const plans = planInstall({ source: PACKAGE_ROOT, node, agents, profile: o.profile, agentUnit: o.agentUnit, harden, places: DEFAULT_PLACES, showKey: (k) => say(`\n  clawav admin key (shown this once; only its Argon2id hash is kept):\n\n    ${k}\n\n  Keep it in a password manager: clawav uninstall and clawav admin ask for it.\n`) }, only, owned);
      if (o.dryRun) {
        say(`clawav install --dry-run (${VERSION} from ${PACKAGE_ROOT}); nothing is changed`);
        for (const p of plans) {
          if (p.state !== "apply") say(`[${p.name}] ${p.state}: ${p.why}`);
          else for (const s of p.steps) say(`[${p.name}] ${s.what}`);
        }
        say(`[record] write ${MANIFEST_FILE}`);
        return;
      }
      const records: LayerRecord[] = [];
      const done: Undo[] = [];
      let failure: string | undefined;
      for (const p of plans) {
        if (failure) break;
        if (p.state !== "apply") {
          records.push({ name: p.name, state: p.state, why: p.why, undo: [] });
          continue;
        }
        const undo: Undo[] = [];
        for (const s of p.steps) {
          say(`install: [${p.name}] ${s.what}`);
          try {
            undo.push(...s.run());
          } catch (e) {
            failure = `[${p.name}] ${e instanceof Error ? e.message : String(e)}`;
            break;
          }
        }
        done.push(...undo);
        records.push({ name: p.name, state: "applied", undo });
      }
      if (failure && !previous) {
        // A first install that failed takes back what it did: the machine is as it was.
        say(`install: failed: ${failure}; taking back what was done`);
        const errors = undoAll(done, (l) => say(`install: undo: ${l}`));
        for (const e of errors) process.stderr.write(`clawav: install: undo: ${e}\n`);
        throw new UserError(`install failed: ${failure}; nothing of it is left${errors.length > 0 ? ` but for the ${errors.length} undo error(s) above` : ""}`, EXIT.SOFTWARE);
      }
      // Installing again: each layer keeps what the earlier install recorded too.
      const layers = LAYERS.map((name) => {
        const now = records.find((r) => r.name === name);
        const before = previous?.layers.find((r) => r.name === name);
        if (!now) return before ?? { name, state: "skipped" as const, why: "not reached (the install failed before it)", undo: [] };
        return before ? { ...now, undo: mergeUndo(before.undo, now.undo), ...(now.state !== "applied" && before.state === "applied" ? { state: "applied" as const, why: undefined } : {}) } : now;
      });
      const manifest: Manifest = { version: VERSION, installed_at: new Date().toISOString(), prefix: DEFAULT_PLACES.prefix, agents: agents.map((a) => a.name), profile: o.profile ?? null, state_dir: DEFAULT_PLACES.stateDir, layers };
      writeManifest(manifest, layers.find((l) => l.name === "immutable")?.state === "applied");
      summary(layers);
      if (failure) throw new UserError(`install failed: ${failure}; what was done is in ${MANIFEST_FILE} (clawav uninstall takes it back, or fix it and install again)`, EXIT.SOFTWARE);
      say(`\nclawav ${VERSION} installed; record in ${MANIFEST_FILE}. clawav status shows its state.`);
    });

  program
    .command("uninstall")
    .description("take back every layer of clawav install (root, with the admin key: asked on the terminal or --key-fd)")
    .option("--key-fd <n>", "read the admin key from this file descriptor (e.g. --key-fd 3 3<keyfile), not the terminal")
    .option("--keep-state", "keep the state folder (the audit chain, keys) for forensics")
    .option("-n, --dry-run", "print what would be taken back and change nothing")
    .action(async (o: { keyFd?: string; keepState?: boolean; dryRun?: boolean }) => {
      if (!o.dryRun && process.getuid?.() !== 0) throw new UserError("uninstall needs root and the admin key", EXIT.NOPERM);
      const m = readManifest();
      if (!m) throw new UserError(`clawav is not installed here (${MANIFEST_FILE} is missing)`, EXIT.UNAVAILABLE);
      const undo = m.layers.flatMap((l) => l.undo).filter((u) => !(o.keepState && u.do === "remove" && (u.path === m.state_dir || u.path.startsWith(`${m.state_dir}/`))));
      if (o.dryRun) {
        for (const u of [...undo].reverse()) say(`[undo] ${JSON.stringify(u)}`);
        say(`[undo] remove ${MANIFEST_FILE}`);
        return;
      }
      const key = await readKey(o.keyFd);
      // A running daemon judges the key (a wrong one is an alert, and three lock the client out)
      // and records the uninstall before it stops; with none running, the stored hash decides.
      const socket = join(DEFAULT_PLACES.runDir, "admin.sock");
      let asked = false;
      if (existsSync(socket)) {
        const r = await ask(socket, { key, command: "uninstall", args: {} }).catch(() => undefined);
        if (r && !r.ok) throw new UserError(`uninstall refused: ${r.error}`, EXIT.NOPERM);
        asked = r !== undefined;
      }
      if (!asked) {
        const h = loadAdminHash(join(m.state_dir, "admin-key.hash"));
        if (!h) throw new UserError(`no admin key hash in ${m.state_dir}: cannot prove the key (clawav admin keygen makes a new one)`, EXIT.NOPERM);
        if (!verifyAdminKey(key, h)) throw new UserError("wrong key", EXIT.NOPERM);
      }
      say(`uninstall: the admin key is right${asked ? " (the running daemon recorded the uninstall and stops)" : ""}`);
      if (!existsSync("/run/systemd/system") && asked) await new Promise((r) => setTimeout(r, 1500));
      const errors = undoAll(undo, (l) => say(`uninstall: ${l}`));
      setImmutable(MANIFEST_FILE, false);
      rmSync(MANIFEST_FILE, { force: true });
      for (const e of errors) process.stderr.write(`clawav: uninstall: ${e}\n`);
      if (errors.length > 0) throw new UserError(`uninstall finished with ${errors.length} error(s) above`, EXIT.SOFTWARE);
      say(`uninstall: done${o.keepState ? `; ${m.state_dir} kept` : ""}`);
    });

  program
    .command("status")
    .description("what clawav install put in place, whether each part is still as installed, the service's state and the daemon's last heartbeat (no daemon needed)")
    .option("--json", "as JSON")
    .action((o: { json?: boolean }) => {
      const m = readManifest();
      if (!m) throw new UserError(`clawav is not installed here (${MANIFEST_FILE} is missing): sudo clawav install`, EXIT.UNAVAILABLE);
      const immutableLost = m.layers
        .flatMap((l) => l.undo)
        .filter((u): u is Extract<Undo, { do: "mutable" }> => u.do === "mutable")
        .filter((u) => existsSync(u.path) && isImmutable(u.path) === false)
        .map((u) => u.path);
      const missing = m.layers
        .flatMap((l) => l.undo)
        .filter((u): u is Extract<Undo, { do: "remove" }> => u.do === "remove")
        .filter((u) => !existsSync(u.path))
        .map((u) => u.path);
      const systemd = existsSync("/run/systemd/system");
      const service = systemd ? (spawnSync("systemctl", ["is-active", UNIT_NAME], { encoding: "utf8" }).stdout.trim() || "unknown") : "systemd is not running here";
      let beat: { ts: number; pid: number; events: number; alerts: number; stopped: boolean } | undefined;
      try {
        beat = JSON.parse(readFileSync(join(m.state_dir, "heartbeat.json"), "utf8")) as typeof beat;
      } catch {
        beat = undefined;
      }
      const ageS = beat ? Math.round((Date.now() - beat.ts) / 1000) : undefined;
      if (o.json) {
        say(JSON.stringify({ version: m.version, installed_at: m.installed_at, agents: m.agents, profile: m.profile, layers: m.layers.map((l) => ({ name: l.name, state: l.state, ...(l.why ? { why: l.why } : {}) })), tampered: { immutable_flag_gone: immutableLost, missing }, service, heartbeat: beat ? { ...beat, age_s: ageS } : null }, null, 2));
      } else {
        say(`clawav ${m.version}, installed ${m.installed_at}${m.agents.length > 0 ? ` for ${m.agents.join(", ")}` : ""}${m.profile ? ` (profile ${m.profile})` : ""}`);
        summary(m.layers.map((l) => ({ name: l.name, state: l.state, why: l.why })));
        say(`\nservice: ${service}`);
        say(beat ? `last heartbeat: ${ageS} s ago (pid ${beat.pid}, ${beat.events} events, ${beat.alerts} alerts)${beat.stopped ? ", written as it stopped" : ""}` : "last heartbeat: none (the daemon has not run since the install)");
        for (const p of immutableLost) say(`TAMPERED: ${p} is no longer immutable (chattr -i was run on it)`);
        for (const p of missing) say(`MISSING: ${p}`);
      }
      if (immutableLost.length > 0 || missing.length > 0) process.exitCode = EXIT.FINDINGS;
    });
}
