// esbuild `inject`: free references to `process` in the bundle resolve to the stand-in.
import processShim from "./process.cjs";
export { processShim as process };
