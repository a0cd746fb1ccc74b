// plan and apply compare the audit log's chain head with its newest row: a mismatch means rows were
// deleted or added outside upg (or an append was cut short and not completed yet). A cheap check — two
// reads — that points at `upg audit verify`, which checks the whole chain.

import { errorMessage } from "../errors.js";
import type { Store } from "../store/index.js";

export async function auditHeadWarning(store: Store): Promise<string | undefined> {
  try {
    const [head, last] = await Promise.all([store.auditHead(), store.listAudit({ limit: 1 })]);
    const newest = last[0];
    if (!head) return undefined; // a log from before heads existed: the next apply creates its head
    if (!newest && head.seq === 0) return undefined;
    if (!newest || newest.seq < head.seq)
      return `the audit log's head says row ${head.seq} is the newest, but ${newest ? `the newest row is ${newest.seq}` : "the log is empty"}: rows were deleted.`;
    if (newest.seq > head.seq)
      return `the audit log has rows after its head (row ${head.seq}; newest ${newest.seq}): an append was cut short (the next apply completes it) or rows were added outside upg.`;
    if (newest.hash !== head.hash)
      return `the audit log's newest row ${newest.seq} does not match its head's hash.`;
    return undefined;
  } catch (err) {
    return `could not check the audit log's head: ${errorMessage(err)}`;
  }
}
