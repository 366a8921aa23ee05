// A small authoritative DNS server on loopback for the tests: A and AAAA answers from a table
// the test changes, with the TTL it chooses. Never asks anyone else.
import { createSocket, type Socket } from "node:dgram";
import { isIPv4 } from "node:net";

export interface Answer {
  addresses: string[];
  ttl: number;
}

export class TestDnsServer {
  readonly table = new Map<string, Answer>();
  readonly queries: string[] = [];
  private sock: Socket | undefined;
  port = 0;

  async start(port = 0, host = "127.0.0.1"): Promise<this> {
    const s = createSocket("udp4");
    this.sock = s;
    s.on("message", (msg, rinfo) => {
      const reply = this.answer(msg);
      if (reply) s.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => s.bind(port, host, () => r()));
    this.port = s.address().port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.sock;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private answer(q: Buffer): Buffer | undefined {
    if (q.length < 12) return undefined;
    let i = 12;
    const labels: string[] = [];
    while (i < q.length && q[i]! > 0) {
      const n = q[i]!;
      labels.push(q.subarray(i + 1, i + 1 + n).toString("ascii"));
      i += n + 1;
    }
    const qEnd = i + 5;
    if (qEnd > q.length) return undefined;
    const qtype = q.readUInt16BE(i + 1);
    const name = labels.join(".").toLowerCase();
    this.queries.push(`${name}/${qtype}`);
    const entry = this.table.get(name);
    const want = entry?.addresses.filter((a) => (qtype === 1 ? isIPv4(a) : qtype === 28 ? a.includes(":") : false)) ?? [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(q.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8400 | (entry ? 0 : 3), 2); // response, authoritative; NXDOMAIN for unknown names
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(want.length, 6);
    const question = q.subarray(12, qEnd);
    const answers = want.map((addr) => {
      const rdata = qtype === 1 ? Buffer.from(addr.split(".").map(Number)) : ipv6Bytes(addr);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(entry!.ttl, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    return Buffer.concat([header, question, ...answers]);
  }
}

function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const parts = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const b = Buffer.alloc(16);
  parts.forEach((p, i) => b.writeUInt16BE(parseInt(p || "0", 16), i * 2));
  return b;
}
