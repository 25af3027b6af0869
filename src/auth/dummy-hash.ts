import { randomBytes } from 'node:crypto';
import { DEFAULT_SCRYPT, hashPassword, type ScryptParams } from './password-hash.ts';

const dummies = new Map<string, Promise<string>>();

/**
 * A hash of a random password that nobody knows, made once per parameter set. Logins for
 * unknown names (or users without a password) are checked against it, so they cost the same
 * scrypt run as a wrong password and their timing does not reveal which names exist.
 */
export const dummyHash = (params: ScryptParams = DEFAULT_SCRYPT): Promise<string> => {
  const key = `${params.N}/${params.r}/${params.p}`;
  let hash = dummies.get(key);
  if (hash === undefined) {
    hash = hashPassword(randomBytes(16).toString('hex'), params);
    dummies.set(key, hash);
  }
  return hash;
};
