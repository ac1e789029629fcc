// rollout verify: the backup verifier arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('verify', 'the backup verifier');
