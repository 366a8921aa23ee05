// The proxy's pure parts: the keys file's errors, the socket table's uid, the limits, the
// providers' error shapes and usage reports.
import { describe, expect, it } from "vitest";
import { hashKey, Limits, newVirtualKey, parseKeys, refusal, SseUsage, uidFromTcpTable, usageOf, type VirtualKey } from "../../src/proxy/index.js";

describe("the keys file", () => {
  const good = `[[key]]\nid = "a"\nhash = "${hashKey("clawav-vk-x")}"\nupstream = "anthropic"\nreal_key_env = "K"\n`;

  it("reads keys with their defaults", () => {
    expect(parseKeys(good, "keys.toml")).toEqual([{ id: "a", hash: hashKey("clawav-vk-x"), upstream: "anthropic", real_key_env: "K", revoked: false, rpm: 0, tokens_per_day: 0, models: [] }]);
  });

  it("names file, line and key of a mistake", () => {
    expect(() => parseKeys(`${good}\n[[key]]\nid = "b"\nhash = "md5:1"\nupstream = "openai"\nreal_key = "x"\n`, "keys.toml")).toThrow(/^keys\.toml:9: key\.1\.hash: sha256: and 64 hex digits/);
    expect(() => parseKeys(`${good}rpm = "many"\n`, "keys.toml")).toThrow(/^keys\.toml:6: key\.0\.rpm: /);
    expect(() => parseKeys(good + good, "keys.toml")).toThrow(/keys\.toml:7: key\.1\.id: "a" is used twice/);
    expect(() => parseKeys(`[[key]]\nid = "c"\nhash = "${hashKey("y")}"\nupstream = "o"\n`, "k.toml")).toThrow(/k\.toml:2: key\.0: exactly one of real_key and real_key_env/);
    expect(() => parseKeys("[[key]\n", "k.toml")).toThrow(/^k\.toml:1: TOML syntax/);
  });

  it("makes virtual keys that differ, with the prefix and 40 characters", () => {
    const a = newVirtualKey();
    expect(a).toMatch(/^clawav-vk-[A-Za-z0-9]{40}$/);
    expect(newVirtualKey()).not.toBe(a);
  });
});

describe("the socket table", () => {
  // Two ends of one loopback connection: the client (port 0xA1B2, uid 1001) and the proxy's accepted end (uid 0).
  const table = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:4958 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0000000000000000 100 0 0 10 0",
    "   1: 0100007F:A1B2 0100007F:4958 01 00000000:00000000 00:00000000 00000000  1001        0 101 1 0000000000000000 20 4 30 10 -1",
    "   2: 0100007F:4958 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 102 1 0000000000000000 20 4 30 10 -1",
  ].join("\n");
  it("names the uid of the client's end, not the server's", () => {
    expect(uidFromTcpTable(table, 0xa1b2, 0x4958)).toBe(1001);
    expect(uidFromTcpTable(table, 0xa1b3, 0x4958)).toBeUndefined();
  });
});

describe("limits", () => {
  const key = (over: Partial<VirtualKey>): VirtualKey => ({ id: "k", hash: "", upstream: "a", revoked: false, rpm: 0, tokens_per_day: 0, models: [], ...over });
  it("counts requests in a sliding minute and tokens in the UTC day", () => {
    let now = Date.UTC(2026, 11, 6, 23, 58, 0);
    const l = new Limits(() => now);
    const k = key({ rpm: 2, tokens_per_day: 100 });
    l.request("k");
    l.request("k");
    expect(l.check(k)).toMatch(/made 2 requests in the last minute/);
    now += 60_001;
    expect(l.check(k)).toBeUndefined();
    l.tokens("k", 60);
    l.tokens("k", 40);
    expect(l.check(k)).toMatch(/used 100 tokens today/);
    // The next UTC day starts again.
    now = Date.UTC(2026, 11, 7, 0, 1, 0);
    expect(l.check(k)).toBeUndefined();
    expect(l.now("k")).toEqual({ tokens_today: 0, requests_last_minute: 0 });
  });
});

describe("the providers", () => {
  it("refusals in each provider's error shape and status", () => {
    expect(refusal("anthropic", "rate_limit", "slow down")).toEqual({ status: 429, body: JSON.stringify({ type: "error", error: { type: "rate_limit_error", message: "slow down" } }) });
    expect(JSON.parse(refusal("openai", "authentication", "no").body)).toEqual({ error: { message: "no", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
    expect(refusal("openai", "permission", "x").status).toBe(403);
  });

  it("usage from whole answers and from streams, however the chunks fall", () => {
    expect(usageOf({ usage: { input_tokens: 3, output_tokens: 4 } })).toEqual({ input: 3, output: 4 });
    expect(usageOf({ usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } })).toEqual({ input: 5, output: 6 });
    const anthropic = 'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":11,"output_tokens":1}}}\n\nevent: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":7}}\n\n';
    for (const cut of [1, 17, 60, anthropic.length - 3]) {
      const s = new SseUsage();
      s.push(anthropic.slice(0, cut));
      s.push(anthropic.slice(cut));
      expect(s.usage).toEqual({ input: 11, output: 7 });
    }
    const responses = new SseUsage();
    responses.push('data: {"type":"response.completed","response":{"usage":{"input_tokens":17,"output_tokens":5}}}\n');
    expect(responses.usage).toEqual({ input: 17, output: 5 });
  });
});
