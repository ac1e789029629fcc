// Subscribes to a monitor the moment it exists and keeps its folded state, so that a screen that
// mounts a moment later misses nothing (the monitor may emit "start" before React renders).
import type { MonitorEvent } from '../usecases/monitor.js';
import { journalHistory, readJournalText } from './monitor-history.js';
import { initialMonitor, monitorReducer, type MonitorUiEvent, type MonitorViewState } from './monitor-state.js';

/** What the monitor screen needs of the monitor service (src/usecases/monitor.ts's Monitor). */
export interface MonitorLike {
  subscribe(fn: (e: MonitorEvent) => void): () => void;
  requestRollback(note?: string, backup?: string): Promise<void>;
  extend(minutes: number): void;
  stop(): void;
  /** The monitor's own clock, when it is not the wall clock (training runs faster). */
  now?: () => number;
  /** A line saying what this monitor is (a training drill says so). */
  title?: string;
  /** Its journal: a resumed window is redrawn from it before the monitor runs. */
  readonly journalPath?: string;
}

/** The monitor's state as the screen reads it. */
export class MonitorFeed {
  readonly monitor: MonitorLike;
  private s: MonitorViewState;
  private readonly listeners = new Set<() => void>();
  private readonly off: () => void;

  constructor(monitor: MonitorLike, env: string, version?: string) {
    this.monitor = monitor;
    this.s = initialMonitor(env, version);
    // A resumed window (stand-alone or a walk's) is redrawn from its journal: the polls so far,
    // the chart and the events at their times; a new window's journal holds nothing yet.
    if (monitor.journalPath) for (const e of journalHistory(readJournalText(monitor.journalPath))) this.s = monitorReducer(this.s, e);
    this.off = monitor.subscribe((e) => this.dispatch(e));
  }

  /** The current state. */
  get state(): MonitorViewState {
    return this.s;
  }

  /** Fold an event (from the monitor, or a screen action). */
  dispatch(e: MonitorEvent | MonitorUiEvent): void {
    this.s = monitorReducer(this.s, e);
    for (const l of this.listeners) l();
  }

  /** Be told when the state changes. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Stop listening to the monitor. */
  close(): void {
    this.off();
  }
}
