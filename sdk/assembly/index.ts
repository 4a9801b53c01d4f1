// The Coreplay actor SDK for AssemblyScript. See ../README.md.
export * from "./u128";
export * from "./codec";
export {
  CallStatus,
  HostError,
  CHECKPOINT_GAS,
  CallResult,
  Postcard,
  input,
  reply,
  yield_,
  gasLeft,
  checkpoint,
  selfId,
  now,
  coscheduled,
  isCoscheduled,
  callActor,
  send,
  recv,
  lookup,
  request,
  diskStore,
  diskStore as store,
  release,
  balance,
  transfer,
  setCode,
  log,
} from "./host";
export * from "./entry";
