// The rest of `rollout verify`'s module graph, loaded by hot-verify.ts once the hashing thread is starting: hot.ts.
import './hot.js';
