/** Test fixtures: an in-memory AccountLookup (excluded from the build with the rest of testing/). */
import type { AccountLookup, SmbAccount } from '../api.js';
import { ntHash } from '../ntlm/nt-hash.js';

export function testAccount(name: string, password: string, extra: Partial<SmbAccount> = {}): SmbAccount {
  return { name, ntHash: ntHash(password), uid: 1000, gid: 1000, gids: [1000, 27], enabled: true, ...extra };
}

/** Case-insensitive lookup over `accounts`, any domain, as the contract says. */
export function lookupFrom(accounts: SmbAccount[]): AccountLookup {
  return async (user) => accounts.find((a) => a.name.toLowerCase() === user.toLowerCase());
}
