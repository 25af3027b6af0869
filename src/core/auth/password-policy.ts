import { err, ok, type Result } from '../result.ts';

/** The password policy, pure; hashing is the shell's (`auth/password-hash.ts`). */
export const PASSWORD_MIN_LENGTH = 10;
/** Long enough for any passphrase; the bound only keeps request bodies and hashing inputs sane. */
export const PASSWORD_MAX_LENGTH = 1024;

export interface PolicyViolation {
  rule: 'too_short' | 'too_long' | 'same_as_name' | 'one_character_class';
  reason: string;
}

type CharacterClass = 'lower-case letters' | 'upper-case letters' | 'digits' | 'uncased letters' | 'symbols';

const classOf = (ch: string): CharacterClass => {
  if (/\p{Ll}/u.test(ch)) return 'lower-case letters';
  if (/\p{Lu}/u.test(ch)) return 'upper-case letters';
  if (/\p{N}/u.test(ch)) return 'digits';
  // Scripts without case (Chinese, Japanese kana, Arabic…) form one class of their own.
  if (/\p{L}/u.test(ch)) return 'uncased letters';
  return 'symbols';
};

/**
 * The password policy: at least 10 characters (code points), more than one class of character
 * (lower case, upper case, digits, uncased letters, symbols and spaces), and not the user's name.
 * Answers the first rule broken, in words a person can act on.
 */
export const checkPasswordPolicy = (password: string, userName: string): Result<void, PolicyViolation> => {
  // Counted as hashed: a decomposed accent (e + ◌́) is one character, as in the composed spelling.
  const normalised = password.normalize('NFC');
  const chars = [...normalised];
  if (chars.length < PASSWORD_MIN_LENGTH)
    return err({
      rule: 'too_short',
      reason: `the password has ${chars.length} characters; at least ${PASSWORD_MIN_LENGTH} are required`,
    });
  if (chars.length > PASSWORD_MAX_LENGTH)
    return err({
      rule: 'too_long',
      reason: `the password has ${chars.length} characters; at most ${PASSWORD_MAX_LENGTH} are allowed`,
    });
  if (normalised.toLowerCase() === userName.normalize('NFC').toLowerCase())
    return err({ rule: 'same_as_name', reason: 'the password must not be the user name' });
  const classes = new Set(chars.map(classOf));
  const [only] = classes;
  if (classes.size === 1 && only !== undefined)
    return err({
      rule: 'one_character_class',
      reason: `the password consists only of ${only}; mix in another kind (lower case, upper case, digits, symbols)`,
    });
  return ok(undefined);
};
