// Registers bin/ts-hooks.js for this thread. Import it first: `node --import ./bin/register.js x.ts`.
// Worker threads don't inherit hooks on Node 20, so worker bootstraps import this file too.
import { register } from "node:module";

register("./ts-hooks.js", import.meta.url);
