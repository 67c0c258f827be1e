// The PasswordHasher port on identity/'s broker-user password hashing (scrypt, PHC-style string), so
// the composition root can wire it in one line. The algorithm and its parameters are identity/'s.
import { hashPassword, type PasswordHashOptions } from '../../identity/password-hash.ts';
import type { PasswordHasher } from './ports.ts';

/** Broker-user passwords hashed with identity/password-hash.ts (tests may lower the cost). */
export function scryptPasswordHasher(options: PasswordHashOptions = {}): PasswordHasher {
  return { hash: (password) => hashPassword(password, options) };
}
