// The banners no one can miss: TRAINING in training mode, PRODUCTION when changes are real.
import React from 'react';
import { Text } from './Text.js';

/** One banner line (or none for a plain live walk outside production). */
export function Banner({ training, production, env, dryRun }: { training: boolean; production: boolean; env: string; dryRun: boolean }): React.JSX.Element | null {
  if (training) return <Text inverse bold> TRAINING — dry-run on {env}, nothing is changed </Text>;
  if (production && !dryRun) return <Text inverse bold color="red"> !!! PRODUCTION — changes are real !!! </Text>;
  if (production) return <Text inverse bold color="yellow"> PRODUCTION (dry-run: nothing is changed) </Text>;
  if (dryRun) return <Text inverse> DRY-RUN on {env}: nothing is changed </Text>;
  return null;
}
