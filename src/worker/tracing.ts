// Optional OpenTelemetry tracing: spans for every workflow run, activity and client call, linked
// into one trace per release, through the SDK's @temporalio/interceptors-opentelemetry plugin.
// On when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; the OTLP/HTTP
// exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself (headers, timeout, ...).
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

export const DEFAULT_SERVICE_NAME = 'release-promote-worker';

/**
 * The tracing plugin for spans handed to `spanProcessor` (tests pass an in-memory one). Workflow
 * spans reach it through the plugin's sink; activity and client spans through a tracer of our own
 * (the SDK's interceptors would otherwise use the global tracer provider, which nobody registers).
 */
export function tracingPlugin(
  spanProcessor: SpanProcessor,
  serviceName = process.env.OTEL_SERVICE_NAME || DEFAULT_SERVICE_NAME,
): OpenTelemetryPlugin {
  // Activities continue the workflow's trace from the W3C trace context the workflow puts in their
  // headers; the SDK's interceptors read it with the global propagator and make it the parent
  // through the global context manager: both must be set, once per process.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const resource = new Resource({ 'service.name': serviceName });
  const tracer = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] }).getTracer('release-promote');
  return new OpenTelemetryPlugin({ resource, spanProcessor, tracer });
}

/** Tracing as the environment asks for it: the OTLP endpoint it exports to, or null when off. */
export function tracingFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { plugin: OpenTelemetryPlugin; endpoint: string; shutdown: () => Promise<void> } | null {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return null;
  const processor = new BatchSpanProcessor(new OTLPTraceExporter());
  // shutdown flushes the spans still batched when the worker stops.
  return { plugin: tracingPlugin(processor), endpoint, shutdown: () => processor.shutdown() };
}
