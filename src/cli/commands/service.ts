// rollout service: the embedded dhash service arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('service', 'the embedded dhash service');
