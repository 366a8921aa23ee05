// The terminal dashboard's loop: it polls the daemon's API (alerts every second, status every
// two), reads keys in raw mode, and redraws the whole screen from the view's pure render. The
// terminal is restored however it ends.
import { callDaemon, describeFailure, type DaemonEndpoint } from "../../gate/index.js";
import { onKey, parseKeys, render, type ListedAlert, type TuiState } from "./view.js";

export async function runTui(ep: DaemonEndpoint, io: { input: NodeJS.ReadStream; output: NodeJS.WriteStream }): Promise<void> {
  const { input, output } = io;
  let s: TuiState = { tab: 0, alerts: [], selected: 0, filter: "", editing: false, paused: false, width: output.columns || 100, height: output.rows || 30 };
  const draw = () => output.write(`\x1b[H${render(s).join("\x1b[K\n")}\x1b[K\x1b[J`);
  const poll = async (what: "alerts" | "status") => {
    if (s.paused) return;
    try {
      if (what === "alerts") {
        const r = await callDaemon(ep, "GET", "/api/alerts?limit=500");
        if (r.status !== 200) throw new Error(`/api/alerts: HTTP ${r.status}`);
        s = { ...s, alerts: (r.body as { alerts: ListedAlert[] }).alerts, error: undefined };
      } else {
        const r = await callDaemon(ep, "GET", "/api/status");
        if (r.status !== 200) throw new Error(`/api/status: HTTP ${r.status}`);
        s = { ...s, status: r.body, error: undefined };
      }
    } catch (e) {
      s = { ...s, error: `the daemon does not answer (${e instanceof Error && e.message.startsWith("/api") ? e.message : describeFailure(e)}); retrying` };
    }
    draw();
  };
  output.write("\x1b[?1049h\x1b[?25l");
  input.setRawMode?.(true);
  input.resume();
  const timers = [setInterval(() => void poll("alerts"), 1000), setInterval(() => void poll("status"), 2000)];
  const onResize = () => {
    s = { ...s, width: output.columns || s.width, height: output.rows || s.height };
    draw();
  };
  output.on("resize", onResize);
  try {
    await Promise.all([poll("alerts"), poll("status")]);
    await new Promise<void>((resolve) => {
      input.on("data", (b: Buffer) => {
        for (const k of parseKeys(b.toString("utf8"))) {
          const next = onKey(s, k);
          if (next === "quit") return resolve();
          s = next;
        }
        draw();
      });
      input.on("end", () => resolve());
    });
  } finally {
    for (const t of timers) clearInterval(t);
    output.off("resize", onResize);
    input.setRawMode?.(false);
    input.pause();
    output.write("\x1b[?25h\x1b[?1049l");
  }
}
