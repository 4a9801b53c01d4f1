/** The disk-chain (DESIGN §7): preimages with refcounts and deposits, and the actors' current slabs. */

export { DiskError, type DiskErrorCode } from "./errors.ts";
export { createDisk, type Disk } from "./preimages.ts";
export { slabs } from "./slabs.ts";
