import { describe, expect, it } from "vitest";
import { findEscape } from "../../src/gate/clawsudo/escapes.js";

const denied = (exe: string, args: string[]) => findEscape(exe, args);
const cls = (exe: string, args: string[]) => findEscape(exe, args)?.class;

describe("GTFOBins escapes of allowed binaries", () => {
  it("pagers: always for less/more/man; journalctl, systemctl and git unless --no-pager", () => {
    for (const t of ["/usr/bin/less", "/usr/bin/more", "/usr/bin/man"]) expect(cls(t, ["/etc/hosts"]), t).toBe("pager");
    expect(denied("/usr/bin/journalctl", ["-u", "ssh"])?.reason).toContain("--no-pager");
    expect(denied("/usr/bin/journalctl", ["--no-pager", "-u", "ssh"])).toBeUndefined();
    expect(cls("/usr/bin/systemctl", ["status", "ssh"])).toBe("pager");
    expect(denied("/usr/bin/systemctl", ["--no-pager", "status", "ssh"])).toBeUndefined();
    expect(denied("/usr/bin/systemctl", ["--no-pager", "edit", "ssh"])?.reason).toContain("editor");
    expect(cls("/usr/bin/git", ["--no-pager", "-c", "core.pager=sh", "log"])).toBe("pager");
    expect(cls("/usr/bin/git", ["--no-pager", "help", "log"])).toBe("pager");
    expect(denied("/usr/bin/git", ["--no-pager", "log", "-1"])).toBeUndefined();
    expect(cls("/usr/bin/apt-get", ["-o", "APT::Update::Pre-Invoke::=/bin/sh", "update"])).toBe("pager");
    expect(cls("/usr/bin/apt", ["changelog", "bash"])).toBe("pager");
    expect(denied("/usr/bin/apt-get", ["update"])).toBeUndefined();
  });

  it("editors, whatever their build is called", () => {
    for (const t of ["/usr/bin/vim.basic", "/usr/bin/vi", "/usr/bin/nvim", "/usr/bin/nano", "/usr/bin/vim.tiny", "/usr/bin/ed"]) expect(cls(t, ["-c", "!sh"]), t).toBe("editor");
  });

  it("find -exec and friends, but not a plain find", () => {
    for (const o of ["-exec", "-execdir", "-ok", "-okdir", "-fprintf"]) expect(cls("/usr/bin/find", [".", o, "/bin/sh", ";"]), o).toBe("exec-option");
    expect(denied("/usr/bin/find", ["/var/log", "-name", "*.log", "-delete"])).toBeUndefined();
  });

  it("tar's command options, in every spelling", () => {
    for (const a of [["--checkpoint=1", "--checkpoint-action=exec=/bin/sh"], ["--to-command", "sh"], ["-I", "sh"], ["-Ish"], ["--use-compress-program=sh"]]) expect(cls("/usr/bin/tar", ["-cf", "/dev/null", "x", ...a]), a.join(" ")).toBe("exec-option");
    expect(denied("/usr/bin/tar", ["-czf", "/tmp/x.tgz", "/srv/data"])).toBeUndefined();
  });

  it("awk programs that run commands, and awk reading its program from elsewhere", () => {
    expect(cls("/usr/bin/mawk", ['BEGIN {system("/bin/sh")}'])).toBe("exec-option");
    expect(cls("/usr/bin/gawk", ['BEGIN {print "id" | "sh"}'])).toBe("exec-option");
    expect(cls("/usr/bin/awk", ['BEGIN {"id" | getline x}'])).toBe("exec-option");
    expect(cls("/usr/bin/awk", ["-f", "/tmp/prog.awk"])).toBe("exec-option");
    expect(denied("/usr/bin/awk", ["-F:", "{print $1}", "/etc/passwd"])).toBeUndefined();
  });

  it("sed's e and w commands", () => {
    expect(cls("/usr/bin/sed", ["-n", "1e id", "/etc/hostname"])).toBe("exec-option");
    expect(cls("/usr/bin/sed", ["s/x/id/e", "f"])).toBe("exec-option");
    expect(cls("/usr/bin/sed", ["-e", "w /etc/sudoers.d/x", "f"])).toBe("exec-option");
    expect(denied("/usr/bin/sed", ["-n", "s/foo/bar/p", "f"])).toBeUndefined();
  });

  it("command runners with a command, env included; env alone is fine", () => {
    expect(cls("/usr/bin/env", ["/bin/sh"])).toBe("command-runner");
    expect(cls("/usr/bin/env", ["FOO=1", "-u", "X", "bash"])).toBe("command-runner");
    expect(cls("/usr/bin/env", ["-S", "sh -c id"])).toBe("command-runner");
    expect(denied("/usr/bin/env", [])).toBeUndefined();
    expect(cls("/usr/bin/xargs", ["sh"])).toBe("command-runner");
    expect(cls("/usr/bin/timeout", ["5", "sh"])).toBe("command-runner");
    expect(cls("/usr/bin/nice", ["-n", "5", "bash"])).toBe("command-runner");
    expect(cls("/usr/bin/sudo", ["-s"])).toBe("command-runner");
  });

  it("shells and interpreters, versioned names included", () => {
    expect(cls("/usr/bin/bash", ["-c", "id"])).toBe("shell");
    expect(cls("/usr/bin/dash", [])).toBe("shell");
    expect(cls("/usr/bin/python3.11", ["-c", "import os"])).toBe("interpreter");
    expect(cls("/usr/bin/perl", ["-e", "exec '/bin/sh'"])).toBe("interpreter");
    expect(cls("/usr/bin/node", ["-e", "1"])).toBe("interpreter");
  });

  it("containers that get the host: bind mounts of /, the socket, privileged, host namespaces", () => {
    const d = (...a: string[]) => cls("/usr/bin/docker", a);
    expect(d("run", "-v", "/:/host", "alpine")).toBe("container");
    expect(d("run", "-v=/:/host", "alpine")).toBe("container");
    expect(d("run", "--volume=/etc:/e", "alpine")).toBe("container");
    expect(d("run", "--mount", "type=bind,source=/,target=/host", "alpine")).toBe("container");
    expect(d("run", "-v", "/var/run/docker.sock:/s", "alpine")).toBe("container");
    expect(d("run", "--privileged", "alpine")).toBe("container");
    expect(d("run", "--pid=host", "alpine")).toBe("container");
    expect(d("run", "--net", "host", "alpine")).toBe("container");
    expect(d("run", "--cap-add=SYS_ADMIN", "alpine")).toBe("container");
    expect(d("run", "--security-opt", "seccomp=unconfined", "alpine")).toBe("container");
    expect(d("run", "--rm", "-v", "/srv/app:/app", "alpine")).toBeUndefined();
    expect(d("ps")).toBeUndefined();
    expect(cls("/usr/bin/podman", ["container", "run", "-v", "/:/h", "x"])).toBe("container");
  });

  it("writes onto what decides who is root, after folding the path", () => {
    expect(cls("/usr/bin/cp", ["/tmp/x", "/etc/sudoers.d/agent"])).toBe("privilege-write");
    expect(cls("/usr/bin/tee", ["-a", "/etc/../etc/shadow"])).toBe("privilege-write");
    expect(cls("/usr/bin/dd", ["if=/tmp/x", "of=//etc//ld.so.preload"])).toBe("privilege-write");
    expect(cls("/usr/bin/ln", ["-sf", "/tmp/x", "/root/.ssh/authorized_keys"])).toBe("privilege-write");
    expect(cls("/usr/bin/chmod", ["u+s", "/usr/bin/find"])).toBe("privilege-write");
    expect(cls("/usr/bin/chmod", ["4755", "/tmp/sh"])).toBe("privilege-write");
    expect(denied("/usr/bin/chmod", ["0755", "/srv/app/run.sh"])).toBeUndefined();
    expect(denied("/usr/bin/cp", ["/srv/a", "/srv/b"])).toBeUndefined();
    expect(cls("/usr/bin/cat", ["/etc/shadow"])).toBe("privilege-write");
    expect(denied("/usr/bin/cat", ["/var/log/syslog"])).toBeUndefined();
  });

  it("option escapes of network tools", () => {
    expect(cls("/usr/bin/rsync", ["-e", "sh -c id", "a", "b"])).toBe("exec-option");
    expect(cls("/usr/bin/ssh", ["-o", "ProxyCommand=sh -c id", "x"])).toBe("exec-option");
    expect(cls("/usr/bin/zip", ["/tmp/z", "/etc/hostname", "-T", "-TT", "sh #"])).toBe("exec-option");
    expect(cls("/usr/bin/curl", ["file:///etc/shadow"])).toBe("file-read");
    expect(cls("/usr/bin/curl", ["-o", "/etc/cron.d/x", "http://127.0.0.1/"])).toBe("file-read");
    expect(denied("/usr/bin/curl", ["-fsS", "http://127.0.0.1/health"])).toBeUndefined();
  });

  it("leaves tools it does not know to the policy", () => {
    expect(denied("/usr/bin/id", ["-u"])).toBeUndefined();
    expect(denied("/usr/local/bin/my-tool", ["--exec", "x"])).toBeUndefined();
  });
});
