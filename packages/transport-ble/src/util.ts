import { ColinkError, ErrorCode } from '@colink/core';
import { ATT_MAX_VALUE, ATT_WRITE_HEADER } from './constants.js';

/** Rejects with `ERR_TIMEOUT` when `p` takes longer than `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ColinkError(ErrorCode.TIMEOUT, `${what}: not done after ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Value size a central gets for `mtu`: min(MTU - 3, 512). */
export function valueSizeForMtu(mtu: number): number {
  return Math.min(mtu - ATT_WRITE_HEADER, ATT_MAX_VALUE);
}
