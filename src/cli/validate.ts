// `upg validate`: load plan files and the project file, print every problem.

import { renderDiagnosticsHuman, renderDiagnosticsJson } from "../render/diagnostics.js";
import { loadConfig } from "../spec/config.js";
import { hasErrors, sortDiagnostics } from "../spec/diagnostics.js";
import { DEFAULT_PLANS_DIR, loadSpecs } from "../spec/load.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat, styleFor } from "./output.js";

export interface ValidateOptions {
  paths: string[];
  output: string;
  strict: boolean;
  global: GlobalOptions;
}

export function runValidate(opts: ValidateOptions, io: Io): number {
  const format = parseFormat(opts.output, ["human", "json"]);
  const cfg = loadConfig(opts.global.configExplicit ? opts.global.config : undefined);
  const paths = opts.paths.length > 0 ? opts.paths : [DEFAULT_PLANS_DIR];
  const res = loadSpecs(paths, cfg.config, { cwd: process.cwd() });
  const none =
    res.files.length === 0 && res.diagnostics.length === 0
      ? [
          {
            severity: "error" as const,
            code: "no_plan_files",
            file: paths.join(", "),
            line: 1,
            col: 1,
            path: "",
            message: "No plan files (*.yaml, *.yml) found.",
            hint: "Check the path; `upg validate` with no argument reads plans/.",
          },
        ]
      : [];
  const diagnostics = sortDiagnostics([...cfg.diagnostics, ...res.diagnostics, ...none]);
  const failed = hasErrors(diagnostics) || (opts.strict && diagnostics.length > 0);
  if (format === "json") {
    io.stdout.write(renderDiagnosticsJson(diagnostics));
  } else {
    const stream = failed ? io.stderr : io.stdout;
    const style = styleFor(stream, io.env, opts.global.color);
    const summary = { files: res.files.length, plans: res.plans.length, strict: opts.strict };
    stream.write(renderDiagnosticsHuman(diagnostics, summary, style));
  }
  return failed ? 1 : 0;
}
