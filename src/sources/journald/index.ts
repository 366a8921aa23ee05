// The systemd journal as a source: journalctl's JSON entries, each a `log` event (auth for the
// auth and authpriv facilities, syslog for the rest), resumed by cursor across restarts.
export { JournaldSource, loadCursor as loadJournalCursor, type JournaldOptions } from "./source.js";
export { decodeBytes, parseJournalLine, type JournalParse } from "./parse.js";
