import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'build',
  summary: 'build',
  usage: 'usage: mohawkc build (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc build' is not implemented yet");
  },
};
