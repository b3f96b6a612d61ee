import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'sample',
  summary: 'sample',
  usage: 'usage: mohawkc sample (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc sample' is not implemented yet");
  },
};
