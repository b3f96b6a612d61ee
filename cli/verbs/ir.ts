import { UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';

// Placeholder until the verb lands (see README "What works today").
export const verb: Verb = {
  name: 'ir',
  summary: 'ir',
  usage: 'usage: mohawkc ir (not implemented yet)',
  async run() {
    throw new UserFacingError("'mohawkc ir' is not implemented yet");
  },
};
