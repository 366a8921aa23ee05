import { z } from "zod";
import { readJsonBody, type Route } from "../api/index.js";

/** What `clawav exec` tells the daemon: which pid starts an agent's tree, its name and its uid. */
export const agentRegistration = z.strictObject({ pid: z.number().int().min(2), name: z.string().regex(/^[\w.@:+-]{1,64}$/), uid: z.number().int().min(0) });
export type AgentRegistration = z.infer<typeof agentRegistration>;

/** POST /api/gate/agents, behind the admin token: registering a tree decides what is judged as an agent's. */
export function agentRoutes(host: { register(a: AgentRegistration): void }): Route[] {
  return [
    {
      method: "POST",
      path: "/api/gate/agents",
      requireToken: true,
      handle: async (req) => {
        const r = agentRegistration.safeParse(await readJsonBody(req, 4096));
        if (!r.success) return { status: 400, body: { error: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") } };
        host.register(r.data);
        return { status: 200, body: { registered: r.data.name, pid: r.data.pid } };
      },
    },
  ];
}
