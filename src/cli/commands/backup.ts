// rollout backup: the backup engine arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('backup', 'the backup engine');
