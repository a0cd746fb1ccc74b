// The public face of src/live: the gateway over the SDK and the pure helpers around it.

export { createLiveGateway, type LiveGatewayOptions } from "./gateway.js";
export { type LivePlanSettings, normaliseUsagePlan, type UsagePlanLike } from "./normalise.js";
export { createPacer, type Pacer, type PacerClock, type PacerOptions } from "./pacer.js";
export { buildPatchOps, methodThrottleJson } from "./patch.js";
export type { LiveGateway, LiveReadScope, PatchOperation } from "./types.js";
