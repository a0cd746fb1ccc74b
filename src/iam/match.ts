// IAM's wildcard matching, shared by the policy builder (to drop resources another one already covers)
// and the sandbox's policy evaluation: `*` is any run of characters (slashes included), `?` is one.

function globRegExp(pattern: string, flags: string): RegExp {
  const body = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, flags);
}

/** An IAM resource pattern against a resource ARN (case-sensitive, as IAM compares resources). */
export function resourceMatches(pattern: string, arn: string): boolean {
  return globRegExp(pattern, "s").test(arn);
}

/** An IAM action pattern (`dynamodb:Get*`, `*`) against an action; IAM compares actions case-insensitively. */
export function actionMatches(pattern: string, action: string): boolean {
  return globRegExp(pattern, "is").test(action);
}
