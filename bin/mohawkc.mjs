#!/usr/bin/env node
// Entry point of `mohawkc`. The sources are TypeScript run through tsx's loader (no build step), so the
// bin works right after `npm ci`. Everything else lives in cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
