/** HTTP client for the sandbox's SNS admin endpoints (`/_sandbox/sns/…`). */
import type { SandboxSns } from "../types.js";
import type { SnsMessage } from "./state.js";

async function call(base: string, method: string, path: string): Promise<unknown> {
  const res = await fetch(`${base}/_sandbox/sns/${path}`, { method });
  const body = await res.text();
  if (!res.ok)
    throw new Error(`sandbox admin ${method} /_sandbox/sns/${path} failed (${res.status}): ${body}`);
  return body ? JSON.parse(body) : undefined;
}

/** `base` is the sandbox's API Gateway endpoint (the admin endpoints live there). */
export function createSnsAdmin(base: string, endpoint: string, topicArn: string): SandboxSns {
  return {
    endpoint,
    topicArn,
    messages: async () => (await call(base, "GET", "messages")) as SnsMessage[],
    clearMessages: async () => {
      await call(base, "DELETE", "messages");
    },
    reset: async () => {
      await call(base, "POST", "reset");
    },
  };
}
