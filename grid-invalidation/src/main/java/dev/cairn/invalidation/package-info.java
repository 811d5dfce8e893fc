/** Near caches kept coherent by invalidation. Empty until its issue is filed and built. */
package dev.cairn.invalidation;
