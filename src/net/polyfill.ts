/**
 * `Promise.withResolvers` for Node 20 (libp2p 3 calls it; Node 22 has it). Imported by every process
 * entry that loads libp2p, before libp2p itself.
 */
const P = Promise as unknown as { withResolvers?: unknown };
if (typeof P.withResolvers !== "function") {
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (v: T | PromiseLike<T>) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    return { promise, resolve, reject };
  };
}

export {};
