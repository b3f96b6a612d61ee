import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'explain',
  summary: 'explain',
  usage: 'usage: mohawkc explain (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc explain' is not implemented yet");
  },
};
