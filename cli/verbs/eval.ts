import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'eval',
  summary: 'eval',
  usage: 'usage: mohawkc eval (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc eval' is not implemented yet");
  },
};
