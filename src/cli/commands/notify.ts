// rollout notify: the notification engine arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('notify', 'the notification engine');
