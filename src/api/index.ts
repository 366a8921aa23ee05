export { ApiServer, isLoopback, readJsonBody, type ApiOptions, type ApiState, type Route } from "./server.js";
export { Ring } from "./ring.js";
export { loadOrCreateToken, tokenMatches, checkToken } from "./token.js";
export { WebSessions, CSP, type WebOptions } from "./web.js";
