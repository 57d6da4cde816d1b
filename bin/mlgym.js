#!/usr/bin/env node
// Entry point for `npx mlgym`: runs the TypeScript CLI through tsx, so a checkout needs no build step.
require('tsx/cjs/api').register();
require('../scripts/cli.ts');
