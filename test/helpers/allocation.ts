// Measures the largest single Buffer allocation a piece of code makes, for the codec fuzz tests'
// bound "no allocation beyond one frame". Buffer's allocators are wrapped only while `run` runs.

/** Runs `run` and returns its result with the size of the largest Buffer it allocated. */
export function withLargestAllocation<T>(run: () => T): { result: T; allocationMaxBytes: number } {
  let allocationMaxBytes = 0;
  const originals = { allocUnsafe: Buffer.allocUnsafe, alloc: Buffer.alloc, allocUnsafeSlow: Buffer.allocUnsafeSlow };
  const track =
    <F extends (size: number, ...rest: never[]) => Buffer>(f: F) =>
    (size: number, ...rest: never[]) => {
      allocationMaxBytes = Math.max(allocationMaxBytes, size);
      return f.call(Buffer, size, ...rest);
    };
  Buffer.allocUnsafe = track(originals.allocUnsafe) as typeof Buffer.allocUnsafe;
  Buffer.alloc = track(originals.alloc) as typeof Buffer.alloc;
  Buffer.allocUnsafeSlow = track(originals.allocUnsafeSlow) as typeof Buffer.allocUnsafeSlow;
  try {
    return { result: run(), allocationMaxBytes };
  } finally {
    Buffer.allocUnsafe = originals.allocUnsafe;
    Buffer.alloc = originals.alloc;
    Buffer.allocUnsafeSlow = originals.allocUnsafeSlow;
  }
}
