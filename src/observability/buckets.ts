/**
 * Latency buckets (seconds): milliseconds on a warm pipeline up to ten minutes behind. A file of
 * its own so the product model (latency SLOs must sit on a bucket) reads it without prom-client.
 */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
