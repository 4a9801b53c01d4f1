/**
 * The node's libp2p identity: an ed25519 key kept in the data dir (`node-key`, libp2p protobuf), made on
 * first start, so a restarted node keeps its peer id.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { NetError } from "./errors.ts";

export const NODE_KEY_FILE = "node-key";

/**
 * @example const key = await loadOrCreateNodeKey("/tmp/n0"); // same peer id on every start
 */
export async function loadOrCreateNodeKey(dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, NODE_KEY_FILE);
  if (existsSync(path)) {
    try {
      return privateKeyFromProtobuf(readFileSync(path));
    } catch (cause) {
      throw new NetError("Unreadable node key", {
        code: "NET_BAD_KEY",
        details: `${path}: ${(cause as Error).message}`,
        hint: "delete the file to make a new identity (the node's peer id changes)",
        cause,
      });
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const key = await generateKeyPair("Ed25519");
  writeFileSync(path, privateKeyToProtobuf(key), { mode: 0o600 });
  return key;
}

export const peerIdOf = (key: PrivateKey): string => peerIdFromPrivateKey(key).toString();
