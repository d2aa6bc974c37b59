/**
 * `Promise.withResolvers` (ES2024, Node ≥ 22) for Node 20: js-libp2p 3 calls it on every connection. Import this
 * module before anything from libp2p (ES modules evaluate their imports in order).
 * Source: ECMA-262 2024 §27.2.4.8 Promise.withResolvers.
 * @module
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const P = Promise as PromiseConstructor & { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
