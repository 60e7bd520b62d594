#!/usr/bin/env node
// The CLI runs from the compiled TypeScript in dist/ (built by `npm install` / `npm run build`).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv);
