// Entry of `rollout verify`'s module graph (scripts/build.mjs HOT_GRAPHS: built apart from the
// shared graph and the other hot graphs, with only what verify always loads taken in eagerly): hot.ts.
import './hot.js';
