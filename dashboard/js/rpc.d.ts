/** Types of rpc.js for the TypeScript tests. */
export class RpcCallError extends Error {
  code: string;
  hint?: string;
}
export interface Rpc {
  call(method: string, params?: unknown[]): Promise<unknown>;
  subscribe(method: string, params: unknown[], handler: (result: unknown) => void): void;
  close(): void;
}
export function createRpc(
  url: string,
  opts?: { onStatus?: (s: "connecting" | "open" | "closed") => void; onOpen?: () => void },
): Rpc;
