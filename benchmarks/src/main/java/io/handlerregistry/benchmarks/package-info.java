/**
 * Benchmarks and measurements of handler-registry; {@link io.handlerregistry.benchmarks.RunAll}
 * runs them all and writes BENCHMARKS.md (see benchmarks/run.sh).
 */
package io.handlerregistry.benchmarks;
