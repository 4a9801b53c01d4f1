/** blake2b-256 throughput (hash-wasm, src/crypto/blake2b.ts) on a 64 MiB buffer. */
import { blake2b256 } from "../src/crypto/blake2b.ts";
import { type Bench, median, round, timeMs } from "./lib.ts";

const bench: Bench = () => {
  const buf = new Uint8Array(64 << 20);
  for (let i = 0; i < buf.length; i += 4096) buf[i] = i & 0xff;
  blake2b256(buf);
  const ms = median([0, 1, 2].map(() => timeMs(() => blake2b256(buf))));
  const small = new Uint8Array(64);
  const n = 20_000;
  const us =
    (timeMs(() => {
      for (let i = 0; i < n; i++) blake2b256(small);
    }) *
      1000) /
    n;
  return [
    { name: "crypto.blake2b_mb_s", value: round((64 * 1.048576) / (ms / 1000)), unit: "MB/s" },
    { name: "crypto.blake2b_64mib_ms", value: round(ms), unit: "ms" },
    { name: "crypto.blake2b_64b_us", value: round(us), unit: "µs" },
  ];
};
export default bench;
