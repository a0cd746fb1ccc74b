// `upg report merge FILE...`: the -o json results of shards in, one fleet report out (human, markdown, JSON)
// with the combined exit code. Reads only files; needs no AWS access.

import { readFileSync } from "node:fs";
import { errorMessage, UserError } from "../errors.js";
import {
  MergeError,
  mergeReports,
  renderFleetHuman,
  renderFleetJson,
  renderFleetMarkdown,
} from "../render/merge.js";
import { parseSeverity } from "./drift-command.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat, styleFor } from "./output.js";

export interface ReportMergeOptions {
  files: string[];
  output: string;
  failOn: string;
  failOnPending: boolean;
  detailedExitcode: boolean;
  global: GlobalOptions;
}

function readShard(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`Cannot read ${file}: ${errorMessage(err)}`, {
      hint: "Name the JSON files the shards wrote (`upg drift -o json > FILE`).",
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UserError(`${file} is not JSON: ${errorMessage(err)}`, {
      hint: "Merge the -o json output of upg commands; human or markdown output cannot be merged.",
    });
  }
}

export function runReportMerge(opts: ReportMergeOptions, io: Io): number {
  const format = parseFormat(opts.output, ["human", "json", "markdown"]);
  const docs = opts.files.map((name) => ({ name, doc: readShard(name) }));
  let doc: ReturnType<typeof mergeReports>;
  try {
    doc = mergeReports(docs, {
      generatedAt: new Date().toISOString(),
      failOn: parseSeverity(opts.failOn),
      failOnPending: opts.failOnPending,
      detailedExitcode: opts.detailedExitcode,
    });
  } catch (err) {
    if (err instanceof MergeError) throw new UserError(err.message, { hint: err.hint });
    throw err;
  }
  if (format === "json") io.stdout.write(renderFleetJson(doc));
  else if (format === "markdown") io.stdout.write(renderFleetMarkdown(doc));
  else io.stdout.write(renderFleetHuman(doc, styleFor(io.stdout, io.env, opts.global.color)));
  return doc.exit_code;
}
