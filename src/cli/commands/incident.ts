// rollout incident: incident records arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('incident', 'incident records');
