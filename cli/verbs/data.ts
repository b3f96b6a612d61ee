import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'data',
  summary: 'data',
  usage: 'usage: mohawkc data (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc data' is not implemented yet");
  },
};
