import type { Side } from '../message.js';
import type { TrafficSeries } from './traffic-series.js';

/** Sends and the events among them (failures, or sends slower than an edge) over a span of seconds. */
export interface Events {
  requests: number;
  events: number;
}

/** Events of one kind, per side, over any span of seconds (both ends included). */
export interface EventCount {
  requests(side: Side, from: number, to: number): number;
  events(side: Side, from: number, to: number): number;
}

export function failures(series: TrafficSeries): EventCount {
  return { requests: (side, from, to) => series.requests(side, from, to), events: (side, from, to) => series.errors(side, from, to) };
}

/** Sends slower than the bucket bound at `edgeIndex` (buckets past it), among the sends timed. */
export function slowerThan(series: TrafficSeries, edgeIndex: number): EventCount {
  return { requests: (side, from, to) => series.timed(side, from, to), events: (side, from, to) => series.slower(side, edgeIndex, from, to) };
}

export function eventsIn(count: EventCount, side: Side, from: number, to: number): Events {
  return { requests: count.requests(side, from, to), events: count.events(side, from, to) };
}

export const eventRate = (e: Events): number => (e.requests === 0 ? 0 : e.events / e.requests);

/** The rate minus `sigmas` standard errors, the variance scaled by the dispersion (0 with no data). */
export function lowerBound(events: number, requests: number, dispersion = 1, sigmas = 2): number {
  if (requests === 0) return 0;
  const p = events / requests;
  return Math.max(0, p - sigmas * Math.sqrt((dispersion * p * (1 - p)) / requests));
}
