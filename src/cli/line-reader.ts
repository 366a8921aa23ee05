import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { EXIT, UserError } from "../errors/index.js";

/**
 * Streams the lines of a file (or stdin for "-") in large chunks; a last line without its
 * newline is still delivered. The callback gets each line and its 1-based number.
 */
export async function forEachLine(file: string, onLine: (line: string) => void, onProgress?: (bytes: number) => void): Promise<void> {
  const stream = file === "-" ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  const dec = new StringDecoder("utf8");
  let rest = "";
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      const text = rest + dec.write(chunk);
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        onLine(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
      onProgress?.(bytes);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") throw new UserError(`${file}: cannot read (${code})`, EXIT.NOINPUT);
    throw e;
  }
  rest += dec.end();
  if (rest.length > 0) onLine(rest);
}
