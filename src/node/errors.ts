import { CoreplayError } from "../errors.ts";

/** Failures of the node itself (bad options, a data dir in use, a stopped node). */
export class NodeError extends CoreplayError {
  override name = "NodeError";
}
