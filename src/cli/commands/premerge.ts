// rollout premerge: pre-merge validation arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('premerge', 'pre-merge validation');
