// Falco's JSON output as its documentation gives it (Falco cannot be installed on this machine:
// these lines follow the documented format field by field; see the README).
import { describe, expect, it } from "vitest";
import { parseFalcoLine } from "../../../src/sources/falco/index.js";

const ctx = { id: () => "0000000000000001", nodeId: "n", now: 1_000 };
const line = (o: Record<string, unknown>) => JSON.stringify(o);
const READ_SHADOW = {
  hostname: "agent-box",
  output: "16:09:51.123456789: Warning Sensitive file opened for reading by non-trusted program (file=/etc/shadow gparent=bash ggparent=node evt_type=openat user=agent user_uid=1001 user_loginuid=-1 process=cat proc_exepath=/usr/bin/cat parent=bash command=cat /etc/shadow terminal=0)",
  output_fields: { "evt.time": "1699459791123456789", "evt.type": "openat", "fd.name": "/etc/shadow", "proc.cmdline": "cat /etc/shadow", "proc.exepath": "/usr/bin/cat", "proc.name": "cat", "proc.pid": 4242, "proc.ppid": 4241, "user.loginuid": -1, "user.name": "agent", "user.uid": 1001 },
  priority: "Warning",
  rule: "Read sensitive file untrusted",
  source: "syscall",
  tags: ["T1555", "container", "filesystem", "host", "maturity_stable", "mitre_credential_access"],
  time: "2023-11-08T16:09:51.123456789Z",
};

describe("parseFalcoLine", () => {
  it("an alert becomes an external event: the finding, Falco's fields, and the process they name", () => {
    const r = parseFalcoLine(line(READ_SHADOW), ctx);
    if (!r.ok) throw new Error(r.error);
    expect(r.event).toMatchObject({ kind: "external", source: "falco", ts: Date.parse("2023-11-08T16:09:51.123Z"), external: { tool: "falco", rule: "Read sensitive file untrusted", priority: "Warning", severity: "warning", tags: READ_SHADOW.tags } });
    expect(r.event.external!.fields!["fd.name"]).toBe("/etc/shadow");
    expect(r.event.process).toEqual({ pid: 4242, ppid: 4241, uid: 1001, auid: null, user: "agent", exe: "/usr/bin/cat", comm: "cat", argv: ["cat", "/etc/shadow"] });
  });
  it("priorities map onto severities: Emergency..Error critical, Warning warning, Notice..Debug info", () => {
    const sev = (priority: string) => {
      const r = parseFalcoLine(line({ ...READ_SHADOW, priority }), ctx);
      return r.ok ? r.event.external!.severity : r.error;
    };
    expect(["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug", "CRITICAL"].map(sev)).toEqual(["critical", "critical", "critical", "critical", "warning", "info", "info", "info", "critical"]);
    expect(sev("Severe")).toMatch(/^priority: want one of/);
  });
  it("an alert without output_fields has no process; one without time takes the time it was read", () => {
    const r = parseFalcoLine(line({ output: "x", priority: "Notice", rule: "Some rule" }), ctx);
    if (!r.ok) throw new Error(r.error);
    expect(r.event.process).toBeUndefined();
    expect(r.event.ts).toBe(1_000);
    expect(r.event.external!.tags).toEqual([]);
  });
  it("anything else is an error with the reason", () => {
    const err = (text: string) => {
      const r = parseFalcoLine(text, ctx);
      return r.ok ? "accepted" : r.error;
    };
    expect(err("16:09:51: Warning Sensitive file opened (text output, not json_output)")).toMatch(/^not JSON/);
    expect(err("[1,2]")).toBe("not a JSON object");
    expect(err(line({ ...READ_SHADOW, rule: "" }))).toBe("rule: want a string");
    expect(err(line({ ...READ_SHADOW, output: 5 }))).toBe("output: want a string");
    expect(err(line({ ...READ_SHADOW, time: "yesterday" }))).toBe("time: want an RFC 3339 time");
    expect(err(line({ ...READ_SHADOW, tags: ["a", 1] }))).toBe("tags: want a list of strings");
    expect(err(line({ ...READ_SHADOW, output_fields: { "proc.name": { nested: true } } }))).toBe("output_fields.proc.name: want a string, number, boolean or null");
  });
});
