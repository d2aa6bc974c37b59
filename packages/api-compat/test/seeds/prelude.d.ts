// Declarations of the prelude's globals for the type check of the composed blocks.
declare class GlobalContext {
  netList: unknown;
  static getContext(): GlobalContext;
}
declare const NETWORK_CONNECTION_TIMEOUT: number;
declare function __seedStep(id: string): Promise<void>;
