/**
 * The API types every Cairn module and every application share: the {@link dev.cairn.GridException} family, the injected
 * {@link dev.cairn.Clock}, and the value types a map is configured and written with ({@link dev.cairn.MapOptions},
 * {@link dev.cairn.StoreSizing}, {@link dev.cairn.Fence}). Engine packages appear in no application's imports.
 */
package dev.cairn;
