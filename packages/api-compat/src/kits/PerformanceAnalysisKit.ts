/** `@kit.PerformanceAnalysisKit`: `hilog`. @module */
export * as hilog from '../hilog.js';
