// Subcommands whose engine arrives in a later issue say so plainly, with exit 2: no fake success.
import { UsageError } from '../domain/errors.js';

/** A handler that refuses with one sentence naming what is missing. */
export function notAvailable(command: string, what: string): { run: () => Promise<never> } {
  return {
    run: async () => {
      throw new UsageError(`rollout ${command} is not available yet in this version: ${what} has not landed.`);
    },
  };
}
