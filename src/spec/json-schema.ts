// JSON Schema for plan files, generated from the zod schema so the two never disagree.

import { z } from "zod";
import { configFileSchema, planFileSchema } from "./schema.js";

export function planJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(planFileSchema, { io: "input", target: "draft-7" }),
    title: "upg plan file",
  };
}

export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configFileSchema, { io: "input", target: "draft-7" }),
    title: "upg project file (upg.config.yaml)",
  };
}
