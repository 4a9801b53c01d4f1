/** Types of model.js for the TypeScript tests (the dashboard itself is plain ES modules, no build step). */

import type { DashboardOverviewJson, PendingPovJson } from "../../src/rpc/dashboard-methods.ts";
import type { ActorJson, BlockJson, NodeInfoJson, PovJson } from "../../src/rpc/types.ts";

export interface Model {
  info: NodeInfoJson | null;
  blocks: BlockJson[];
  actors: Map<number, ActorJson>;
  overview: DashboardOverviewJson | null;
}
export interface Stage {
  core: number;
  pov: PovJson | null;
  actors: number[];
  gas: number;
}
export interface TimelineBlock {
  number: number;
  extrinsics: number;
  /** Fees paid to the block's author (decimal). */
  fees: string;
  cells: { status: string; pov: PovJson | PendingPovJson }[];
}
export const TIMELINE_BLOCKS: number;
export function createModel(): Model;
export function applyBlock(m: Model, block: BlockJson): void;
export function addOlderBlocks(m: Model, blocks: BlockJson[]): void;
export function setActors(m: Model, list: ActorJson[]): void;
export function latestBlock(m: Model): BlockJson | undefined;
export function stageView(m: Model): Stage[];
export function gasShare(used: string, budget: string): number;
export function backstage(m: Model): number[];
export function backers(m: Model): Set<number>;
export function timeline(m: Model): TimelineBlock[];
export function postcardEdges(
  overview: Pick<DashboardOverviewJson, "postcards"> | null,
): { from: number | null; to: number; count: number }[];
export function shortHash(h: string): string;
export function formatBytes(n: number): string;
export function formatGas(s: string): string;
export function formatAmount(s: string): string;
export function bytesToHex(bytes: Uint8Array): string;
export function normaliseHex(input: string): string;
export function hexText(hex: string): string | null;
export function hexU64(hex: string): string | null;
export function hueOf(codeHash: string): number;
