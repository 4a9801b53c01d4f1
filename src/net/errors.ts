/** The network layer's typed errors (src/errors.ts shape). */
import { CoreplayError } from "../errors.ts";

export type NetErrorCode =
  | "NET_NO_UNDO"
  | "NET_BAD_SPEC"
  | "NET_BAD_KEY"
  | "NET_BAD_OPTION"
  | "NET_REQUEST_FAILED"
  | "NET_IMPORT_FAILED"
  | "NET_STOPPED";

const NET_HINTS: Partial<Record<NetErrorCode, string>> = {
  NET_BAD_SPEC: "make one with `coreplay chain-spec --validators 4 > spec.json`",
  NET_BAD_KEY: "pass a key file written by `coreplay chain-spec` (keys/validator-N.json)",
  NET_REQUEST_FAILED: "the peer is down or misbehaving; the node tries another",
};

export class NetError extends CoreplayError {
  override name = "NetError";
  declare readonly code: NetErrorCode;
  constructor(
    shortMessage: string,
    opts: { code: NetErrorCode; details?: string; hint?: string; cause?: unknown },
  ) {
    super(shortMessage, { ...opts, hint: opts.hint ?? NET_HINTS[opts.code] });
  }
}
