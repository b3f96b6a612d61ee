import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'train',
  summary: 'train',
  usage: 'usage: mohawkc train (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc train' is not implemented yet");
  },
};
