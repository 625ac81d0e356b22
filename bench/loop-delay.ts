/** Event-loop delay of a bench process, as every bench process samples it. */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Sampling interval of the event-loop delay histogram. */
export const LOOP_SAMPLE_MS = 5;

/** Delay since the monitor started or was last reset, in ms beyond the sampling interval. */
export interface LoopDelay {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export class LoopDelayMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });

  constructor() {
    this.histogram.enable();
  }

  reset(): void {
    this.histogram.reset();
  }

  stop(): void {
    this.histogram.disable();
  }

  // The histogram records each sampling timer's whole interval (an idle loop reads 5.2 ms at 5 ms),
  // so the delay is what lies beyond the interval.
  read(): LoopDelay {
    const beyondSample = (nanoseconds: number): number => Math.max(0, nanoseconds / 1e6 - LOOP_SAMPLE_MS);
    const { histogram } = this;
    return { mean: beyondSample(histogram.mean), p50: beyondSample(histogram.percentile(50)), p99: beyondSample(histogram.percentile(99)), max: beyondSample(histogram.max) };
  }
}

export function formatLoopDelay(delay: LoopDelay): string {
  return `mean ${delay.mean.toFixed(1)} ms, p50 ${delay.p50.toFixed(1)} ms, p99 ${delay.p99.toFixed(1)} ms, max ${delay.max.toFixed(1)} ms`;
}
