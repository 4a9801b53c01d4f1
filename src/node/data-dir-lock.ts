/**
 * One node per data dir (issue 13 §5): LMDB lets two processes open the same files, and two nodes on one
 * `--data-dir` both produced blocks. The lock is a `LOCK` file created exclusively, holding the owner's
 * pid; a lock whose process is gone (a `kill -9`) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { NodeError } from "./errors.ts";

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Dirs this process holds (a second node in the same process is refused too). */
const held = new Set<string>();

/**
 * Takes the data dir's lock, creating the dir if needed.
 *
 * @throws {NodeError} NODE_DATA_DIR_LOCKED when a live process holds it.
 * @example
 * const lock = lockDataDir(".coreplay");
 * // ... open the databases, run ...
 * lock.release();
 */
export function lockDataDir(dir: string): DataDirLock {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const path = join(root, "LOCK");
  if (held.has(path)) throw locked(root, process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw cannotLock(root, e);
      const owner = Number.parseInt(readOr(path), 10);
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw locked(root, owner);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  held.add(path);
  const release = () => {
    if (!held.delete(path)) return;
    process.off("exit", release);
    if (readOr(path).trim() === String(process.pid)) rmSync(path, { force: true });
  };
  process.on("exit", release);
  return { path, release };
}

const readOr = (path: string): string => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

const locked = (dir: string, pid: number) =>
  new NodeError("Data dir in use", {
    code: "NODE_DATA_DIR_LOCKED",
    details: `${dir} is used by another node (process ${pid})`,
    hint: `stop that node, or pass another --data-dir; if no node runs, delete ${join(dir, "LOCK")}`,
  });

const cannotLock = (dir: string, cause: unknown) =>
  new NodeError("Cannot lock the data dir", {
    code: "NODE_DATA_DIR",
    details: `${dir}: ${(cause as Error).message}`,
    hint: "check the directory's permissions, or pass another --data-dir",
    cause,
  });
