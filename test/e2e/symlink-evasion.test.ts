import { describe, expect, it } from "vitest";
import { chownSync, mkdirSync, rmSync, symlinkSync, writeFileSync, lchownSync } from "node:fs";
import { join } from "node:path";
import { auditdUsable, runAsUser, TEST_USER, userIds } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { auditDev } from "../../src/enrich/index.js";

describe("watched files reached under another name", () => {
  it("formats a dev number as auditd does", () => {
    expect(auditDev(65024)).toBe("fe:00");
    expect(auditDev(2049)).toBe("08:01");
  });

  it.skipIf(!auditdUsable())("cat through a symlink to ~/.ssh/id_rsa is judged as reading the key", async () => {
    const u = userIds(TEST_USER);
    const ssh = join(u.home, ".ssh");
    mkdirSync(ssh, { recursive: true, mode: 0o700 });
    chownSync(ssh, u.uid, u.gid);
    writeFileSync(join(ssh, "id_rsa"), "KEY\n", { mode: 0o600 });
    chownSync(join(ssh, "id_rsa"), u.uid, u.gid);
    const link = join(u.home, `innocent-${Date.now()}.txt`);
    symlinkSync(join(ssh, "id_rsa"), link);
    lchownSync(link, u.uid, u.gid);
    const d = DaemonUnderTest.withTempState();
    await d.start();
    try {
      await runAsUser("cat", [link]);
      const a = await d.waitAlert("the key read through the link", (x) => x.category === "CRED_ACCESS" && x.event.file?.items.some((i) => i.named === link) === true);
      expect(a.event.file!.path).toBe(join(ssh, "id_rsa"));
    } finally {
      await d.stop();
      rmSync(link, { force: true });
    }
  });
});
