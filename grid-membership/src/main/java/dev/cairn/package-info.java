/**
 * What every Cairn module shares: the {@link dev.cairn.GridException} family and the injected {@link dev.cairn.Clock}.
 */
package dev.cairn;
