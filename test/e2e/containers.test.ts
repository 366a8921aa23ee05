// An agent that is a container, on the live daemon with real podman (crun) and the real auditd:
// its processes carry the container's id, name and image and are the agent's whoever they run as;
// a way out tried inside it quarantines it (the container is paused, and released again); the
// unprivileged test user reaching the engine's socket, or starting a container with the host's
// powers, is raised as what it is.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { IMAGE, containerState, podman, podmanUnavailable, removeContainer, startContainer } from "../helpers/podman.js";
import { auditdUsable, runAsUser, runCli, waitFor } from "../helpers/system.js";

const BOX = "clawav-agent-box";
const SOCK = "/run/podman/podman.sock";
const why = podmanUnavailable();

describe.skipIf(!auditdUsable() || why !== undefined)("an agent in a container (real podman, real auditd)", () => {
  let d: DaemonUnderTest;
  let service: ChildProcess | undefined;
  let boxId = "";
  let ownService = false;
  beforeAll(async () => {
    // The engine's API socket, so that clawav's audit rule for it is installed at start (its folder must exist).
    if (!existsSync(SOCK)) {
      // Searchable, as /run is for docker.sock: the socket itself (0600) is what refuses the user.
      mkdirSync(dirname(SOCK), { recursive: true, mode: 0o755 });
      service = spawn("podman", ["system", "service", "--time=0", `unix://${SOCK}`], { stdio: "ignore" });
      ownService = true;
      await waitFor("the podman API socket", () => (existsSync(SOCK) ? true : undefined), 20_000);
    }
    // Enforce mode, but only a rule's own quarantine (container.escape): the test user's critical
    // alerts here must not freeze the test user by trust (its processes would hang this and later tests).
    d = DaemonUnderTest.withTempState(["--mode", "enforce"], `[enforce]\nauto_quarantine = false\n\n[[agents]]\nname = "boxed"\ncontainer = "${BOX}"\n`);
    await d.start();
    boxId = startContainer(BOX);
  }, 60_000);
  afterAll(async () => {
    if (containerState(BOX) === "paused") podman(["unpause", BOX]);
    removeContainer(BOX);
    if (ownService) service?.kill("SIGTERM");
    const code = d ? (await d.stop()).code : 0;
    // Whatever this run froze is thawed, so no later test inherits it.
    const q = join(d?.stateDir ?? "/nonexistent", "quarantine.json");
    if (existsSync(q)) {
      const cfg = join(d.stateDir, "..", "thaw.toml");
      writeFileSync(cfg, `[general]\nstate_dir = "${d.stateDir}"\n`);
      for (const x of JSON.parse(readFileSync(q, "utf8")) as { agent: string }[]) await runCli(["release", x.agent, "--local", "--config", cfg]);
    }
    expect(code).toBe(0);
  });

  it("a process started in the container carries the container and is the agent's, though it runs as root", async () => {
    const marker = `box-${Date.now()}`;
    const ex = podman(["exec", BOX, "/bin/sh", "-c", `echo ${marker} >/dev/null; id`]);
    expect(ex.code, ex.err).toBe(0);
    const e = await d.waitEvent("the exec in the container", (x) => x.kind === "exec" && x.process?.comm === "sh" && x.process.argv.some((a) => a.includes(marker)));
    expect(e.process).toMatchObject({ uid: 0, agent: "boxed", container: { id: boxId, engine: "podman", name: BOX, image: IMAGE, privileged: false, host_mounts: [], host_namespaces: [] } });
    const st = await d.api<{ sources: unknown; enrichers?: Record<string, Record<string, number>> }>("/api/status");
    expect(JSON.stringify(st)).toContain('"containers"');
  });

  it("the engine's socket reached by the test user: a critical container.engine-socket", async () => {
    const r = await runAsUser("python3", ["-c", `import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect("${SOCK}")\nexcept OSError as e:\n    print(e.errno)\n`]);
    expect(r.code).toBe(0);
    const a = await d.waitAlert("the socket alert", (x) => x.rule === "container.engine-socket");
    expect(a).toMatchObject({ severity: "critical", category: "PRIV_ESC", event: { kind: "net", net: { family: "unix", path: SOCK }, process: { user: "clawavtest" } } });
  });

  it("a privileged container asked for by the test user: a critical container.risky-run", async () => {
    const r = await runAsUser("podman", ["run", "--privileged", "-v", "/:/host", "--help"]);
    expect(r.code).toBe(0);
    const a = await d.waitAlert("the run alert", (x) => x.rule === "container.risky-run" && x.event.process?.user === "clawavtest");
    expect(a.severity).toBe("critical");
    expect(a.summary).toMatch(/--privileged|\/:\/host/);
  });

  it("a way out tried inside it: container.escape, the container paused, and released by a person", async () => {
    // Through the agent's shell, as an agent runs commands. Not privileged: nsenter is refused, but trying is the act.
    // Not waited for here: the pause holds the shell until the release.
    const shell = spawn("podman", ["exec", BOX, "/bin/sh", "-c", "/bin/nsenter -t 1 -m -- /bin/true; sleep 1"], { stdio: "ignore" });
    const shellDone = new Promise<number | null>((res) => shell.on("exit", res));
    const esc = await d.waitAlert("the escape", (x) => x.rule === "container.escape");
    expect(esc).toMatchObject({ severity: "critical", action: "quarantine", event: { process: { agent: "boxed", container: { name: BOX } } } });
    expect(esc.summary).toContain(`in container ${BOX}`);
    const q = await d.waitAlert("the quarantine", (x) => x.rule === "agent-quarantined");
    expect(q.summary).toContain(`container ${BOX} paused`);
    expect(containerState(BOX)).toBe("paused");
    // A paused container runs nothing: the engine refuses an exec into it (async: a refusal, not a wait).
    expect(podman(["exec", BOX, "/bin/true"]).code).not.toBe(0);
    const cfg = join(d.stateDir, "..", "release.toml");
    writeFileSync(cfg, `[general]\nstate_dir = "${d.stateDir}"\n`);
    const port = (d.logs.find((l) => l.msg === "api listening") as { port: number }).port;
    const r = await runCli(["release", "boxed", "--config", cfg, "--api", `http://127.0.0.1:${port}`]);
    expect(r.stdout, r.stderr).toMatch(/^released boxed \(container-pause/);
    expect(containerState(BOX)).toBe("running");
    expect(await shellDone).toBe(0);
    expect(podman(["exec", BOX, "/bin/true"]).code).toBe(0);
  });
});
