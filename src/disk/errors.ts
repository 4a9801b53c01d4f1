import { CoreplayError } from "../errors.ts";

export type DiskErrorCode = "DISK_TOO_LARGE" | "DISK_NOT_HELD" | "DISK_OVER_QUOTA";

/** A refused disk operation (DESIGN §7). */
export class DiskError extends CoreplayError {
  override name = "DiskError";
  declare readonly code: DiskErrorCode;
  constructor(code: DiskErrorCode, shortMessage: string, details?: string) {
    const hint =
      code === "DISK_TOO_LARGE"
        ? "split the data into preimages under the configured bound"
        : code === "DISK_OVER_QUOTA"
          ? "reserve more disk for the actor (Reserve transaction)"
          : "only release what you stored";
    super(shortMessage, { code, details, hint });
  }
}
