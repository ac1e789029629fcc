// rollout monitor: the T+60 monitor arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('monitor', 'the T+60 monitor');
