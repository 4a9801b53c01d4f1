/**
 * The network tests (issues 14, 15), in one file so vitest runs them one after another in one worker: each
 * starts four or more node processes, and two such networks at once on a 2-core machine would make
 * both miss their timings. Each part cleans up its processes, folders and namespaces.
 */
import "./loopback.net.ts";
import "./late-sync.net.ts";
import "./netns.net.ts";
import "./collators.net.ts";
