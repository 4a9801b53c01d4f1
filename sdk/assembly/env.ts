// Raw imports of the binary actor ABI, module "coreplay" (src/vm/abi.ts is the source of truth).
// Bytes cross as (pointer, length) into this actor's memory; use the typed wrappers in host.ts.

@external("coreplay", "input")
export declare function cp_input(ptr: usize, len: i32): i32;
@external("coreplay", "reply")
export declare function cp_reply(ptr: usize, len: i32): void;
@external("coreplay", "result")
export declare function cp_result(ptr: usize, len: i32): i32;
@external("coreplay", "yield")
export declare function cp_yield(): void;
@external("coreplay", "gas_left")
export declare function cp_gas_left(): i64;
@external("coreplay", "self_id")
export declare function cp_self_id(): i32;
@external("coreplay", "now")
export declare function cp_now(): i32;
@external("coreplay", "coscheduled")
export declare function cp_coscheduled(): i32;
@external("coreplay", "call_actor")
export declare function cp_call_actor(id: u32, ptr: usize, len: i32): i32;
@external("coreplay", "send")
export declare function cp_send(to: u32, ptr: usize, len: i32): i32;
@external("coreplay", "recv")
export declare function cp_recv(): i32;
@external("coreplay", "lookup")
export declare function cp_lookup(hashPtr: usize): i32;
@external("coreplay", "request")
export declare function cp_request(hashPtr: usize): i32;
@external("coreplay", "store")
export declare function cp_store(ptr: usize, len: i32, hashOut: usize): i32;
@external("coreplay", "release")
export declare function cp_release(hashPtr: usize): i32;
@external("coreplay", "balance")
export declare function cp_balance(outPtr: usize): void;
@external("coreplay", "transfer")
export declare function cp_transfer(to: u32, amountPtr: usize): i32;
@external("coreplay", "set_code")
export declare function cp_set_code(hashPtr: usize, carryPtr: usize, carryLen: i32): i32;
@external("coreplay", "log")
export declare function cp_log(ptr: usize, len: i32): void;
@external("coreplay", "fibre_spawn")
export declare function cp_fibre_spawn(entry: u32, arg: u32): i32;
@external("coreplay", "fibre_wait")
export declare function cp_fibre_wait(kind: i32, value: u32): i32;
@external("coreplay", "fibre_self")
export declare function cp_fibre_self(): i32;
