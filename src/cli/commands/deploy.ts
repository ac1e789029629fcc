// rollout deploy: the deploy pipeline arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('deploy', 'the deploy pipeline');
