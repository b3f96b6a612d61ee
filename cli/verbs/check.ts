import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'check',
  summary: 'check',
  usage: 'usage: mohawkc check (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc check' is not implemented yet");
  },
};
