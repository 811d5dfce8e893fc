/** The Raft-replicated lock service (issue 4). Empty until that issue lands. */
package dev.cairn.locks;
