export { actionMatches, resourceMatches } from "./match.js";
export * from "./operations.js";
export * from "./policy.js";
