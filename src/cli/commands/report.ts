// rollout report: rollout reports arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('report', 'rollout reports');
