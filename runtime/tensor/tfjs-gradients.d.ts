// Side-effect-only module built by scripts/bundle-tfjs-gradients.mjs.
declare module '*/vendor/tfjs-gradients.mjs';
