// An agent using Anthropic's official SDK through the proxy: argv base URL, key, what to do.
// Prints one JSON line: what came back, or the error the SDK raised.
import Anthropic from "@anthropic-ai/sdk";

const [baseURL, apiKey, what, text = "hello"] = process.argv.slice(2);
const client = new Anthropic({ baseURL, apiKey, maxRetries: 0 });
try {
  if (what === "stream") {
    const stream = client.messages.stream({ model: "claude-test", max_tokens: 64, messages: [{ role: "user", content: text }] });
    const deltas = [];
    stream.on("text", (t) => deltas.push(t));
    const final = await stream.finalMessage();
    console.log(JSON.stringify({ ok: true, deltas, text: final.content[0].text, usage: final.usage }));
  } else {
    const m = await client.messages.create({ model: "claude-test", max_tokens: 64, messages: [{ role: "user", content: text }] });
    console.log(JSON.stringify({ ok: true, text: m.content[0].text, usage: m.usage }));
  }
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.constructor.name, status: e.status ?? null, type: e.error?.error?.type ?? null, message: String(e.message) }));
}
