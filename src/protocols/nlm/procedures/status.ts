import type { NlmStatus } from '../constants.js';
import { nlmStatusOf } from '../errors.js';

/** An FsError's NLM status; anything else is a bug and propagates (SYSTEM_ERR). */
export function statusOrThrow(e: unknown): NlmStatus {
  const stat = nlmStatusOf(e);
  if (stat === undefined) throw e;
  return stat;
}
