// The web dashboard's sessions without a browser: the lockout after three wrong keys from one
// address (others unaffected), the CSRF check, the cookie's flags, and that the page carries no
// inline script and escapes what it echoes.
import type { IncomingMessage } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureAdminKey } from "../../src/admin/index.js";
import { WebSessions } from "../../src/api/index.js";
import { cookieValue, page } from "../../src/api/web.js";

function sessions() {
  const dir = mkdtempSync(join(tmpdir(), "clawav-web-"));
  const hashFile = join(dir, "admin-key.hash");
  const key = ensureAdminKey(hashFile).created!;
  const lockouts: string[] = [];
  const w = new WebSessions({ hashFile, assetsDir: join(dir, "none"), secureCookie: false, onLockout: (c) => lockouts.push(c) });
  return { w, key, lockouts };
}
const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("web sessions", () => {
  it("three wrong keys lock that address out for an hour; another address and a later right key are judged apart", () => {
    const { w, key, lockouts } = sessions();
    const wrong = `OCAV-${"1".repeat(64)}`;
    expect(w.login("10.0.0.1", wrong)).toMatchObject({ ok: false, status: 403 });
    expect(w.login("10.0.0.1", wrong)).toMatchObject({ ok: false, status: 403 });
    expect(lockouts).toEqual([]);
    expect(w.login("10.0.0.1", wrong)).toMatchObject({ ok: false, status: 403 });
    expect(lockouts).toEqual(["10.0.0.1"]);
    expect(w.login("10.0.0.1", key)).toMatchObject({ ok: false, status: 429 });
    expect(w.login("127.0.0.1", key)).toMatchObject({ ok: true });
    expect(w.counts).toMatchObject({ login_failures: 3, lockouts: 1, locked_out_refused: 1, logins: 1 });
  });

  it("a session is its cookie; a POST needs its CSRF token; the cookie is HttpOnly and SameSite=Strict", () => {
    const { w, key } = sessions();
    const r = w.login("127.0.0.1", key);
    if (!r.ok) throw new Error(r.error);
    expect(w.cookie(r.sid)).toBe(`clawav_session=${r.sid}; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800`);
    const s = w.sessionOf(req({ cookie: `a=b; clawav_session=${r.sid}` }))!;
    expect(s.csrf).toBe(r.session.csrf);
    expect(w.sessionOf(req({ cookie: "clawav_session=forged" }))).toBeUndefined();
    expect(w.csrfOk(req({ "x-csrf-token": s.csrf }), s)).toBe(true);
    expect(w.csrfOk(req({}), s)).toBe(false);
    expect(w.csrfOk(req({ "x-csrf-token": "x".repeat(64) }), s)).toBe(false);
    expect(w.counts.csrf_refused).toBe(2);
    expect(cookieValue("x=1; clawav_session=abc=d", "clawav_session")).toBe("abc=d");
  });

  it("the page has no inline script and escapes the message it shows", () => {
    const html = page({ "app.js": "app.123.js", "app.css": "app.456.css" }, false, `<img src=x onerror=alert(1)>`);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).toContain("&#60;img src=x onerror=alert(1)&#62;");
    expect(page({ "app.js": "app.123.js" }, true)).toContain('<script type="module" src="/ui/assets/app.123.js"></script>');
  });
});
