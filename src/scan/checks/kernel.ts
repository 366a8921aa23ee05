// Kernel settings that narrow what an unprivileged agent can reach, and the CPU's own state.
import { fail, pass, some, unknown, type Check } from "../check.js";
import type { ScanContext } from "../context.js";

function atLeast(id: string, key: string, min: number, title: string, severity: Check["severity"], why: string, category: Check["category"] = "PRIV_ESC"): Check {
  return {
    id,
    title,
    severity,
    category,
    remedy: `echo '${key} = ${min}' > /etc/sysctl.d/90-hardening.conf && sysctl -p /etc/sysctl.d/90-hardening.conf (${why})`,
    run: (ctx) => {
      const v = ctx.sysctl(key);
      if (v === undefined) return unknown(`${key} is not in this kernel${ctx.live ? "" : " nor in the root's sysctl files"}`);
      const n = Number(v);
      return Number.isFinite(n) && n >= min ? pass(`${key} = ${v}`) : fail(`${key} = ${v} (want >= ${min})`);
    },
  };
}

export const KERNEL_CHECKS: Check[] = [
  {
    id: "kernel.ptrace-scope",
    title: "Yama restricts ptrace (an agent cannot attach to processes it did not start)",
    severity: "warning",
    category: "PRIV_ESC",
    remedy: "echo 'kernel.yama.ptrace_scope = 2' > /etc/sysctl.d/90-hardening.conf && sysctl -p /etc/sysctl.d/90-hardening.conf (or clawav install --harden ptrace); a kernel without Yama needs one built with it",
    run: (ctx) => {
      const v = ctx.sysctl("kernel.yama.ptrace_scope");
      if (v === undefined) return fail("Yama is not in this kernel (kernel.yama.ptrace_scope is missing): any process may ptrace another of the same user");
      return Number(v) >= 1 ? pass(`kernel.yama.ptrace_scope = ${v}`) : fail(`kernel.yama.ptrace_scope = ${v}: classic ptrace, a process may attach to any other of its user`);
    },
  },
  atLeast("kernel.kptr-restrict", "kernel.kptr_restrict", 1, "kernel pointers are hidden from unprivileged users", "warning", "kernel addresses help an exploit", "SIDE_CHAN"),
  atLeast("kernel.dmesg-restrict", "kernel.dmesg_restrict", 1, "the kernel log is root's only", "warning", "dmesg leaks addresses and clawav's own netfilter lines", "RECON"),
  atLeast("kernel.unprivileged-bpf", "kernel.unprivileged_bpf_disabled", 1, "unprivileged users cannot load eBPF programs", "critical", "eBPF from an unprivileged user is a common kernel attack surface"),
  {
    id: "kernel.unprivileged-userns",
    title: "unprivileged users cannot create user namespaces",
    severity: "warning",
    category: "PRIV_ESC",
    remedy: "echo 'kernel.unprivileged_userns_clone = 0' > /etc/sysctl.d/90-hardening.conf && sysctl -p /etc/sysctl.d/90-hardening.conf (rootless containers for the agent then stop working)",
    run: (ctx) => {
      const clone = ctx.sysctl("kernel.unprivileged_userns_clone");
      if (clone !== undefined) return clone === "0" ? pass("kernel.unprivileged_userns_clone = 0") : fail(`kernel.unprivileged_userns_clone = ${clone}: unshare -r gives any user a root of its own namespace`);
      const max = ctx.sysctl("user.max_user_namespaces");
      if (max !== undefined) return max === "0" ? pass("user.max_user_namespaces = 0") : fail(`user.max_user_namespaces = ${max} (and no kernel.unprivileged_userns_clone): any user may create user namespaces`);
      return unknown("neither kernel.unprivileged_userns_clone nor user.max_user_namespaces is readable");
    },
  },
  atLeast("kernel.perf-paranoid", "kernel.perf_event_paranoid", 2, "perf events are closed to unprivileged users", "warning", "perf_event_open is a side channel and an attack surface", "SIDE_CHAN"),
  {
    id: "kernel.modules-disabled",
    title: "no kernel module can be loaded any more (until reboot)",
    severity: "info",
    category: "PRIV_ESC",
    remedy: "clawav install --harden modules (kernel.modules_disabled = 1; load what the machine needs first)",
    run: (ctx) => {
      const v = ctx.sysctl("kernel.modules_disabled");
      if (v === undefined) return unknown("kernel.modules_disabled is not readable");
      return v === "1" ? pass("kernel.modules_disabled = 1") : fail("kernel.modules_disabled = 0: root can still load a module (a rootkit's way in)");
    },
  },
  atLeast("kernel.kexec-disabled", "kernel.kexec_load_disabled", 1, "no new kernel can be loaded with kexec (until reboot)", "warning", "kexec swaps the running kernel, and clawav's view with it"),
  {
    id: "fs.protected-links",
    title: "symlinks and hard links in shared folders cannot be used to trick root",
    severity: "warning",
    category: "PRIV_ESC",
    remedy: "echo 'fs.protected_symlinks = 1' >> /etc/sysctl.d/90-hardening.conf; echo 'fs.protected_hardlinks = 1' >> /etc/sysctl.d/90-hardening.conf; sysctl --system",
    run: (ctx) => {
      const s = ctx.sysctl("fs.protected_symlinks");
      const h = ctx.sysctl("fs.protected_hardlinks");
      if (s === undefined || h === undefined) return unknown("fs.protected_symlinks or fs.protected_hardlinks is not readable");
      return s === "1" && h === "1" ? pass("fs.protected_symlinks = 1, fs.protected_hardlinks = 1") : fail(`fs.protected_symlinks = ${s}, fs.protected_hardlinks = ${h}: a link an agent plants in /tmp can redirect a root program's write`);
    },
  },
  {
    id: "kernel.cpu-vulnerabilities",
    title: "the CPU's known side-channel flaws are mitigated",
    severity: "warning",
    category: "SIDE_CHAN",
    remedy: "update the kernel and the CPU microcode (apt-get install intel-microcode or amd64-microcode) and boot without mitigations=off",
    run: (ctx: ScanContext) => {
      const dir = "/sys/devices/system/cpu/vulnerabilities";
      const names = ctx.list(dir);
      if (names.length === 0) return unknown(`${dir} is not readable`);
      const bad = names.filter((n) => /^Vulnerable/i.test((ctx.read(`${dir}/${n}`) ?? "").trim())).map((n) => `${n}: ${(ctx.read(`${dir}/${n}`) ?? "").trim()}`);
      return bad.length === 0 ? pass(`${names.length} known flaws, none marked Vulnerable`) : fail(some(bad, 3));
    },
  },
];
