// `upg import`: plan files for live usage plans, written into a directory. Reads API Gateway (and the master
// records for --unmanaged); writes nothing to AWS. The files are built by src/spec/emit.ts.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { accountFromArn } from "../apply/saved-plan.js";
import { projectLabel } from "../diff/scope.js";
import { errorMessage, UserError } from "../errors.js";
import { emitPlanFiles, type ImportSelection } from "../spec/emit.js";
import { loadSpecs } from "../spec/load.js";
import { openDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat } from "./output.js";
import { loadConfigOnly } from "./project.js";
import { startSpinner } from "./spinner.js";

export interface ImportCommandOptions {
  global: GlobalOptions;
  ids: string[];
  names: string[];
  /** `k=v` each. */
  tags: string[];
  unmanaged: boolean;
  out: string;
  /** One file for every plan, with this name; undefined: one file per plan. */
  singleFile?: string;
  force: boolean;
  output: string;
}

function parseTags(tags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    const i = t.indexOf("=");
    if (i <= 0) throw new UserError(`--tag ${t} is not KEY=VALUE.`, { hint: "Write it as --tag team=edge." });
    out[t.slice(0, i)] = t.slice(i + 1);
  }
  return out;
}

export async function runImportCommand(opts: ImportCommandOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json"]);
  const selection: ImportSelection = {
    ids: opts.ids,
    names: opts.names,
    tags: parseTags(opts.tags),
    unmanaged: opts.unmanaged,
  };
  const { config, region } = loadConfigOnly(opts.global, io);
  const deps = await openDeps(opts.global, config, region);
  try {
    const spin = await startSpinner(io, `Reading API Gateway (${region})…`);
    let read: Awaited<ReturnType<typeof deps.live.readLive>>;
    let recordIds: string[] = [];
    let caller: string | undefined;
    try {
      read = await deps.live.readLive({
        ownershipTagKey: config.ownership_tag_key,
        recordIds: [],
        apiIds: [],
        apiNames: [],
        allKeys: true,
      });
      if (opts.unmanaged) {
        // Managed also means "a master record points at it": only the records can tell.
        recordIds = (await deps.store.listRecords()).flatMap((r) =>
          r.api_gateway_id ? [r.api_gateway_id] : [],
        );
      }
      caller = await deps.live.callerIdentity().catch(() => undefined);
    } finally {
      spin.stop();
    }
    // Another project's plans are never imported here (its repository declares them).
    const foreign = read.plans.filter((p) => p.project !== undefined && p.project !== config.project);
    for (const p of foreign.filter((x) => selection.ids?.includes(x.id))) {
      io.stderr.write(
        `Warning: left out ${p.id} (${p.settings.name}): it is owned by ${projectLabel(p.project)}; import it in that project's repository.\n`,
      );
    }
    read = { ...read, plans: read.plans.filter((p) => !foreign.includes(p)) };
    // Plan files already in --out keep their plan_ids: an imported plan never gets one of them.
    const declared = existsSync(opts.out) ? loadSpecs([opts.out], config).plans : [];
    const result = emitPlanFiles({
      live: read,
      recordIds,
      selection,
      declared: declared.map((d) => ({ planId: d.planId, name: d.name })),
      ...(opts.singleFile ? { singleFile: opts.singleFile } : {}),
      region,
      account: accountFromArn(caller),
      now: deps.clock().toISOString(),
    });
    if (result.errors.length > 0) {
      throw new UserError(result.errors.join("\n"), {
        hint: "Nothing was written. Choose plans with --id, --name, --tag or --unmanaged (see `upg import --help`).",
      });
    }
    // A plan another file in --out declares already is never imported a second time beside it.
    const elsewhere = result.files.flatMap((f) =>
      f.plans.flatMap((p) => {
        const d = declared.find((x) => x.planId === p.planId);
        return d && resolve(d.source.file) !== resolve(opts.out, f.name)
          ? [`${p.planId} (${p.name}) is declared in ${d.source.file} already`]
          : [];
      }),
    );
    if (elsewhere.length > 0) {
      throw new UserError(`${elsewhere.join("; ")}; nothing was written.`, {
        hint: "Leave it out of the import (--id, --name), or remove its declaration first.",
      });
    }
    const existing = result.files.map((f) => join(opts.out, f.name)).filter((p) => existsSync(p));
    if (existing.length > 0 && !opts.force) {
      throw new UserError(`Refusing to overwrite ${existing.join(", ")}; nothing was written.`, {
        hint: "Import into another --out directory, remove the files, or pass --force to overwrite them.",
      });
    }
    try {
      mkdirSync(opts.out, { recursive: true });
      for (const f of result.files) writeFileSync(join(opts.out, f.name), f.text);
    } catch (err) {
      throw new UserError(`Cannot write the plan files into ${opts.out}: ${errorMessage(err)}`, {
        hint: "Give --out a directory you can write to.",
      });
    }
    for (const w of result.warnings) io.stderr.write(`Warning: ${w}\n`);
    if (format === "json") {
      const files = result.files.map((f) => ({ path: join(opts.out, f.name), plans: f.plans }));
      io.stdout.write(`${JSON.stringify({ files, warnings: result.warnings }, null, 2)}\n`);
      return 0;
    }
    for (const f of result.files) {
      const what = f.plans.map((p) => `${p.planId} (${p.name}, ${p.apiGatewayId})`).join(", ");
      io.stdout.write(`Wrote ${join(opts.out, f.name)}: ${what}\n`);
    }
    const n = result.files.reduce((a, f) => a + f.plans.length, 0);
    io.stdout.write(
      `\nImported ${n} plan${n === 1 ? "" : "s"}. Next: \`upg validate\`, then \`upg plan --adopt\` and \`upg apply --adopt\` to bring ${n === 1 ? "it" : "them"} under upg (the adopt tags each plan and writes its master record; no setting changes).\n`,
    );
    return 0;
  } finally {
    deps.close();
  }
}
