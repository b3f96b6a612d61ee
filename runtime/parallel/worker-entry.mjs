// Worker threads start here: register tsx's loader (the sources are TypeScript, as for bin/mohawkc.mjs),
// then run the worker. The main thread may itself run under tsx, vitest or a bundle; this works for all.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
