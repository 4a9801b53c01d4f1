// Every test process shares the disk cache of instrumented modules (src/node/instrument-cache.ts), as
// the node and its workers do: each example actor is instrumented once per run, not once per file.
import { installInstrumentCache } from "../src/node/instrument-cache.ts";

installInstrumentCache();
