// Shared by the core benches: pushes `count` copies of `payload` from Link `a` to Link `b` (keeping up to 8 sends in
// flight) and returns the elapsed seconds once `b` has received every byte. The subscription to `b.messages$` ends
// with the call: a bench that pumps the same pair many times does not pile up subscribers (each would be called for
// every later message).
export async function pumpLink(a, b, payload, count) {
  const total = payload.length * count;
  let got = 0;
  let sub;
  const done = new Promise((resolve) => {
    sub = b.messages$.subscribe((m) => {
      got += m.length;
      if (got === total) resolve();
    });
  });
  const t0 = process.hrtime.bigint();
  let last;
  for (let i = 0; i < count; i++) {
    last = a.send(payload);
    if (i % 8 === 7) await last;
  }
  await last;
  await done;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  sub.unsubscribe();
  return s;
}
