// The admin key and the peer behind a unix socket: the key's format, its Argon2id hash (kept
// 0600, never the key), a constant-time check that refuses a near miss; the peer's pid and uid as
// the kernel gives them (ss, sock_diag), on a real socket.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureAdminKey, hashAdminKey, KEY_FORMAT, loadAdminHash, newAdminKey, peerOf, peerPidFromSs, verifyAdminKey } from "../../src/admin/index.js";

describe("the admin key", () => {
  it("is OCAV- and 64 hex digits, new each time", () => {
    const a = newAdminKey();
    expect(a).toMatch(KEY_FORMAT);
    expect(newAdminKey()).not.toBe(a);
  });

  it("is kept only as its Argon2id hash (0600), made once, and checked exactly", () => {
    const f = join(mkdtempSync(join(tmpdir(), "clawav-adminkey-")), "admin-key.hash");
    const { created } = ensureAdminKey(f);
    expect(created).toMatch(KEY_FORMAT);
    expect(ensureAdminKey(f)).toEqual({});
    expect(statSync(f).mode & 0o777).toBe(0o600);
    const text = readFileSync(f, "utf8");
    expect(text).not.toContain(created!.slice(5));
    const h = loadAdminHash(f)!;
    expect(h).toMatchObject({ alg: "argon2id", m: 19456, t: 2, p: 1 });
    expect(verifyAdminKey(created!, h)).toBe(true);
    const last = created!.at(-1) === "0" ? "1" : "0";
    expect(verifyAdminKey(created!.slice(0, -1) + last, h)).toBe(false);
    expect(verifyAdminKey(created!.toUpperCase(), h)).toBe(false);
    expect(verifyAdminKey("", h)).toBe(false);
    // Two hashes of one key differ (their salts), and each verifies it.
    const h2 = hashAdminKey(created!);
    expect(h2.hash).not.toBe(h.hash);
    expect(verifyAdminKey(created!, h2)).toBe(true);
    rmSync(f);
  });

  it("a hash file clawav did not write is an error naming it", () => {
    const f = join(mkdtempSync(join(tmpdir(), "clawav-adminkey-")), "h");
    writeFileSync(f, '{"alg":"md5"}');
    expect(() => loadAdminHash(f)).toThrow(`${f}: not an admin key hash clawav wrote`);
  });
});

describe("the peer of a unix socket", () => {
  it("reads the peer's pid from ss's lines (as this kernel's ss prints them)", () => {
    const ss = ["u_str ESTAB 0      0      /tmp/t.sock 315968 * 315967 users:((\"node\",pid=26190,fd=21))", "u_str ESTAB 0      0                * 315967 * 315968 users:((\"python3\",pid=4242,fd=20))"].join("\n");
    expect(peerPidFromSs(ss, "315968")).toBe(4242);
    expect(peerPidFromSs(ss, "999")).toBeUndefined();
  });

  it.skipIf(process.getuid?.() !== 0)("names this very process as the peer of its own connection, with its uid", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "clawav-peer-")), "s.sock");
    const got = new Promise<Awaited<ReturnType<typeof peerOf>>>((resolve) => {
      const srv = createServer((s) => {
        void peerOf(s).then((p) => {
          s.destroy();
          srv.close();
          resolve(p);
        });
      });
      srv.listen(path, () => createConnection(path).on("error", () => {}));
    });
    expect(await got).toEqual({ uid: 0, pid: process.pid, client: "uid:0" });
  });
});
