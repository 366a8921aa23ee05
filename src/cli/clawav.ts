#!/usr/bin/env node
import { EXIT } from "../errors/index.js";
import { main } from "./main.js";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`clawav: internal error: ${String(e)}\n`);
    process.exitCode = EXIT.SOFTWARE;
  },
);
