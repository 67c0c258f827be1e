#!/usr/bin/env node
// Launcher for the `sealmq` command: runs the TypeScript sources through tsx, so that a fresh
// clone needs no build step (`npm install && npm start`).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
