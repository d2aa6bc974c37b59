import type { ChildProcess } from 'node:child_process';

export declare const repoRoot: string;
export declare function readmeQuotes(readme: string): { file: string; code: string }[];
export declare function extractExample(readme: string, file: string): string;
export interface ExampleRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}
export declare function runExample(
  dir: string,
  code: string,
  options?: {
    args?: string[];
    env?: Record<string, string>;
    timeoutMs?: number;
    onStdout?: (all: string) => void;
    prefix?: string[];
    nodeArgs?: string[];
  },
): { child: ChildProcess; done: Promise<ExampleRun> };
