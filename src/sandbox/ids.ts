import { randomBytes } from "node:crypto";

const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const MIXED_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Id lengths observed on AWS (reference §1.4). */
export const ID_LENGTH = {
  usagePlan: 6,
  apiKey: 10,
  restApi: 10,
  deployment: 6,
  resource: 10,
} as const;

/** Uniform random string over `alphabet` (rejection sampling, no modulo bias). */
export function randomString(length: number, alphabet: string): string {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A fresh `[a-z0-9]` id of the given length that `taken` does not already hold. */
export function newId(length: number, taken: (id: string) => boolean): string {
  for (;;) {
    const id = randomString(length, LOWER_ALNUM);
    if (!taken(id)) return id;
  }
}

/** A generated API key value: 40 chars `[A-Za-z0-9]`. */
export function newKeyValue(): string {
  return randomString(40, MIXED_ALNUM);
}
