/** Prints a readable, timestamped transcript line: `+  12 ms  phone   → session request to tablet`. */
export function transcript(start = performance.now()) {
  return (who: string, what: string): void => {
    const t = (performance.now() - start).toFixed(0).padStart(5);
    process.stdout.write(`+${t} ms  ${who.padEnd(8)} ${what}\n`);
  };
}
