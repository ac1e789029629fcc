// rollout run: the runbook runner arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('run', 'the runbook runner');
