// The terminal dashboard's screen and keys as pure functions: what each tab shows for a state,
// how keys move through it, and that nothing an alert carries can steer the terminal.
import { describe, expect, it } from "vitest";
import { fit, onKey, parseKeys, render, visibleAlerts, type ListedAlert, type TuiState } from "../../src/cli/tui/view.js";

 
const plain = (lines: string[]) => lines.map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ""));
const alert = (i: number, o: Partial<ListedAlert> = {}): ListedAlert => ({
  event_id: i.toString(16).padStart(16, "0"), ts: Date.UTC(2026, 11, 6, 15, 0, i), severity: "warning", category: "RECON", rule: `rule.${i}`, engine: "behavior", summary: `summary ${i}`, action: "alert", node_id: "n", policy_version: "p", mitre: ["T1082"],
  event: { id: "0", ts: 0, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel", process: { pid: 100 + i, uid: 1001, euid: 1001, auid: null, argv: ["uname", "-a"], exe: "/usr/bin/uname", user: "agent", agent: "agent", lineage: [{ pid: 7, exe: "/usr/bin/bash" }] } },
  ...o,
});
const base = (o: Partial<TuiState> = {}): TuiState => ({ tab: 0, alerts: [alert(3, { severity: "critical", rule: "code.decode-exec" }), alert(2, { event: { ...alert(2).event, kind: "net", net: { family: "inet", address: "10.0.0.5", port: 443 } }, category: "DATA_EXFIL", rule: "net.tool-connect" }), alert(1)], selected: 0, filter: "", editing: false, paused: false, width: 100, height: 20, ...o });

describe("the dashboard's screen", () => {
  it("is exactly the terminal's height, the tabs on top and the keys at the bottom", () => {
    const lines = plain(render(base()));
    expect(lines).toHaveLength(20);
    expect(lines[0]).toMatch(/^clawav {2}1 Alerts {2}2 Network {2}3 Sources {2}4 Files {2}5 System {2}6 Agents/);
    expect(lines[19]).toContain("/ filter");
    expect(lines[2]).toMatch(/^15:00:03 critical code\.decode-exec/);
  });

  it("Network lists what went out; Sources, System and Agents the daemon's status", () => {
    expect(visibleAlerts(base({ tab: 1 })).map((a) => a.rule)).toEqual(["net.tool-connect"]);
    const status = {
      node_id: "box", mode: "enforce", version: "0.1.0", uptime_s: 12, queue: { length: 0, capacity: 65536, dropped: 0 }, pipeline: { events: 10, alerts: 3 },
      sources: [{ name: "auditd", state: "running" as const, events: 42, parse_errors: 1, drops: 0, kernel_lost: 2, fidelity: "kernel" as const, detail: "/var/log/audit/audit.log" }],
      enforce: { mode: "enforce", kills_ok: 1, kills_failed: 0, would_kill: 0, quarantined: [{ agent: "boxed", method: "container-pause", pids: 0, since: Date.UTC(2026, 11, 6, 15, 1, 0), reason: "rule container.escape" }], trust: { agent: 95, boxed: 20 } },
    };
    const src = plain(render(base({ tab: 2, status })));
    expect(src[3]).toMatch(/^auditd\s+running\s+42\s+1\s+2\s+\/var\/log\/audit\/audit\.log/);
    expect(plain(render(base({ tab: 4, status }))).join("\n")).toMatch(/queue\s+0\/65536, dropped 0/);
    const ag = plain(render(base({ tab: 5, status }))).join("\n");
    expect(ag).toMatch(/agent\s+95\s+running/);
    expect(ag).toMatch(/boxed\s+20\s+QUARANTINED \(container-pause\) since 15:01:00: rule container\.escape/);
    expect(plain(render(base({ paused: true, status })))[0]).toContain("box enforce  [PAUSED]");
  });

  it("the detail of an alert: its event, process, lineage and ATT&CK ids", () => {
    const d = plain(render(base({ detail: base().alerts[0] }))).join("\n");
    expect(d).toContain("code.decode-exec  critical RECON (behavior)");
    expect(d).toContain("ATT&CK: T1082");
    expect(d).toContain("← 7 /usr/bin/bash");
    expect(d).toContain('argv: ["uname","-a"]');
  });

  it("an alert's text cannot steer the terminal: control characters show as ?", () => {
    expect(fit("a\x1b[2Jb\nc", 10)).toBe("a?[2Jb?c  ");
    const lines = render(base({ alerts: [alert(1, { summary: "evil\x1b]0;title\x07" })] }));
    expect(lines[2]).not.toContain("\x1b]0;");
  });
});

describe("the dashboard's keys", () => {
  it("tabs by number and arrows, selection, filter, detail, pause and quit", () => {
    let s = base();
    const press = (...ks: Parameters<typeof onKey>[1][]) => {
      for (const k of ks) {
        const n = onKey(s, k);
        if (n === "quit") throw new Error("quit");
        s = n;
      }
    };
    press({ char: "3" });
    expect(s.tab).toBe(2);
    press("right", "right", "right", "right");
    expect(s.tab).toBe(0);
    press("left");
    expect(s.tab).toBe(5);
    press({ char: "1" }, "down", "down", "down");
    expect(s.selected).toBe(2);
    press({ char: "/" }, { char: "n" }, { char: "e" }, { char: "x" }, "backspace", { char: "t" }, "enter");
    expect([s.filter, s.editing, visibleAlerts(s).map((a) => a.rule)]).toEqual(["net", false, ["net.tool-connect"]]);
    press("enter");
    expect(s.detail?.rule).toBe("net.tool-connect");
    press("esc");
    expect(s.detail).toBeUndefined();
    press("esc");
    expect(s.filter).toBe("");
    press({ char: "p" });
    expect(s.paused).toBe(true);
    expect(onKey(s, { char: "q" })).toBe("quit");
  });

  it("reads arrows and keys from raw input, several in one read", () => {
    expect(parseKeys("\x1b[A\x1b[Bq\r\x1b\x7f/")).toEqual(["up", "down", { char: "q" }, "enter", "esc", "backspace", { char: "/" }]);
  });
});
