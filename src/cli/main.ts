// Entry point of the `sealmq` command (bin/sealmq.js imports it): runs the CLI against the real
// process. Everything else lives in program.ts (the command line) and serve.ts (the composition root).
import { runCli } from './program.ts';

const passphrase = process.env.SEALMQ_ROOT_PASSPHRASE;
// The passphrase is read once and kept out of the environment of anything started later.
delete process.env.SEALMQ_ROOT_PASSPHRASE;

await runCli(process.argv, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: { ...process.env, ...(passphrase !== undefined ? { SEALMQ_ROOT_PASSPHRASE: passphrase } : {}) },
  exit: (code) => {
    process.exitCode = code;
    // Let stdout/stderr drain, then leave even if a handle is still open.
    setImmediate(() => process.exit(code));
  },
  onSignal: (signal, handler) => {
    process.on(signal, handler);
  },
});
