import { describe, expect, it } from "vitest";
import { createWatchedUsers } from "../../src/enrich/index.js";
import { defaultConfig, parseConfig } from "../../src/config/index.js";
import { UserError } from "../../src/errors/index.js";

describe("watched users", () => {
  const uidOf = (n: string) => ({ alice: 1005 })[n];
  it("defaults to every uid >= 1000 except clawav's own and the unset auid", () => {
    const w = createWatchedUsers(defaultConfig(), 1500, uidOf);
    expect([0, 999, 1000, 1500, 4294967295, 60000].map((u) => w.has(u))).toEqual([false, false, true, false, false, true]);
    expect(w.has(null)).toBe(false);
  });
  it("watches exact uids and names from watched_users", () => {
    const w = createWatchedUsers(parseConfig(`[general]\nwatched_users = ["1001", "alice"]\n`, "c"), 0, uidOf);
    expect([1000, 1001, 1005].map((u) => w.has(u))).toEqual([false, true, true]);
  });
  it("rejects an unknown user name with a message naming the key", () => {
    expect(() => createWatchedUsers(parseConfig(`[general]\nwatched_users = ["bob"]\n`, "c"), 0, uidOf)).toThrow(UserError);
    expect(() => createWatchedUsers(parseConfig(`[general]\nwatched_users = ["bob"]\n`, "c"), 0, uidOf)).toThrow(/general.watched_users: no such user "bob"/);
  });
  it("watch_all_users includes root but not clawav itself", () => {
    const w = createWatchedUsers(parseConfig(`[general]\nwatch_all_users = true\n`, "c"), 999, uidOf);
    expect([0, 999, 1000].map((u) => w.has(u))).toEqual([true, false, true]);
  });
});
