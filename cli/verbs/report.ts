import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'report',
  summary: 'report',
  usage: 'usage: mohawkc report (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc report' is not implemented yet");
  },
};
