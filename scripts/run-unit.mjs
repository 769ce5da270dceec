// Unit tier: every test/unit/**/*.test.ts and test/fuzz/**/*.test.ts under node's test runner with
// tsx (node-tier.mjs). Node 20's --test takes no globs, so the files are listed here. Zero tests is
// a failure. `npm run test:unit -- test/unit/sfp` narrows the run to the given files or folders.
import { runTier, tierFiles } from './node-tier.mjs';

await runTier('unit', tierFiles('unit', ['test/unit', 'test/fuzz']));
