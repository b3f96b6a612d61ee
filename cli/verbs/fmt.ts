import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'fmt',
  summary: 'fmt',
  usage: 'usage: mohawkc fmt (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc fmt' is not implemented yet");
  },
};
