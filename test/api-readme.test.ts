// The repository README: any ts example it gains must get a test here; code in it tagged as another script
// language fails (it would never run). Today it shows only shell commands. The package READMEs have their own
// tests (test/kernel-readme.test.ts, test/loader-readme.test.ts, packages/*/src/readme.test.ts).
import { describeReadme } from "./support/readme.js";

describeReadme("README.md", {});
