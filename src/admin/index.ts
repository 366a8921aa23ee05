export { AdminSocket, type AdminCommands, type AdminReply, type AdminSocketOptions } from "./socket.js";
export { ensureAdminKey, hashAdminKey, loadAdminHash, newAdminKey, saveAdminHash, verifyAdminKey, KEY_FORMAT } from "./key.js";
export { peerOf, peerPidFromSs, type Peer } from "./peer.js";
export { Lockout } from "./lockout.js";
