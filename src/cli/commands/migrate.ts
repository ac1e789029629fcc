// rollout migrate: the migration engine arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('migrate', 'the migration engine');
