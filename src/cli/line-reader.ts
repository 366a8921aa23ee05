import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { EXIT, UserError } from "../errors/index.js";
import { LineSplitter, type Line } from "../sources/auditd/index.js";

/**
 * Streams the lines of a file (or stdin for "-") in large chunks; a last line without its
 * newline is still delivered. A line longer than 512 KiB arrives as a LongLine (its length and
 * first bytes) and is never held whole; bytes that are not UTF-8 arrive as `\xNN`. A gzip file
 * (rotated logs often are) is read through gunzip, found by its magic bytes, not its name.
 */
export async function forEachLine(file: string, onLine: (line: Line) => void, onProgress?: (bytes: number) => void): Promise<void> {
  const stream = file === "-" ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  const lines = new LineSplitter();
  const batch: Line[] = [];
  let bytes = 0;
  try {
    for await (const chunk of maybeGunzip(stream as AsyncIterable<Buffer>, file)) {
      bytes += chunk.length;
      lines.push(chunk, batch);
      for (const l of batch) onLine(l);
      batch.length = 0;
      onProgress?.(bytes);
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") throw new UserError(`${file}: cannot read (${code})`, EXIT.NOINPUT);
    throw e;
  }
  lines.end(batch);
  for (const l of batch) onLine(l);
}

async function* maybeGunzip(src: AsyncIterable<Buffer>, file: string): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield first.value;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  };
  if (first.value.length < 2 || first.value[0] !== 0x1f || first.value[1] !== 0x8b) {
    yield* rest();
    return;
  }
  const gunzip = Readable.from(rest()).pipe(createGunzip());
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } catch (e) {
    throw new UserError(`${file}: starts as gzip but does not decompress (${(e as Error).message}); is it cut short?`);
  }
}
