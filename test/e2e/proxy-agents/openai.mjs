// An agent using OpenAI's official SDK through the proxy: argv base URL, key, what to do.
// Prints one JSON line: what came back, or the error the SDK raised.
import OpenAI from "openai";

const [baseURL, apiKey, what, text = "hello"] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
try {
  if (what === "chat") {
    const r = await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: text }] });
    console.log(JSON.stringify({ ok: true, text: r.choices[0].message.content, usage: r.usage }));
  } else if (what === "chat-stream") {
    const s = await client.chat.completions.create({ model: "gpt-test", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: text }] });
    const deltas = [];
    let usage = null;
    for await (const c of s) {
      if (c.choices[0]?.delta?.content) deltas.push(c.choices[0].delta.content);
      if (c.usage) usage = c.usage;
    }
    console.log(JSON.stringify({ ok: true, deltas, usage }));
  } else if (what === "responses") {
    const r = await client.responses.create({ model: "gpt-test", input: text });
    console.log(JSON.stringify({ ok: true, text: r.output_text, usage: r.usage }));
  } else if (what === "responses-stream") {
    const s = await client.responses.create({ model: "gpt-test", input: text, stream: true });
    const deltas = [];
    for await (const ev of s) if (ev.type === "response.output_text.delta") deltas.push(ev.delta);
    console.log(JSON.stringify({ ok: true, deltas }));
  }
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.constructor.name, status: e.status ?? null, code: e.code ?? null, message: String(e.message) }));
}
