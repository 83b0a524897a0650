/**
 * What a contender in a race is, and where the peer libraries come from: bench/peers/, a package of its own that
 * bench/run.mjs installs when missing (the project's own `npm ci` does not bring them).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Workload } from './workloads.js';

export interface Impl {
  /** Row label in the tables, and the contender's identity across workloads and Node versions. */
  name: string;
  /** Not applicable to this workload, or not available here: the reason, shown instead of a timing. */
  na?: string;
  /**
   * Untimed preparation, given the workload (data in the forms a user would already hold: tensors, number[][]
   * rows, wasm-resident copies). The views in `w` are valid for this call only: they are handed on to the next
   * contender after it.
   */
  setup?: (w: Workload) => void | Promise<void>;
  /**
   * The timed call: the mean loss (for the floors, whatever they compute), from this turn's views of the data.
   * Undefined from the first call: no mean to check (the accuracy column then reads —).
   */
  fn: (w: Workload) => number | undefined | Promise<number>;
  /** A floor: computes no loss, so it has no accuracy. */
  floor?: boolean;
  /** After setup: what ran, when it is worth saying (the backend xent chose, the ONNX graph's self-check). */
  note?: () => string | undefined;
  teardown?: () => void;
}

export const notApplicable = (name: string, na: string): Impl => ({ name, na, fn: () => NaN });

/** Thrown by a setup that finds its subject missing here (a build this runtime lacks): the row reads n/a, not error. */
export class Unavailable extends Error {}

let peersDir = '';

/** Set once per thread by the runner: the folder of bench/peers/package.json. */
export function setPeersDir(dir: string): void {
  peersDir = dir;
}

/** Whether a peer package is installed in bench/peers (the bench reports its rows n/a otherwise). */
export function hasPeer(name: string): boolean {
  return peersDir !== '' && existsSync(join(peersDir, 'node_modules', ...name.split('/'), 'package.json'));
}

/** A peer package, loaded through require from bench/peers (their Node entries are CommonJS, or offer one). */
export function requirePeer<T = unknown>(name: string): T {
  return createRequire(join(peersDir, 'package.json'))(name) as T;
}

export const peerPath = (...parts: string[]): string => join(peersDir, ...parts);

export const NOT_INSTALLED = 'not installed (bench/peers: npm ci --ignore-scripts there)';
