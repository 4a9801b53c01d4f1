/**
 * Every CLI command, one module each. A command module exports `register(program: Command)`.
 * Add a line here when you add a command.
 */
import type { Command } from "commander";

export const commandModules: Array<() => Promise<{ register(program: Command): void }>> = [
  () => import("./build.ts"),
  () => import("./play.ts"),
  () => import("./new.ts"),
  () => import("./dev.ts"),
  () => import("./deploy.ts"),
  () => import("./call.ts"),
  () => import("./send.ts"),
  () => import("./tx.ts"),
  () => import("./actor.ts"),
  () => import("./blocks.ts"),
  () => import("./logs.ts"),
  () => import("./validate.ts"),
  () => import("./test.ts"),
  () => import("./interface.ts"),
  () => import("./client.ts"),
  () => import("./keys.ts"),
  () => import("./mine.ts"),
  () => import("./snapshot.ts"),
  () => import("./revert.ts"),
  () => import("./set-balance.ts"),
  () => import("./disk.ts"),
  () => import("./pvm.ts"),
  () => import("./chain-spec.ts"),
  () => import("./node.ts"),
  () => import("./net.ts"),
];
