#!/usr/bin/env node
// Launcher for the `sealmq` command: runs the TypeScript sources through tsx, so that a fresh
// clone needs no build step (`npm install && npm start`).
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// No allocation-site pretenuring: after a backlog (a deep queue filled and drained), V8 would keep
// allocating the per-message objects of the shared paths (store rounds, persister, deliveries)
// straight into the old generation, where they die young and cost mark-compacts and slower
// scavenges for the rest of the process's life (measured with bench:activemq: MQTT after the STOMP
// phases 40.7 us/msg in the broker with it, 34.4 without). Read at each collection, so it takes
// effect when set here; `node --allocation-site-pretenuring bin/sealmq.js` keeps it.
if (!process.execArgv.includes('--allocation-site-pretenuring')) setFlagsFromString('--no-allocation-site-pretenuring');

register();
await import('../src/cli/main.ts');
