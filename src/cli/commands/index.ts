import type { Command } from "commander";
import { registerConfig } from "./config.js";
import { registerParseAudit } from "./parse-audit.js";
import { registerPolicy } from "./policy.js";
import { registerRules } from "./rules.js";
import { registerRun } from "./run.js";
import { registerVerifyAudit } from "./verify-audit.js";
import { registerReplay } from "./replay.js";
import { registerRelease } from "./release.js";
import { registerSeccomp } from "./seccomp.js";
import { registerApprove } from "./approve.js";
import { registerExec } from "./exec.js";
import { registerSudoers } from "./sudoers.js";
import { registerPreload } from "./preload.js";
import { registerSigma } from "./sigma.js";
import { registerProfiles } from "./profiles.js";
import { registerAdmin } from "./admin.js";
import { registerTui } from "./tui.js";
import { registerInstall } from "./install.js";
import { registerScan } from "./scan.js";
import { registerBaseline } from "./baseline.js";
import { registerPatterns } from "./patterns.js";
import { registerProxy } from "./proxy.js";

/** Each command lives in its own module; this is the one place that lists them. */
export function registerCommands(program: Command): void {
  registerConfig(program);
  registerParseAudit(program);
  registerPolicy(program);
  registerRules(program);
  registerRun(program);
  registerVerifyAudit(program);
  registerReplay(program);
  registerRelease(program);
  registerSeccomp(program);
  registerApprove(program);
  registerExec(program);
  registerSudoers(program);
  registerProfiles(program);
  registerPreload(program);
  registerSigma(program);
  registerAdmin(program);
  registerTui(program);
  registerInstall(program);
  registerScan(program);
  registerBaseline(program);
  registerPatterns(program);
  registerProxy(program);
}
